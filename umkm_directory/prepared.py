"""QuerySets compiled to SQL once per process, for the hottest lookups.

Django builds and compiles a QuerySet's SQL every time it is evaluated. For a
product page's lookup (the product with its vendor, district, category and
parent category: five tables, sixty columns) that costs ~2 ms of Python,
twenty times what running the SQL costs. A lookup whose shape never changes,
only its values, can be compiled once:

    BY_SLUG = PreparedQuery(lambda slug: Product.objects.visible().select_related(...).filter(slug=slug))
    rows = BY_SLUG.fetch(slug="amplang")   # model instances, select_related filled

The QuerySet is built once with a placeholder for each value; the placeholder
is found among the compiled SQL's parameters and swapped for the real value
on each call. Rows become model instances exactly as QuerySet iteration
makes them (Django's ModelIterable: ``from_db`` and the related populators,
annotations set as attributes), or, for a ``values_list()`` QuerySet, tuples
with Django's converters applied. Only plain lookups on text or integer values
are supported, no prefetch_related; a shape this class cannot prepare raises
at first use, in tests.

Shapes and pages: a list whose filters vary (which ones are set, the sort
order) passes ``shape``, any hashable value, given to ``build`` first and
compiled once per distinct shape; ``limit``/``offset`` add
``LIMIT %s OFFSET %s`` as parameters (Django writes them into the SQL text,
which would make every page a new statement):

    PAGE = PreparedQuery(lambda sort, district: Product.objects.filter(district_id=district).order_by(sort))
    PAGE.fetch(shape="price", district=3, limit=24, offset=4800)

On PostgreSQL the statement is also prepared on the server (``PREPARE``, once
per connection) and run with ``EXECUTE``: planning a product page's lookup
(five tables, twenty indexes to weigh) costs ~1 ms of the database's CPU,
running it ~0.1 ms. The query's own constants (``status = 'published'``, the
booleans of the visibility rule) are written into the prepared SQL as
literals, only the request's values are parameters, so the plan PostgreSQL
keeps for the statement can still use the catalogue's partial indexes (their
condition must be implied by the query's text). SQLite needs none of this:
Python's sqlite3 module keeps compiled statements by their SQL text.
"""

import hashlib
import re
import weakref

from django.db import connections
from django.db.models.query import FlatValuesListIterable, ValuesListIterable, get_related_populators


class PreparedQuery:
    def __init__(self, build):
        """``build(**values)`` returns the QuerySet for those values."""
        self.build = build
        self._compiled = {}

    _NO_SHAPE = object()

    def _build(self, shape, placeholders):
        if shape is self._NO_SHAPE:
            return self.build(**placeholders)
        return self.build(shape, **placeholders)

    def _compile(self, using, names, shape, paged):
        # Placeholders no real value will equal, one per name: text, or a
        # number far above any id or price when the field takes integers
        # (positive and within a 64-bit column: Django drops a comparison
        # with a number outside the field's range from the SQL).
        placeholders = {name: f"\x00prepared:{name}\x00" for name in names}
        try:
            queryset = self._build(shape, placeholders).using(using)
        except (TypeError, ValueError):
            placeholders = {name: 2**62 + index for index, name in enumerate(names)}
            queryset = self._build(shape, placeholders).using(using)
        rows = {ValuesListIterable: "tuples", FlatValuesListIterable: "flat"}.get(queryset._iterable_class)
        if (
            queryset._prefetch_related_lookups
            or queryset._known_related_objects
            or (queryset._fields is not None and not rows)
        ):
            raise ValueError("PreparedQuery takes plain model lookups or values_list() only")
        if paged and (queryset.query.low_mark or queryset.query.high_mark is not None):
            raise ValueError("A sliced QuerySet takes no limit or offset")
        compiler = queryset.query.get_compiler(using)
        sql, params = compiler.as_sql()
        if paged:
            sql += " LIMIT %s OFFSET %s"
        params = list(params)
        positions = {}
        for name, placeholder in placeholders.items():
            found = [index for index, value in enumerate(params) if value == placeholder]
            if len(found) != 1:
                raise ValueError(f"{name!r} must appear exactly once among the query's parameters")
            positions[name] = found[0]
        if paged:
            positions["limit"], positions["offset"] = len(params), len(params) + 1
            params += [None, None]
        # The converters of the selected columns (Django computes them on every
        # evaluation: ~60 lookups for a product with its vendor and category).
        converters = compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]])
        compiled = {
            "compiler": compiler,
            "sql": sql,
            "params": params,
            "positions": positions,
            "rows": rows,
            "converters": converters,
            "statement": _server_statement(connections[using], sql, params, positions),
        }
        if rows:
            return compiled
        klass_info = compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        return {
            **compiled,
            "model": klass_info["model"],
            "start": start,
            "end": end,
            "init_list": [column[0].target.attname for column in compiler.select[start:end]],
            "populators": get_related_populators(klass_info, compiler.select, using),
            "annotations": list(compiler.annotation_col_map.items()),
        }

    def fetch(self, using="default", *, shape=_NO_SHAPE, limit=None, offset=0, **values):
        """The model instances (or, for values_list(), the tuples) the QuerySet
        built with ``values`` (and ``shape``) would give, ``limit`` rows from
        ``offset`` when a limit is given."""
        return fetch_together(
            (self, {"shape": shape, "limit": limit, "offset": offset, **values}), using=using
        )[0]

    def server_sql(self, using="default", **expressions):
        """On PostgreSQL, this query's SQL as it is prepared on the server
        (constants written in), with each of its values replaced by an SQL
        expression of the embedding statement (``ids="(SELECT ...)"``), and
        the names of its columns: for a statement that embeds it
        (products.search). None on other databases. Only a values_list():
        the embedding statement reads its columns as the database gives
        them, without Django's converters (which change nothing for the
        integer and text columns it is for)."""
        connection = connections[using]
        compiled, _values = self._call(connection, using, **dict.fromkeys(expressions))
        if compiled["statement"] is None:
            return None
        if not compiled["rows"]:
            raise ValueError("server_sql() takes a values_list()")
        _name, text, order = compiled["statement"]
        text = _NUMBERED.sub(lambda m: expressions[order[int(m.group(1)) - 1]], text)
        compiler = compiled["compiler"]
        return text, [column[2] for column in compiler.select[: compiler.col_count]]

    def _call(self, connection, using, shape=_NO_SHAPE, limit=None, offset=0, **values):
        """(compiled, values) for one call, compiling it on first use."""
        paged = limit is not None
        key = (using, connection.vendor, shape, paged, tuple(sorted(values)))
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = self._compile(using, sorted(values), shape, paged)
        if paged:
            values.update(limit=int(limit), offset=int(offset))
        return compiled, values


