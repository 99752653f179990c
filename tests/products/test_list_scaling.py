"""The catalogue's list queries at a cost independent of the table's size
(docs/performance.md): the denormalised Product.top_category stays right on
every path that writes a product's category or a category's parent,
Product.district on every path that writes a product's vendor or a vendor's
district, and the visibility rule's copies (vendor_active, category_visible)
on every path that activates, deactivates, hides or moves; the
visibility rule still means what it meant; a top-level category page filters
on top_category; deep pages are the same rows as before; the bulk loaders
refresh the planner's statistics."""

import csv
import io

import pytest
from django.db import connection
from django.db.models import Value
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from products import cache
from products.filters import ProductFilter
from products.importer import import_catalogue
from products.models import Category, Product, Status
from products.views import FilterPaginator
from tests.factories import CategoryFactory, ProductFactory, VendorFactory
from vendors.models import District, Vendor

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    food = CategoryFactory(name="Makanan", slug="makanan", position=1)
    craft = CategoryFactory(name="Kerajinan", slug="kerajinan", position=2)
    snacks = CategoryFactory(name="Amplang", slug="amplang", parent=food)
    cakes = CategoryFactory(name="Kue", slug="kue", parent=food)
    rattan = CategoryFactory(name="Rotan", slug="rotan", parent=craft)
    return {"food": food, "craft": craft, "snacks": snacks, "cakes": cakes, "rattan": rattan}


def tops(*products):
    return [Product.objects.values_list("top_category_id", flat=True).get(pk=p.pk) for p in products]


# --- top_category follows every write ---------------------------------------


def test_save_sets_the_top_level_category(tree):
    sub = ProductFactory(category=tree["snacks"])
    top = ProductFactory(category=tree["food"])
    assert tops(sub, top) == [tree["food"].pk, tree["food"].pk]

    sub.category = tree["rattan"]
    sub.save(update_fields=["category"])
    assert tops(sub) == [tree["craft"].pk]


def test_queryset_update_of_the_category_moves_top_category(tree):
    product = ProductFactory(category=tree["snacks"])
    Product.objects.filter(pk=product.pk).update(category=tree["rattan"])
    assert tops(product) == [tree["craft"].pk]
    Product.objects.filter(pk=product.pk).update(category_id=tree["cakes"].pk)
    assert tops(product) == [tree["food"].pk]


def test_bulk_create_and_bulk_update_fill_top_category(tree):
    vendor = VendorFactory()
    made = Product.objects.bulk_create(
        Product(vendor=vendor, category=tree["snacks"], name=f"P {i}", slug=f"p-{i}", price=1000)
        for i in range(3)
    )
    assert {p.top_category_id for p in Product.objects.filter(slug__startswith="p-")} == {tree["food"].pk}
    for product in made:
        product.category = tree["rattan"]
    Product.objects.bulk_update(made, ["category"])
    assert {p.top_category_id for p in Product.objects.filter(slug__startswith="p-")} == {tree["craft"].pk}


def test_moving_a_subcategory_moves_its_products(tree):
    product = ProductFactory(category=tree["snacks"])
    tree["snacks"].parent = tree["craft"]
    tree["snacks"].save()
    assert tops(product) == [tree["craft"].pk]

    Category.objects.filter(pk=tree["snacks"].pk).update(parent=tree["food"])
    assert tops(product) == [tree["food"].pk]

    # Made a top-level category itself.
    tree["snacks"].refresh_from_db()
    tree["snacks"].parent = None
    tree["snacks"].save()
    assert tops(product) == [tree["snacks"].pk]


