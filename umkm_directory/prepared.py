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
makes them (Django's ModelIterable: ``from_db`` and the related populators).
Only plain lookups on text or integer values are supported: no
annotations, no prefetch_related, no values(); a shape this class cannot
prepare raises at first use, in tests.
"""

from django.db import connections
from django.db.models.query import get_related_populators


class PreparedQuery:
    def __init__(self, build):
        """``build(**values)`` returns the QuerySet for those values."""
        self.build = build
        self._compiled = {}

    def _compile(self, using, names):
        # Placeholders no real value will equal, one per name: text, or a
        # number far outside any id when the field takes integers.
        placeholders = {name: f"\x00prepared:{name}\x00" for name in names}
        try:
            queryset = self.build(**placeholders).using(using)
        except (TypeError, ValueError):
            placeholders = {name: -(2**62) - index for index, name in enumerate(names)}
            queryset = self.build(**placeholders).using(using)
        if (
            queryset._prefetch_related_lookups
            or queryset._fields is not None
            or queryset._known_related_objects
            or queryset.query.annotations
        ):
            raise ValueError("PreparedQuery takes plain model lookups only")
        compiler = queryset.query.get_compiler(using)
        sql, params = compiler.as_sql()
        params = list(params)
        positions = {}
        for name, placeholder in placeholders.items():
            found = [index for index, value in enumerate(params) if value == placeholder]
            if len(found) != 1:
                raise ValueError(f"{name!r} must appear exactly once among the query's parameters")
            positions[name] = found[0]
        klass_info = compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        return {
            "compiler": compiler,
            "sql": sql,
            "params": params,
            "positions": positions,
            "model": klass_info["model"],
            "start": start,
            "end": end,
            "init_list": [column[0].target.attname for column in compiler.select[start:end]],
            "populators": get_related_populators(klass_info, compiler.select, using),
        }

    def fetch(self, using="default", **values):
        """The model instances the QuerySet built with ``values`` would give."""
        key = (using, connections[using].vendor, tuple(sorted(values)))
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = self._compile(using, sorted(values))
        params = list(compiled["params"])
        for name, value in values.items():
            params[compiled["positions"][name]] = value
        with connections[using].cursor() as cursor:
            cursor.execute(compiled["sql"], params)
            rows = cursor.fetchall()
        model, start, end, init_list = (
            compiled["model"],
            compiled["start"],
            compiled["end"],
            compiled["init_list"],
        )
        objects = []
        for row in compiled["compiler"].results_iter([rows]):
            obj = model.from_db(using, init_list, row[start:end])
            for populator in compiled["populators"]:
                populator.populate(row, obj)
            objects.append(obj)
        return objects