def fetch_together(*calls, using="default"):
    """The results of several prepared calls, each ``(query, {name: value,
    ..., and optionally shape, limit, offset})``, as ``fetch()`` gives them,
    in a list. On PostgreSQL they are sent as one query string of EXECUTEs
    (one round trip; psycopg reads a result set for each); elsewhere one
    after the other. For a page whose queries need only the request's values
    (a vendor and its products' cards, both by the vendor's slug)."""
    connection = connections[using]
    prepared_calls = [query._call(connection, using, **dict(values)) for query, values in calls]
    results = []
    with connection.cursor() as cursor:
        if any(compiled["statement"] is None for compiled, _values in prepared_calls):
            for compiled, values in prepared_calls:
                params = list(compiled["params"])
                for name, value in values.items():
                    params[compiled["positions"][name]] = value
                cursor.execute(compiled["sql"], params)
                results.append(cursor.fetchall())
        else:
            texts, arguments = [], []
            for compiled, values in prepared_calls:
                name, text, order = compiled["statement"]
                prepare_once(connection, name, text)
                texts.append(execute_sql(name, len(order)))
                arguments += [values[n] for n in order]
            cursor.execute("; ".join(texts), arguments)
            results.append(cursor.fetchall())
            for _more in prepared_calls[1:]:
                cursor.nextset()
                results.append(cursor.fetchall())
    return [
        _converted(compiled, rows, using)
        for (compiled, _values), rows in zip(prepared_calls, results, strict=True)
    ]


def _converted(compiled, rows, using):
    """Rows as the QuerySet gives them: tuples through Django's converters,
    or model instances with their select_related objects and annotations."""
    if compiled["converters"]:
        rows = [tuple(row) for row in compiled["compiler"].apply_converters(rows, compiled["converters"])]
    if compiled["rows"]:
        return [row[0] for row in rows] if compiled["rows"] == "flat" else rows
    model, start, end, init_list = (
        compiled["model"],
        compiled["start"],
        compiled["end"],
        compiled["init_list"],
    )
    objects = []
    for row in rows:
        obj = model.from_db(using, init_list, row[start:end])
        for populator in compiled["populators"]:
            populator.populate(row, obj)
        for attribute, position in compiled["annotations"]:
            setattr(obj, attribute, row[position])
        objects.append(obj)
    return objects


# The statements prepared on each PostgreSQL connection (a new connection
# starts with none; a closed one is forgotten with its object).
_PREPARED = weakref.WeakKeyDictionary()
_PLACEHOLDER = re.compile(r"%%|%s")
_NUMBERED = re.compile(r"\$(\d+)\b")


def statement_name(text):
    """The name a statement of this text is prepared under: the same text,
    the same name, in every process."""
    return "umkm_" + hashlib.sha256(text.encode()).hexdigest()[:20]


def execute_sql(name, count):
    """The SQL calling prepared statement ``name`` with ``count`` values, each
    a ``%s`` placeholder the cursor fills."""
    return f"EXECUTE {name} ({', '.join(['%s'] * count)})"


def prepare_once(connection, name, text):
    """Prepare ``text`` as statement ``name`` (``PREPARE name AS text``) on
    this PostgreSQL connection unless it was already: setting the connection
    up, once (like its time zone), not one of a page's queries. Opens the
    connection when no query has yet (a request's first query may be a
    prepared one)."""
    connection.ensure_connection()
    prepared = _PREPARED.setdefault(connection.connection, set())
    if name not in prepared:
        with connection.wrap_database_errors:
            connection.connection.execute(f"PREPARE {name} AS {text}")
        prepared.add(name)


def _server_statement(connection, sql, params, positions):
    """On PostgreSQL, (name, the text to prepare, the value names in $n order)
    for ``sql``: the request's values (``positions``) become $1, $2, ...,
    every other parameter is written in as a literal (psycopg quotes it).
    None on other databases."""
    if connection.vendor != "postgresql":
        return None
    order = sorted(positions, key=positions.get)
    numbers = {positions[name]: f"${n}" for n, name in enumerate(order, 1)}
    constants, index = [], iter(range(len(params)))

    def replace(match):
        if match.group() == "%%":
            return "%%"
        position = next(index)
        if position in numbers:
            return numbers[position]
        constants.append(params[position])
        return "%s"

    text = _PLACEHOLDER.sub(replace, sql)
    with connection.cursor() as cursor:
        text = cursor.mogrify(text, constants)
    return statement_name(text), text, order
