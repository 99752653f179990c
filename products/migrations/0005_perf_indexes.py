"""Partial indexes for the public catalogue on PostgreSQL (docs/performance.md).

Every public list walks the published products in one sort order, with a
unique last key so pages are stable: newest (created_at, id), price (price,
id, both directions) and name (name, id), for the whole catalogue and, for
price and name, within one category. Each index holds only published
products (WHERE status = 'published'), so drafts and archived rows cost
nothing and a page reads its rows in order, no sort of the whole match.

PostgreSQL only: SQLite cannot use a partial index for a condition that
arrives as a bound parameter, and Django binds the status as one; the
SQLite catalogue uses the indexes of 0001 (Product.Meta.indexes).
Created with IF NOT EXISTS and outside the model state (RunPython), so the
models and `makemigrations` are unaffected.
"""

from django.db import migrations

INDEXES = {
    "product_pub_new": "(created_at, id)",
    "product_pub_price": "(price, id)",
    "product_pub_name": "(name, id)",
    "product_pub_cat_price": "(category_id, price, id)",
    "product_pub_cat_name": "(category_id, name, id)",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name, columns in INDEXES.items():
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON products_product {columns} WHERE status = 'published'"
            )
        cursor.execute("ANALYZE products_product")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name in INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("products", "0004_image_renditions")]
    operations = [migrations.RunPython(create, drop)]
