"""Pagination shared by the public lists (catalogue, vendor directory, vendor page)."""

import re

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import Http404
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

_DIGITS = re.compile(r"[0-9]{1,18}")


class KnownCountPaginator(Paginator):
    """A paginator told its total (already counted, often cached) instead of counting again."""

    def __init__(self, object_list, per_page, *, count, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self._known_count = count

    @cached_property
    def count(self):
        return self._known_count


def page_number(request):
    """The requested ``?page=``: 1 when missing or not written in digits; a
    404 for page 0 (past the end is checked against the count by the caller)."""
    raw = request.GET.get("page", "").strip()
    if not _DIGITS.fullmatch(raw):  # also refuses int()'s "１", "1_0", "-1"
        return 1
    number = int(raw)
    if number < 1:
        raise Http404(_("Halaman ini tidak ada."))
    return number


class StrictPageMixin:
    """For a ListView: ``?page=`` that is not a number shows page 1; a page
    past the end is a 404 whose page links back to the first one (404.html)."""

    def paginate_queryset(self, queryset, page_size):
        paginator = self.get_paginator(queryset, page_size, allow_empty_first_page=True)
        try:
            number = paginator.validate_number(page_number(self.request))
        except (PageNotAnInteger, EmptyPage):
            raise Http404(_("Halaman ini tidak ada.")) from None
        page = paginator.page(number)
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = context.get("page_obj")
        if page is not None:
            context["page_range"] = page.paginator.get_elided_page_range(
                page.number, on_each_side=1, on_ends=1
            )
        return context