def _csv(path, header, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def test_the_importer_fills_and_moves_top_category(tmp_path, tree):
    vendor = VendorFactory(slug="usaha-1")
    products = _csv(
        tmp_path / "products.csv",
        ["slug", "vendor", "category", "name", "price"],
        [["impor-1", vendor.slug, "amplang", "Amplang Impor", "35000"]],
    )
    import_catalogue(products=products)
    product = Product.objects.get(slug="impor-1")
    assert tops(product) == [tree["food"].pk]

    # The register moves the subcategory under another parent.
    categories = _csv(
        tmp_path / "categories.csv",
        ["slug", "name", "parent"],
        [["kerajinan", "Kerajinan", ""], ["amplang", "Amplang", "kerajinan"]],
    )
    import_catalogue(categories=categories)
    assert tops(product) == [tree["craft"].pk]


def test_seed_demo_fills_top_category_and_refreshes_statistics(monkeypatch):
    from django.core.management import call_command

    from products.demo_data import DemoCatalogue
    from products.management.commands import seed_demo

    # No pictures (see tests/products/test_seed_demo.py): the rows are what counts here.
    monkeypatch.setattr(seed_demo, "attach_picture", lambda product, data: None)
    monkeypatch.setattr(DemoCatalogue, "picture", lambda self, row: b"")
    with CaptureQueriesContext(connection) as captured:
        call_command("seed_demo", "--products", "300", verbosity=0, stdout=io.StringIO())
    assert Product.objects.count() == 300
    wrong = [
        p.slug
        for p in Product.objects.select_related("category")
        if p.top_category_id != (p.category.parent_id or p.category_id)
    ]
    assert wrong == []
    wrong = [
        p.slug for p in Product.objects.select_related("vendor") if p.district_id != p.vendor.district_id
    ]
    assert wrong == []
    assert any(q["sql"].strip().upper().startswith("ANALYZE") for q in captured.captured_queries)


# --- district follows every write of a vendor or of a vendor's district --------


def districts_of(*products):
    return [Product.objects.values_list("district_id", flat=True).get(pk=p.pk) for p in products]


@pytest.fixture
def places():
    return {d.slug: d for d in District.objects.all()}


def test_save_sets_the_vendors_district(tree, places):
    north, south = (
        VendorFactory(district=places["balikpapan-utara"]),
        VendorFactory(district=places["balikpapan-selatan"]),
    )
    product = ProductFactory(vendor=north, category=tree["snacks"])
    assert districts_of(product) == [north.district_id]

    product.vendor = south
    product.save(update_fields=["vendor"])
    assert districts_of(product) == [south.district_id]


def test_queryset_writes_of_the_vendor_move_district(tree, places):
    north, south = (
        VendorFactory(district=places["balikpapan-utara"]),
        VendorFactory(district=places["balikpapan-selatan"]),
    )
    product = ProductFactory(vendor=north, category=tree["snacks"])
    Product.objects.filter(pk=product.pk).update(vendor=south)
    assert districts_of(product) == [south.district_id]
    Product.objects.filter(pk=product.pk).update(vendor_id=north.pk)
    assert districts_of(product) == [north.district_id]
    Product.objects.filter(pk=product.pk).update(vendor_id=Value(south.pk))  # an expression
    assert districts_of(product) == [south.district_id]

    made = Product.objects.bulk_create(
        Product(vendor=north, category=tree["snacks"], name=f"D {i}", slug=f"d-{i}", price=1000)
        for i in range(3)
    )
    assert set(Product.objects.filter(slug__startswith="d-").values_list("district_id", flat=True)) == {
        north.district_id
    }
    for obj in made:
        obj.vendor = south
    Product.objects.bulk_update(made, ["vendor"])
    assert set(Product.objects.filter(slug__startswith="d-").values_list("district_id", flat=True)) == {
        south.district_id
    }


def test_a_vendor_moving_district_moves_its_products(tree, places):
    vendor = VendorFactory(district=places["balikpapan-utara"])
    other = ProductFactory(vendor=VendorFactory(district=places["balikpapan-utara"]), category=tree["snacks"])
    products = [ProductFactory(vendor=vendor, category=tree["snacks"]) for _ in range(2)]

    vendor.district = places["balikpapan-timur"]
    vendor.save()
    assert districts_of(*products) == [places["balikpapan-timur"].pk] * 2

    Vendor.objects.filter(pk=vendor.pk).update(district=places["balikpapan-kota"])
    assert districts_of(*products) == [places["balikpapan-kota"].pk] * 2

    vendor.district = places["balikpapan-barat"]
    Vendor.objects.bulk_update([vendor], ["district"])
    assert districts_of(*products) == [places["balikpapan-barat"].pk] * 2
    assert districts_of(other) == [places["balikpapan-utara"].pk]  # another vendor's: untouched


def test_the_importer_fills_district_and_moves_it_with_the_vendor(tmp_path, tree, places):
    vendors = _csv(
        tmp_path / "vendors.csv",
        ["slug", "name", "district", "whatsapp"],
        [["usaha-impor", "Usaha Impor", "balikpapan-utara", "081234567890"]],
    )
    products = _csv(
        tmp_path / "products.csv",
        ["slug", "vendor", "category", "name", "price"],
        [["impor-1", "usaha-impor", "amplang", "Amplang Impor", "35000"]],
    )
    import_catalogue(vendors=vendors, products=products)
    product = Product.objects.get(slug="impor-1")
    assert districts_of(product) == [places["balikpapan-utara"].pk]

    # The register moves the vendor; its products (not in this import) follow.
    _csv(
        vendors,
        ["slug", "name", "district", "whatsapp"],
        [["usaha-impor", "Usaha Impor", "balikpapan-timur", "081234567890"]],
    )
    import_catalogue(vendors=vendors)
    assert districts_of(product) == [places["balikpapan-timur"].pk]


def test_a_district_page_filters_on_district_without_joining_the_vendor(tree, places):
    shown = ProductFactory(vendor=VendorFactory(district=places["balikpapan-utara"]), category=tree["snacks"])
    ProductFactory(vendor=VendorFactory(district=places["balikpapan-timur"]), category=tree["snacks"])
    cache.bump()
    filterset = ProductFilter(QueryDict("district=balikpapan-utara"))
    sql = str(filterset.qs.query)
    assert '"products_product"."district_id" =' in sql
    assert "JOIN" not in sql.split("WHERE", 1)[0]
    assert list(filterset.qs) == [shown]
    assert filterset.count() == 1
    counts = {option.value: option.count for option in filterset.facets()["district"]}
    assert counts["balikpapan-utara"] == 1 and counts["balikpapan-timur"] == 1


@pytest.mark.parametrize("sort", ["newest", "price_asc", "price_desc", "name"])
@pytest.mark.parametrize("on_category_page", [False, True])
def test_district_pages_are_the_rows_of_the_whole_ordered_list(tree, places, sort, on_category_page):
    vendors = [
        VendorFactory(district=places["balikpapan-utara"]),
        VendorFactory(district=places["balikpapan-timur"]),
        VendorFactory(district=places["balikpapan-utara"], active=False),
    ]
    for i in range(36):
        ProductFactory(
            category=[tree["snacks"], tree["cakes"], tree["rattan"]][i % 3],
            vendor=vendors[0 if i % 5 else (i // 5) % 3],
            price=1000 + (i * 37) % 11 * 100,
            name=f"Produk {(i * 13) % 36:02d}",
        )
    cache.bump()
    category = tree["food"] if on_category_page else None
    filterset = ProductFilter(QueryDict(f"district=balikpapan-utara&sort={sort}"), category=category)
    expected = Product.objects.visible().filter(vendor__district=places["balikpapan-utara"])
    if on_category_page:
        expected = expected.filter(category__parent=tree["food"])
    expected = [p.pk for p in expected.order_by(*filterset.qs.query.order_by)]
    pages = FilterPaginator(filterset, 4, count=filterset.count())
    seen = [pk for number in pages.page_range for pk in pages.page(number).object_list]
    assert seen == expected
    assert len(expected) == filterset.count()


# --- the rule of what the public sees is unchanged ----------------------------


def test_visible_is_still_published_active_vendor_visible_category(tree):
    shown = ProductFactory(category=tree["snacks"])
    ProductFactory(category=tree["snacks"], status=Status.DRAFT)
    ProductFactory(category=tree["snacks"], vendor=VendorFactory(active=False))
    hidden_parent = CategoryFactory(slug="tersembunyi", active=False)
    ProductFactory(category=CategoryFactory(slug="anak", parent=hidden_parent))
    ProductFactory(category=CategoryFactory(slug="nonaktif", parent=tree["food"], active=False))
    assert list(Product.objects.visible()) == [shown]


def test_visible_reads_the_products_own_row(tree):
    """The rule is three columns of the product: no vendor or category is
    joined, hashed or probed."""
    sql = str(Product.objects.visible().values("pk").query).lower()
    assert "join" not in sql and "select" not in sql.split("where", 1)[1]


# --- the rule's copies follow every write of a vendor, a category or a product ----


def rule_holds():
    """visible() gives exactly the products the rule, written out with joins, gives."""
    by_rule = Product.objects.filter(
        status=Status.PUBLISHED, vendor__active=True, category__in=Category.objects.visible()
    )
    return set(Product.objects.visible()) == set(by_rule)


def test_a_vendor_deactivated_or_reactivated_any_way_hides_or_shows_its_products(tree):
    vendor = VendorFactory()
    products = [ProductFactory(vendor=vendor, category=tree["snacks"]) for _ in range(2)]
    bystander = ProductFactory(category=tree["snacks"])

    def shown():
        return set(Product.objects.visible())

    vendor.active = False
    vendor.save(update_fields=["active", "updated_at"])  # as the curators' admin action saves
    assert shown() == {bystander} and rule_holds()
    Vendor.objects.filter(pk=vendor.pk).update(active=True)
    assert shown() == {*products, bystander} and rule_holds()
    vendor.active = False
    Vendor.objects.bulk_update([vendor], ["active"])
    assert shown() == {bystander} and rule_holds()
    vendor.active = True
    vendor.save()
    assert shown() == {*products, bystander} and rule_holds()


def test_a_category_hidden_or_shown_any_way_hides_or_shows_its_tree(tree):
    in_snacks = ProductFactory(category=tree["snacks"])
    in_food = ProductFactory(category=tree["food"])
    in_rattan = ProductFactory(category=tree["rattan"])

    def shown():
        return set(Product.objects.visible())

    # Hiding a top-level category hides its subcategories' products too.
    tree["food"].active = False
    tree["food"].save()
    assert shown() == {in_rattan} and rule_holds()
    Category.objects.filter(pk=tree["food"].pk).update(active=True)
    assert shown() == {in_snacks, in_food, in_rattan} and rule_holds()
    tree["snacks"].active = False
    Category.objects.bulk_update([tree["snacks"]], ["active"])
    assert shown() == {in_food, in_rattan} and rule_holds()
    # A hidden subcategory moved under a hidden parent, then back and shown.
    tree["craft"].active = False
    tree["craft"].save(update_fields=["active"])
    tree["snacks"].active, tree["snacks"].parent = True, tree["craft"]
    tree["snacks"].save()
    assert shown() == {in_food} and rule_holds()
    Category.objects.filter(pk=tree["craft"].pk).update(active=True)
    assert shown() == {in_snacks, in_food, in_rattan} and rule_holds()


def test_a_product_moved_to_another_vendor_or_category_any_way_takes_their_visibility(tree):
    closed = VendorFactory(active=False)
    hidden = CategoryFactory(slug="tersembunyi", parent=tree["food"], active=False)
    product = ProductFactory(category=tree["snacks"])
    assert rule_holds() and list(Product.objects.visible()) == [product]

    product.vendor = closed
    product.save(update_fields=["vendor"])
    assert rule_holds() and not Product.objects.visible().exists()
    Product.objects.filter(pk=product.pk).update(vendor=VendorFactory())
    assert rule_holds() and Product.objects.visible().exists()
    Product.objects.filter(pk=product.pk).update(category_id=hidden.pk)
    assert rule_holds() and not Product.objects.visible().exists()
    Product.objects.filter(pk=product.pk).update(category_id=Value(tree["cakes"].pk))  # an expression
    assert rule_holds() and Product.objects.visible().exists()
    product.refresh_from_db()
    product.category = hidden
    Product.objects.bulk_update([product], ["category"])
    assert rule_holds() and not Product.objects.visible().exists()

    made = Product.objects.bulk_create(
        [
            Product(
                vendor=closed, category=tree["snacks"], name="A", slug="a", price=1, status=Status.PUBLISHED
            ),
            Product(
                vendor=VendorFactory(), category=hidden, name="B", slug="b", price=1, status=Status.PUBLISHED
            ),
            Product(
                vendor=VendorFactory(),
                category=tree["cakes"],
                name="C",
                slug="c",
                price=1,
                status=Status.PUBLISHED,
            ),
        ]
    )
    assert rule_holds() and set(Product.objects.visible()) == {made[2]}


def test_the_importer_copies_the_vendors_and_categories_visibility(tmp_path, tree):
    vendors = _csv(
        tmp_path / "vendors.csv",
        ["slug", "name", "district", "whatsapp", "active"],
        [
            ["buka", "Usaha Buka", "balikpapan-utara", "081234567890", "ya"],
            ["tutup", "Usaha Tutup", "balikpapan-utara", "081234567891", "tidak"],
        ],
    )
    products = _csv(
        tmp_path / "products.csv",
        ["slug", "vendor", "category", "name", "price"],
        [
            ["p-buka", "buka", "amplang", "Amplang Buka", "35000"],
            ["p-tutup", "tutup", "amplang", "Amplang Tutup", "1"],
        ],
    )
    import_catalogue(vendors=vendors, products=products)
    assert rule_holds()
    assert list(Product.objects.visible().values_list("slug", flat=True)) == ["p-buka"]

    # The register reopens the closed vendor...
    _csv(
        vendors,
        ["slug", "name", "district", "whatsapp", "active"],
        [["tutup", "Usaha Tutup", "balikpapan-utara", "081234567891", "ya"]],
    )
    import_catalogue(vendors=vendors)
    assert rule_holds()
    assert set(Product.objects.visible().values_list("slug", flat=True)) == {"p-buka", "p-tutup"}
    # ... and files the subcategory under a category the curators have hidden.
    CategoryFactory(name="Arsip", slug="arsip", active=False)
    categories = _csv(
        tmp_path / "categories.csv", ["slug", "name", "parent"], [["amplang", "Amplang", "arsip"]]
    )
    import_catalogue(categories=categories)
    assert rule_holds() and not Product.objects.visible().exists()


def test_a_top_level_category_page_filters_on_top_category(tree):
    direct = ProductFactory(category=tree["food"], name="Langsung")
    sub = ProductFactory(category=tree["snacks"], name="Amplang")
    ProductFactory(category=tree["rattan"], name="Tas Rotan")
    ProductFactory(category=CategoryFactory(slug="lama", parent=tree["food"], active=False))

    cache.bump()
    filterset = ProductFilter(QueryDict("sort=name"), category=tree["food"])
    assert "top_category_id" in str(filterset.qs.query).split("WHERE", 1)[1]
    assert list(filterset.qs) == [sub, direct]
    assert filterset.count() == 2

    # The catalogue's ?category= of a top-level category too; a subcategory by its id.
    assert list(ProductFilter(QueryDict("category=makanan&sort=name")).qs) == [sub, direct]
    snacks = ProductFilter(QueryDict("category=amplang"))
    assert "top_category_id" not in str(snacks.qs.query).split("WHERE", 1)[1]
    assert list(snacks.qs) == [sub]


@pytest.mark.parametrize("sort", ["newest", "price_asc", "price_desc", "name"])
def test_deep_pages_are_the_rows_of_the_whole_ordered_list(tree, sort):
    vendors = [VendorFactory(), VendorFactory(active=False)]
    for i in range(30):
        ProductFactory(
            category=[tree["snacks"], tree["cakes"], tree["rattan"]][i % 3],
            vendor=vendors[i % 7 == 0],
            price=1000 + (i * 37) % 11 * 100,
            name=f"Produk {(i * 13) % 30:02d}",
        )
    cache.bump()
    filterset = ProductFilter(QueryDict(f"sort={sort}"), category=tree["food"])
    expected = [
        p.pk
        for p in Product.objects.visible()
        .filter(category__parent=tree["food"])
        .order_by(*filterset.qs.query.order_by)
    ]
    # As the list view pages (ids first, then the rows of the page).
    pages = FilterPaginator(filterset, 4, count=filterset.count())
    seen = [pk for number in pages.page_range for pk in pages.page(number).object_list]
    assert seen == expected
    assert len(expected) == filterset.count()


# --- statistics after bulk loads -----------------------------------------------


def test_the_import_refreshes_the_planner_statistics(tmp_path, tree):
    vendor = VendorFactory(slug="usaha-1")
    products = _csv(
        tmp_path / "products.csv",
        ["slug", "vendor", "category", "name", "price"],
        [["impor-1", vendor.slug, "amplang", "Amplang Impor", "35000"]],
    )
    with CaptureQueriesContext(connection) as captured:
        import_catalogue(products=products)
    assert any(q["sql"].strip().upper().startswith("ANALYZE") for q in captured.captured_queries)

    with CaptureQueriesContext(connection) as captured:
        import_catalogue(products=products, dry_run=True)
    assert not any("ANALYZE" in q["sql"].upper() for q in captured.captured_queries)
