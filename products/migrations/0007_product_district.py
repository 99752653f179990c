"""The district filter at a cost independent of the table's size
(docs/performance.md).

``Product.district``: the vendor's district, filled here for existing rows
and kept by Product.save(), ProductQuerySet.update/bulk_create/bulk_update,
Vendor.save() and VendorQuerySet.update()/bulk_update() (through
ProductQuerySet.sync_district) and the importer. A district filter is then
``district_id = X`` on an index of the district's published products in the
page's sort order, instead of a join on the vendor of every row a page walks
(a deep page walks thousands).

Indexes as in 0006: on PostgreSQL partial (published) ones carrying vendor_id
and category_id, so the visibility rule and a category are checked on the
index entry; on SQLite plain ones led by status (SQLite cannot use a partial
index for a bound parameter, see 0005). Created outside the model state
(RunPython) like 0005's and 0006's.

A category page with a district: on PostgreSQL 0006's category indexes are
rebuilt to carry district_id too, so the page walks its category's index and
checks the district on the entry (about six entries per row shown, index
only) rather than joining anything. SQLite's indexes cannot carry extra
columns that way: a top-level category with a district gets its own indexes.

The fill rewrites every product row: on PostgreSQL, index-only scans need
the visibility map that VACUUM rebuilds (autovacuum does soon after; run
``VACUUM ANALYZE products_product`` to have it at once).
"""

import django.db.models.deletion
from django.db import migrations, models

POSTGRESQL = {
    "product_pub_dist_new": "(district_id, created_at, id) INCLUDE (vendor_id, category_id)",
    "product_pub_dist_price": "(district_id, price, id) INCLUDE (vendor_id, category_id)",
    "product_pub_dist_name": "(district_id, name, id) INCLUDE (vendor_id, category_id)",
}
# 0006's category indexes, rebuilt with district_id (the old ones recreated when unapplying).
POSTGRESQL_REPLACED = {
    "product_pub_cat_new": "product_pub_cat_new_d",
    "product_pub_cat_price_cov": "product_pub_cat_price_d",
    "product_pub_cat_name_cov": "product_pub_cat_name_d",
    "product_pub_top_new": "product_pub_top_new_d",
    "product_pub_top_price": "product_pub_top_price_d",
    "product_pub_top_name": "product_pub_top_name_d",
}
TOP_INCLUDE = "INCLUDE (vendor_id, category_id, district_id)"
POSTGRESQL.update(
    {
        "product_pub_cat_new_d": "(category_id, created_at, id) INCLUDE (vendor_id, district_id)",
        "product_pub_cat_price_d": "(category_id, price, id) INCLUDE (vendor_id, district_id)",
        "product_pub_cat_name_d": "(category_id, name, id) INCLUDE (vendor_id, district_id)",
        "product_pub_top_new_d": f"(top_category_id, created_at, id) {TOP_INCLUDE}",
        "product_pub_top_price_d": f"(top_category_id, price, id) {TOP_INCLUDE}",
        "product_pub_top_name_d": f"(top_category_id, name, id) {TOP_INCLUDE}",
    }
)
SQLITE = {
    "product_status_dist_new": "(status, district_id, created_at)",
    "product_status_dist_price": "(status, district_id, price)",
    "product_status_dist_name": "(status, district_id, name)",
    # A top-level category page with a district: SQLite would walk the
    # district's index and look up every row's category (2-3x a district page
    # at 100k, measured); a subcategory with a district keeps the district's.
    "product_status_top_dist_new": "(status, top_category_id, district_id, created_at)",
    "product_status_top_dist_price": "(status, top_category_id, district_id, price)",
    "product_status_top_dist_name": "(status, top_category_id, district_id, name)",
}


def fill_district(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "UPDATE products_product AS p SET district_id = v.district_id "
                "FROM vendors_vendor AS v WHERE v.id = p.vendor_id"
            )
        else:
            cursor.execute(
                "UPDATE products_product SET district_id = "
                "(SELECT v.district_id FROM vendors_vendor AS v WHERE v.id = products_product.vendor_id)"
            )


def create_indexes(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for name, columns in POSTGRESQL.items():
                cursor.execute(
                    f"CREATE INDEX IF NOT EXISTS {name} ON products_product {columns} "
                    "WHERE status = 'published'"
                )
            for name in POSTGRESQL_REPLACED:
                cursor.execute(f"DROP INDEX IF EXISTS {name}")
            cursor.execute("ANALYZE products_product")
        elif connection.vendor == "sqlite":
            for name, columns in SQLITE.items():
                cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON products_product {columns}")
            cursor.execute("ANALYZE products_product")


def drop_indexes(apps, schema_editor):
    connection = schema_editor.connection
    names = {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(connection.vendor, {})
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")
    if connection.vendor == "postgresql":
        from importlib import import_module

        previous = import_module("products.migrations.0006_top_category").POSTGRESQL
        with connection.cursor() as cursor:
            for name in POSTGRESQL_REPLACED:
                cursor.execute(
                    f"CREATE INDEX IF NOT EXISTS {name} ON products_product {previous[name]} "
                    "WHERE status = 'published'"
                )


class Migration(migrations.Migration):
    dependencies = [
        ("products", "0006_top_category"),
        ("vendors", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="product",
            name="district",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="vendors.district",
                verbose_name="kecamatan",
            ),
        ),
        migrations.RunPython(fill_district, migrations.RunPython.noop),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
