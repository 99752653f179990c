"""The demo data: products/demo_data.py and the seed_demo command."""

import io

import pytest
from django.core.management import call_command
from PIL import Image

from products import search
from products.demo_data import DemoCatalogue
from products.management.commands import seed_demo
from products.models import Category, Product, Status
from tests.factories import ProductFactory, product_indexes
from vendors.models import District, Vendor
from vendors.phone import normalize_whatsapp

pytestmark = pytest.mark.django_db


def seed(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def pictures(monkeypatch):
    """Record the pictures seed_demo attaches instead of processing them:
    every picture goes through the upload path (re-encoding, renditions),
    which takes most of a second each; test_demo_picture_goes_through_the_upload_path
    runs that path for one."""
    attached = {}
    monkeypatch.setattr(
        seed_demo, "attach_picture", lambda product, data: attached.setdefault(product.slug, data)
    )
    return attached


@pytest.fixture
def no_pictures(monkeypatch, pictures):
    """As ``pictures``, without even drawing them (for tests about rows)."""
    monkeypatch.setattr(DemoCatalogue, "picture", lambda self, row: b"")
    return pictures


def test_seed_fills_an_empty_database_with_a_believable_catalogue(pictures):
    seed()

    vendors = Vendor.objects.all()
    assert vendors.count() >= 40
    assert set(vendors.values_list("district__slug", flat=True)) == set(
        District.objects.values_list("slug", flat=True)
    )
    assert District.objects.count() == 6
    for number in vendors.values_list("whatsapp", flat=True):
        assert normalize_whatsapp(number) == number
    assert vendors.filter(address__startswith="Jl. ").count() >= 35

    assert Category.objects.filter(parent__isnull=True).count() >= 4
    assert Category.objects.filter(parent__slug="makanan-minuman", slug="amplang-kerupuk").exists()
    products = Product.objects.all()
    assert products.count() >= 250
    assert Product.objects.visible().count() >= 240
    assert products.filter(status=Status.DRAFT).exists() and products.filter(status=Status.ARCHIVED).exists()
    assert products.filter(featured=True, status=Status.PUBLISHED).exists()
    assert products.filter(export_ready=True).exists()
    assert products.filter(halal=True, pirt=True).exists()
    assert products.filter(name__icontains="lempok durian").exists()
    assert products.filter(name__icontains="kuntul perak").exists()
    assert products.filter(category__parent__slug="kerajinan").count() >= 20

    # Every product of the base catalogue gets its own 1200 x 900 JPEG.
    assert set(pictures) == set(products.values_list("slug", flat=True))
    assert len(set(pictures.values())) == len(pictures)
    for data in pictures.values():
        with Image.open(io.BytesIO(data)) as picture:
            assert (picture.format, picture.size) == ("JPEG", (960, 720))

    # The search index is filled.
    assert search.matching(Product.objects.visible(), "amplang").count() >= 5


def test_demo_picture_goes_through_the_upload_path():
    product = ProductFactory(name="Lempok Durian Asli", category__slug="lempok-manisan")
    row = {"slug": product.slug, "name": product.name, "category": "lempok-manisan"}

    seed_demo.attach_picture(product, DemoCatalogue(42).picture(row))

    image = product.images.get()
    assert (image.width, image.height) == (960, 720)
    assert image.image.storage.exists(image.image.name)


def test_a_second_run_leaves_a_filled_database_alone(no_pictures):
    seed()
    count = Product.objects.count()

    out, _err = seed()

    assert "sudah berisi" in out
    assert Product.objects.count() == count


def test_force_on_a_seeded_database_changes_nothing(no_pictures):
    seed()
    stamps = dict(Product.objects.values_list("slug", "updated_at"))

    seed("--force")

    assert dict(Product.objects.values_list("slug", "updated_at")) == stamps


def test_same_seed_gives_the_same_catalogue_and_pictures():
    one, two = DemoCatalogue(7), DemoCatalogue(7)
    rows = [(p["slug"], p["name"], p["price"], p["unit"]) for p in one.products()]
    assert rows == [(p["slug"], p["name"], p["price"], p["unit"]) for p in two.products()]
    assert [v["whatsapp"] for v in one.vendors()] == [v["whatsapp"] for v in two.vendors()]
    extra = [(p["name"], p["price"]) for p in one.extra_products(300, 30)]
    assert extra == [(p["name"], p["price"]) for p in two.extra_products(300, 30)]
    product = one.products()[10]
    assert one.picture(product) == two.picture(product)

    other = DemoCatalogue(8)
    assert [p["price"] for p in other.products()] != [p["price"] for p in one.products()]


def test_seeded_database_matches_the_catalogue_of_its_seed(no_pictures):
    seed("--seed", "7")
    expected = {(p["slug"], p["name"], p["price"]) for p in DemoCatalogue(7).products()}
    assert set(Product.objects.values_list("slug", "name", "price")) == expected


def test_products_option_scales_up_with_extra_vendors_and_progress(no_pictures):
    _out, err = seed("--products", "1200")

    assert Product.objects.count() == 1200
    base = len(DemoCatalogue(42).products())
    assert len(no_pictures) == base  # only the base catalogue gets pictures
    extra_vendors = Vendor.objects.exclude(slug__in=[v["slug"] for v in DemoCatalogue(42).vendors()])
    assert extra_vendors.count() == -(-(1200 - base) // 10)
    assert extra_vendors.values("district").distinct().count() == 6
    assert "100%" in err
    # Names vary: the generated products are not copies of a few names.
    assert Product.objects.values("name").distinct().count() > 300


@pytest.mark.backend("postgresql")
def test_seeding_an_empty_database_builds_every_index_again_after_the_rows(no_pictures):
    """On PostgreSQL seed_demo drops the products' plain indexes for the bulk
    load and builds them once at the end (products.importer.indexes_built_after)."""
    before = product_indexes()
    assert len(before) > 10  # the migrations' indexes are there to start with
    seed("--products", "400")
    assert product_indexes() == before
    assert Product.objects.filter(top_category__isnull=False).count() == 400


def test_a_failed_seed_leaves_no_rows_and_every_index(monkeypatch, no_pictures):
    """All or nothing: a failure inside the load rolls back the rows and, on
    PostgreSQL, the dropped indexes with them."""
    before = product_indexes()

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(seed_demo.search, "reindex", fail)
    with pytest.raises(RuntimeError):
        seed("--products", "300")
    assert Product.objects.count() == 0
    assert product_indexes() == before
