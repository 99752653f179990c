"""Indexes for the catalogue's flag filters: certifications (halal, P-IRT,
BPOM, SNI), export-ready and in stock (docs/performance.md).

Before, a list with such a filter walked its sort order's index and looked
every entry's row up in the table to check the flags: page 200 of
``?cert=bpom&in_stock=1`` read 80,000 rows (21 ms at 1,000,000 products),
and a rare combination (``?cert=sni&export_ready=1&sort=price_asc``, 0.3 %
of the catalogue) made PostgreSQL sort 900,000 rows (98 ms).

- PostgreSQL: the flags are INCLUDEd in every catalogue index of 0008, so
  the filter is checked on the index entry (an index-only scan, no table
  visit).
- Both databases: for the three rare flags (SNI, BPOM: 3 % and 8 % of the
  demo catalogue; export-ready: 12 %) an index of their products in each
  sort order, so a list filtered on one of them walks only the products
  holding it.

The common flags (halal, P-IRT, in stock: a third of the products or more)
need no index of their own: a page of 24 is found after ~72 entries or
fewer for each page deep.
"""

from importlib import import_module

from django.db import migrations

visibility = import_module("products.migrations.0008_visibility_copies")

FLAG_COLUMNS = "halal, pirt, bpom, sni, export_ready, availability"
RARE_FLAGS = {"sni": "sni", "bpom": "bpom", "export": "export_ready"}


def _include_flags(columns):
    """0008's definition with the flag columns INCLUDEd."""
    if "INCLUDE (" not in columns:
        return columns
    return columns[:-1] + f", {FLAG_COLUMNS})"


POSTGRESQL = {
    name: _include_flags(columns)
    for name, columns in visibility.POSTGRESQL.items()
    if name != "product_vis_vendor_new"
}
POSTGRESQL_FLAGS = {
    f"product_vis_{short}_{sort}": (
        flag,
        f"({columns}) INCLUDE (category_id, district_id, {FLAG_COLUMNS})",
    )
    for short, flag in RARE_FLAGS.items()
    for sort, columns in visibility.SORTS.items()
}
SQLITE_FLAGS = {
    f"product_vis_{short}_{sort}": (flag, f"(status, {columns.split(',')[0]})")
    for short, flag in RARE_FLAGS.items()
    for sort, columns in visibility.SORTS.items()
}


def create_indexes(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for name, columns in POSTGRESQL.items():
                cursor.execute(f"DROP INDEX IF EXISTS {name}")
                cursor.execute(f"CREATE INDEX {name} ON products_product {columns} WHERE {visibility.RULE}")
            flags, rule = POSTGRESQL_FLAGS, visibility.RULE
        elif connection.vendor == "sqlite":
            flags, rule = SQLITE_FLAGS, visibility.SQLITE_RULE
        else:
            return
        for name, (flag, columns) in flags.items():
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON products_product {columns} WHERE {rule} AND {flag}"
            )
        cursor.execute("ANALYZE products_product")


def drop_indexes(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for name in POSTGRESQL_FLAGS:
                cursor.execute(f"DROP INDEX IF EXISTS {name}")
            for name, columns in visibility.POSTGRESQL.items():
                if name in POSTGRESQL:
                    cursor.execute(f"DROP INDEX IF EXISTS {name}")
                    cursor.execute(
                        f"CREATE INDEX {name} ON products_product {columns} WHERE {visibility.RULE}"
                    )
        elif connection.vendor == "sqlite":
            for name in SQLITE_FLAGS:
                cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("products", "0009_search_pg_speed")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
