"""A trigram index for the vendor directory's name search on PostgreSQL
(vendors.views.VendorFilterForm: ``name__icontains``). SQLite is unaffected.

Django writes ``name__icontains`` as ``UPPER(name::text) LIKE UPPER('%word%')``,
which no B-tree can serve: at 100,000 vendors (the 1,000,000-product
benchmark database) every new search counted its matches by reading every
vendor, ~110 ms, and a rare name's page walked the directory's name index to
its end. A GIN index of that expression's trigrams (pg_trgm, created by
products' migration 0003 and again here), for the active vendors only (the
directory's rule, as its other indexes), finds a text of three letters or
more among its trigrams' postings (docs/performance.md, fourteenth session).

The expression is written out here as Django writes it;
tests/vendors/test_name_search_index.py checks that the directory's
queries can use the index.
"""

from django.db import migrations

NAME = "vendor_active_name_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {NAME} ON vendors_vendor"
            " USING gin (UPPER(name::text) gin_trgm_ops) WHERE active"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    """A trigram index of the active vendors' names on PostgreSQL; nothing on SQLite."""

    dependencies = [("vendors", "0003_directory_order")]
    operations = [migrations.RunPython(create, drop)]
