"""A covering index for a search's table on PostgreSQL (products/search.py,
find_columns(); products.filters.SEARCH_ROWS). SQLite is unaffected.

A new search text reads the columns of up to ~1,000 candidates by id. Through
the primary key each id costs a visit to its row in the table; at 1,000,000
products the table (282 MB) is larger than PostgreSQL's default 128 MB of
shared buffers, so most of those visits read a page the buffers do not hold.
This index holds, for the visible products only (the catalogue's rule, as
the indexes of 0008), every column the search's table reads, so the rows
come from an index-only scan of a smaller relation (116 MB at 1,000,000
products). Paired over 400 search texts: 5.64 -> 4.98 ms a new text at
1,000,000 products, none gained or lost at 10,000 (docs/performance-history.md,
ninth session).

The columns are written out here, not taken from SEARCH_ROWS: a migration
must keep working whatever the code becomes;
tests/products/test_search_rows_index.py checks that they still hold every
column it reads, under the same condition.
"""

from django.db import migrations

NAME = "product_vis_rows"
RULE = "status = 'published' AND vendor_active AND category_visible"
COLUMNS = (
    "name, category_id, district_id, vendor_id, price, created_at,"
    " availability, halal, pirt, bpom, sni, export_ready"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"CREATE INDEX IF NOT EXISTS {NAME} ON products_product (id) INCLUDE ({COLUMNS}) WHERE {RULE}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    """An index-only read of a search's table on PostgreSQL; nothing on SQLite."""

    dependencies = [("products", "0012_search_postings_no_resort")]
    operations = [migrations.RunPython(create, drop)]
