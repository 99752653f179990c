"""The catalogue's list queries at a cost independent of the table's size
(docs/performance.md, issue 5).

1. ``Product.top_category``: the top-level category of the product's
   category (itself when top-level), filled here for existing rows and kept
   by Product.save(), ProductQuerySet.update/bulk_create/bulk_update,
   Category.save()/update() and the importer. A top-level category page
   filters on ``top_category_id = X`` and walks an index of that category in
   its sort order, instead of walking the whole catalogue's sort index and
   filtering ``category_id IN (X, subcategories...)`` (0.3-1.3 s at 1M).
2. PostgreSQL: the partial indexes of 0005 (published products per sort
   order) are replaced by ones that also carry ``vendor_id`` and
   ``category_id`` (INCLUDE), so the visibility rule (not an inactive
   vendor's, in a visible category: ProductQuerySet.visible()) and the
   district filter are checked on the index entry: a deep page's OFFSET
   walks index entries only (an index-only scan once VACUUM has run; the
   bulk loaders run it), no vendor lookup per skipped row. Plus the same
   per top-level category.
3. SQLite: plain indexes (status, top_category_id, sort) and (status,
   category_id, sort) for price and name (newest has one since 0001). SQLite
   cannot use a partial index for a bound parameter (see 0005).

The indexes are created outside the model state (RunPython) like 0005's.
"""

import django.db.models.deletion
from django.db import migrations, models

POSTGRESQL = {
    "product_pub_new_cov": "(created_at, id) INCLUDE (vendor_id, category_id)",
    "product_pub_price_cov": "(price, id) INCLUDE (vendor_id, category_id)",
    "product_pub_name_cov": "(name, id) INCLUDE (vendor_id, category_id)",
    "product_pub_cat_new": "(category_id, created_at, id) INCLUDE (vendor_id)",
    "product_pub_cat_price_cov": "(category_id, price, id) INCLUDE (vendor_id)",
    "product_pub_cat_name_cov": "(category_id, name, id) INCLUDE (vendor_id)",
    "product_pub_top_new": "(top_category_id, created_at, id) INCLUDE (vendor_id, category_id)",
    "product_pub_top_price": "(top_category_id, price, id) INCLUDE (vendor_id, category_id)",
    "product_pub_top_name": "(top_category_id, name, id) INCLUDE (vendor_id, category_id)",
}
# ProductQuerySet.visible() excludes the inactive vendors' products: their ids
# come from this index alone (both backends), whatever the vendors table's size.
INACTIVE_VENDORS = "CREATE INDEX IF NOT EXISTS vendor_inactive_id ON vendors_vendor (id) WHERE NOT active"
# Superseded by the covering indexes above (recreated when unapplying).
REPLACED = ["product_pub_new", "product_pub_price", "product_pub_name", "product_pub_cat_price", "product_pub_cat_name"]
SQLITE = {
    "product_status_top_new": "(status, top_category_id, created_at)",
    "product_status_top_price": "(status, top_category_id, price)",
    "product_status_top_name": "(status, top_category_id, name)",
    "product_status_cat_price": "(status, category_id, price)",
    "product_status_cat_name": "(status, category_id, name)",
}


def fill_top_category(apps, schema_editor):
    Category = apps.get_model("products", "Category")
    Product = apps.get_model("products", "Product")
    for category_id, parent_id in Category.objects.values_list("id", "parent_id"):
        Product.objects.filter(category_id=category_id).update(top_category_id=parent_id or category_id)


def create_indexes(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute(INACTIVE_VENDORS)
        if connection.vendor == "postgresql":
            for name, columns in POSTGRESQL.items():
                cursor.execute(
                    f"CREATE INDEX IF NOT EXISTS {name} ON products_product {columns} "
                    "WHERE status = 'published'"
                )
            for name in REPLACED:
                cursor.execute(f"DROP INDEX IF EXISTS {name}")
            cursor.execute("ANALYZE products_product")
            cursor.execute("ANALYZE vendors_vendor")
        elif connection.vendor == "sqlite":
            for name, columns in SQLITE.items():
                cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON products_product {columns}")
            cursor.execute("ANALYZE products_product")


def drop_indexes(apps, schema_editor):
    connection = schema_editor.connection
    names = {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(connection.vendor, {})
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS vendor_inactive_id")
        for name in names:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")
    if connection.vendor == "postgresql":
        from importlib import import_module

        import_module("products.migrations.0005_perf_indexes").create(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("products", "0005_perf_indexes")]

    operations = [
        migrations.AddField(
            model_name="product",
            name="top_category",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="products.category",
                verbose_name="kategori utama",
            ),
        ),
        migrations.RunPython(fill_top_category, migrations.RunPython.noop),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
