"""Pagination shared by the public lists (catalogue, vendor directory, vendor page)."""

import re

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import Http404
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

_DIGITS = re.compile(r"[0-9]+")
# Past the end of any catalogue (24 billion products at 24 a page), and low
# enough that a page's offset stays a 64-bit integer for the database.
MAX_PAGE = 10**9


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
    404 for page 0 and for a number past the end of any catalogue
    (MAX_PAGE; past the end is otherwise checked against the count by the
    caller)."""
    raw = request.GET.get("page", "").strip()
    if not _DIGITS.fullmatch(raw):  # also refuses int()'s "１", "1_0", "-1"
        return 1
    # Leading zeros aside, more digits than MAX_PAGE has is past it (and
    # never a long conversion).
    digits = raw.lstrip("0")
    if not digits or len(digits) > len(str(MAX_PAGE)) or int(digits) > MAX_PAGE:
        raise Http404(_("Halaman ini tidak ada."))
    return int(digits)


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
