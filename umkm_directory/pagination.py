"""Pagination shared by the public lists (catalogue, vendor directory, vendor page)."""

import re
from collections import namedtuple

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models import BooleanField, Expression, F, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

_DIGITS = re.compile(r"[0-9]+")
# Past the end of any catalogue (24 billion products at 24 a page), and low
# enough that a page's offset stays a 64-bit integer for the database.
MAX_PAGE = 10**9
# Marks (list_marks()): a long list's every MARK_EVERY-th row, from which a
# page starts when it would otherwise skip MARKS_FROM rows or more.
MARK_EVERY = 1000
MARKS_FROM = 10_000


def nearer_end(count, offset, limit):
    """How to read the rows ``offset`` to ``offset + limit`` of an ordered
    list of ``count`` rows: ``(False, offset, limit)`` from the start, or,
    when they are nearer the end, ``(True, from_end, length)``: those rows
    at that offset and limit of the list in the reverse order, to be turned
    round once read (a short last page gives fewer rows). Skipping rows costs
    what they number (a database walks past them in its index), and an index
    gives its rows from either end, so the last pages of a long list cost
    what the first ones do; the middle of the list costs the most (reading()
    starts it from a mark instead). The reverse order must be exactly the
    order backwards: it ends with the id."""
    from_end = max(0, count - offset - limit)
    length = count - offset - from_end
    if from_end < offset and length > 0:
        return True, from_end, length
    return False, offset, limit


Reading = namedtuple("Reading", "backwards after offset limit")


def reading(count, offset, limit, marks):
    """How to read the rows ``offset`` to ``offset + limit`` of an ordered
    list of ``count`` rows: a Reading of ``limit`` rows from ``offset``,
    in the reverse order when ``backwards`` (nearer_end()), after the row
    whose pk is ``after`` when it is not None.

    A page in the middle of a long list, which would skip MARKS_FROM rows
    or more from either end, starts instead from the nearest mark before
    it (``marks()``: list_marks() of the list, called only then, to be
    cached by the caller) and skips fewer than MARK_EVERY rows. Marks that
    do not reach the page (the list changed since they were taken) are not
    used."""
    backwards, skip, length = nearer_end(count, offset, limit)
    block = offset // MARK_EVERY
    if skip < MARKS_FROM or block < 1:
        return Reading(backwards, None, skip, length)
    found = marks()
    if len(found) < block:
        return Reading(backwards, None, skip, length)
    return Reading(False, found[block - 1], offset - block * MARK_EVERY, limit)


def ordering(queryset):
    """The field names ``queryset`` is ordered by ("-name" descending)."""
    return list(queryset.query.order_by or queryset.model._meta.ordering)


def list_marks(queryset):
    """The pks of the rows MARK_EVERY, 2 * MARK_EVERY, ... (counted from 1)
    of ``queryset`` in its order (plain field names, one direction, the last
    the pk: a total order): one query that numbers the list's rows along
    its index, for pages that start after them (reading(), After)."""
    connection = connections[queryset.db]
    numbered = (
        queryset.order_by()
        .annotate(_mark=F("pk"), _row=Window(RowNumber(), order_by=ordering(queryset)))
        .values_list("_mark", "_row")
    )
    sql, params = numbered.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT n."_mark" FROM ({sql}) AS n WHERE n."_row" %% %s = 0 ORDER BY n."_row"',  # noqa: S608
            [*params, MARK_EVERY],
        )
        return [found for (found,) in cursor.fetchall()]


class After(Expression):
    """A filter: the rows after the row ``pk`` in ``order`` (field names of
    the model's own columns, all ascending or all descending, the last the
    pk), as a row comparison the list's index starts from:
    ``(created_at, id) < (SELECT created_at, id FROM ... WHERE id = %s)``.
    ``pk`` is a parameter, so a PreparedQuery can take it as a value."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, order, pk):
        super().__init__()
        descending = {name.startswith("-") for name in order}
        if len(descending) != 1:
            raise ValueError("After() takes an order in one direction")
        self.pk, self.descending = pk, descending.pop()
        self.columns = [F(name.lstrip("-")) for name in order]

    def get_source_expressions(self):
        return self.columns

    def set_source_expressions(self, exprs):
        self.columns = list(exprs)

    def as_sql(self, compiler, connection):
        compiled = [compiler.compile(column) for column in self.columns]
        meta = self.columns[0].target.model._meta
        quote = connection.ops.quote_name
        names = ", ".join(quote(column.target.column) for column in self.columns)
        sql = "({}) {} (SELECT {} FROM {} WHERE {} = %s)".format(  # noqa: S608 (quoted names only)
            ", ".join(text for text, _params in compiled),
            "<" if self.descending else ">",
            names,
            quote(meta.db_table),
            quote(meta.pk.column),
        )
        return sql, [param for _text, params in compiled for param in params] + [self.pk]


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
    the end of the list is read from the end, a page in the middle of a
    long one from the nearest mark before it (reading()). ``marks``: a
    function that caches what it is given to compute (list_marks()), for
    this list as it stands."""

    def __init__(self, object_list, per_page, *, count, marks, **kwargs):
        super().__init__(object_list, per_page, count=count, **kwargs)
        self.marks = marks

    def rows(self, bottom, top):
        def marks():
            return self.marks(lambda: list_marks(self.object_list))

        read = reading(self.count, bottom, top - bottom, marks)
        if read.after is not None:
            after = self.object_list.filter(After(ordering(self.object_list), read.after))
            return after[read.offset : read.offset + read.limit]
        if read.backwards:
            return list(self.object_list.reverse()[read.offset : read.offset + read.limit])[::-1]
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
