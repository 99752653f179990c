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


def nearer_end(count, offset, limit):
    """How to read the rows ``offset`` to ``offset + limit`` of an ordered
    list of ``count`` rows: ``(False, offset, limit)`` from the start, or,
    when they are nearer the end, ``(True, from_end, length)``: those rows
    at that offset and limit of the list in the reverse order, to be turned
    round once read (a short last page gives fewer rows). Skipping rows costs
    what they number (a database walks past them in its index), and an index
    gives its rows from either end, so the last pages of a long list cost
    what the first ones do; the middle of the list costs the most. The
    reverse order must be exactly the order backwards: it ends with the id."""
    from_end = max(0, count - offset - limit)
    length = count - offset - from_end
    if from_end < offset and length > 0:
        return True, from_end, length
    return False, offset, limit


class KnownCountPaginator(Paginator):
    """A paginator told its total (already counted, often cached) instead of counting again."""

    def __init__(self, object_list, per_page, *, count, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self._known_count = count

    @cached_property
    def count(self):
        return self._known_count

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return self._get_page(self.rows(bottom, top) if top > bottom else [], number, self)

    def rows(self, bottom, top):
        """The rows ``bottom`` to ``top`` of the list, in its order."""
        return self.object_list[bottom:top]


class EitherEndPaginator(KnownCountPaginator):
    """For a QuerySet in a total order (its last key the id): a page nearer
    the end of the list is read from the end (nearer_end())."""

    def rows(self, bottom, top):
        backwards, offset, limit = nearer_end(self.count, bottom, top - bottom)
        if backwards:
            return list(self.object_list.reverse()[offset : offset + limit])[::-1]
        return super().rows(bottom, top)


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
