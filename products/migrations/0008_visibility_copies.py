"""The visibility rule read from the product's own row (docs/performance.md).

``Product.vendor_active`` and ``Product.category_visible``: copies of the
vendor's ``active`` flag and of whether the category is visible (active,
with an active parent), filled here for existing rows and kept like
``district`` and ``top_category`` by every write path (products.models.
COPIED_COLUMNS). ``Product.objects.visible()`` is then three columns of the
row — published, vendor active, category visible — instead of "not one of
the inactive vendors, not in a hidden category": that form hashed every
inactive vendor's id in every query (3,058 of them at 1,000,000 products:
0.7–3 ms a query on PostgreSQL, most of a product page's SQL).

The catalogue's indexes now carry the whole rule as their condition, on
both backends (SQLite can use a partial index here: Django writes a boolean
filter as the bare column, no bound parameter), one per filter and sort
order as before; they replace those of 0005–0007, the model's own
``(status, ...)`` indexes and 0006's index of inactive vendors. A list page
walks only entries of visible products, in its order, without visiting the
table for the rule.
"""

from importlib import import_module

from django.db import migrations, models

RULE = "status = 'published' AND vendor_active AND category_visible"
SORTS = {"new": "created_at, id", "price": "price, id", "name": "name, id"}

# PostgreSQL: per filter (none, subcategory, top-level category, district,
# vendor) and sort order, with the columns other filters check INCLUDEd so a
# deep page's OFFSET walks the index alone (once VACUUM has marked the pages).
POSTGRESQL = {}
for _sort, _columns in SORTS.items():
    POSTGRESQL[f"product_vis_{_sort}"] = f"({_columns}) INCLUDE (category_id, district_id)"
    POSTGRESQL[f"product_vis_cat_{_sort}"] = f"(category_id, {_columns}) INCLUDE (district_id)"
    POSTGRESQL[f"product_vis_top_{_sort}"] = f"(top_category_id, {_columns}) INCLUDE (category_id, district_id)"
    POSTGRESQL[f"product_vis_dist_{_sort}"] = f"(district_id, {_columns}) INCLUDE (category_id)"
POSTGRESQL["product_vis_vendor_new"] = "(vendor_id, created_at, id)"

# SQLite: led by status (a bound parameter there), the rule's two copies as
# the condition; the rowid (the id) ends every entry. A top-level category
# with a district has its own (SQLite cannot carry extra columns in an index
# the way PostgreSQL's INCLUDE does; see 0007).
SQLITE = {}
for _sort, _columns in SORTS.items():
    _column = _columns.split(",")[0]
    SQLITE[f"product_vis_{_sort}"] = f"(status, {_column})"
    SQLITE[f"product_vis_cat_{_sort}"] = f"(status, category_id, {_column})"
    SQLITE[f"product_vis_top_{_sort}"] = f"(status, top_category_id, {_column})"
    SQLITE[f"product_vis_dist_{_sort}"] = f"(status, district_id, {_column})"
    SQLITE[f"product_vis_top_dist_{_sort}"] = f"(status, top_category_id, district_id, {_column})"
SQLITE["product_vis_vendor_new"] = "(status, vendor_id, created_at)"
SQLITE_RULE = "vendor_active AND category_visible"


def _earlier(name):
    return import_module(f"products.migrations.{name}")


def fill(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "UPDATE products_product AS p SET vendor_active = v.active,"
                " category_visible = c.active AND (c.parent_id IS NULL OR COALESCE(pc.active, FALSE))"
                " FROM vendors_vendor AS v, products_category AS c"
                " LEFT JOIN products_category AS pc ON pc.id = c.parent_id"
                " WHERE v.id = p.vendor_id AND c.id = p.category_id"
            )
        else:
            cursor.execute(
                "UPDATE products_product SET"
                " vendor_active = (SELECT v.active FROM vendors_vendor AS v"
                " WHERE v.id = products_product.vendor_id),"
                " category_visible = (SELECT c.active AND (c.parent_id IS NULL OR COALESCE(pc.active, 0))"
                " FROM products_category AS c LEFT JOIN products_category AS pc ON pc.id = c.parent_id"
                " WHERE c.id = products_product.category_id)"
            )


def _old_names(vendor):
    """The indexes of 0005–0007 this migration replaces."""
    if vendor == "postgresql":
        return [*_earlier("0005_perf_indexes").INDEXES, *_earlier("0006_top_category").POSTGRESQL,
                *_earlier("0007_product_district").POSTGRESQL, "vendor_inactive_id"]
    return [*_earlier("0006_top_category").SQLITE, *_earlier("0007_product_district").SQLITE,
            "vendor_inactive_id"]


def create_indexes(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor not in ("postgresql", "sqlite"):
        return
    indexes, rule = (POSTGRESQL, RULE) if connection.vendor == "postgresql" else (SQLITE, SQLITE_RULE)
    with connection.cursor() as cursor:
        for name in _old_names(connection.vendor):
            cursor.execute(f"DROP INDEX IF EXISTS {name}")
        for name, columns in indexes.items():
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON products_product {columns} WHERE {rule}")
        cursor.execute("ANALYZE products_product")


def drop_indexes(apps, schema_editor):
    connection = schema_editor.connection
    indexes = {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(connection.vendor, {})
    with connection.cursor() as cursor:
        for name in indexes:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")
    # Back to the indexes of 0005-0007 (each creates its own, 0007 drops what it replaced).
    for name in ("0005_perf_indexes", "0006_top_category", "0007_product_district"):
        module = _earlier(name)
        (module.create if hasattr(module, "create") else module.create_indexes)(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("products", "0007_product_district")]

    operations = [
        migrations.RemoveIndex(model_name="product", name="product_status_cat_new"),
        migrations.RemoveIndex(model_name="product", name="product_status_new"),
        migrations.RemoveIndex(model_name="product", name="product_status_price"),
        migrations.RemoveIndex(model_name="product", name="product_status_name"),
        migrations.RemoveIndex(model_name="product", name="product_vendor_status"),
        migrations.AddField(
            model_name="product",
            name="category_visible",
            field=models.BooleanField(default=False, editable=False, verbose_name="kategori tampil"),
        ),
        migrations.AddField(
            model_name="product",
            name="vendor_active",
            field=models.BooleanField(default=False, editable=False, verbose_name="usaha aktif"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
