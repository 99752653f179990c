"""products.cache: the catalogue version moves on with every public change,
so cached counts are right on the next request; on local memory and Redis."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import cache as django_cache
from django.core.cache import caches
from django.db import transaction
from django.http import QueryDict

from products import cache
from products.filters import ProductFilter
from products.models import Product, Status
from tests.factories import CategoryFactory, ProductFactory, VendorFactory

pytestmark = pytest.mark.django_db


def count(query=""):
    return ProductFilter(QueryDict(query)).count()


def test_bump_moves_the_version_on(any_cache):
    first = cache.version()
    assert cache.version() == first
    cache.bump()
    assert cache.version() > first


def test_keys_carry_the_version_and_the_parameters(any_cache):
    key = cache.key("counts", {"district": 3, "cert": ["halal"]})
    assert key == cache.key("counts", {"cert": ["halal"], "district": 3})  # normalised
    assert key != cache.key("counts", {"district": 4, "cert": ["halal"]})
    cache.bump()
    assert key != cache.key("counts", {"district": 3, "cert": ["halal"]})


def test_get_or_compute_computes_once_per_version(any_cache):
    calls = []

    def compute():
        calls.append(1)
        return {"total": len(calls)}

    assert cache.get_or_compute("thing", compute) == {"total": 1}
    assert cache.get_or_compute("thing", compute) == {"total": 1}
    cache.bump()
    assert cache.get_or_compute("thing", compute) == {"total": 2}


def test_a_value_read_once_is_kept_by_the_process_until_the_version_moves(any_cache, monkeypatch):
    """The few values every page asks (tree, districts, counts) are asked of
    the shared cache once per process and version, not on every request."""
    cache.get_or_compute("tree", lambda: ["makanan", "kerajinan"])
    cache._LOCAL.clear()  # as in another process: only the shared cache has it
    reads = []
    backend = caches["default"]
    get = backend.get
    monkeypatch.setattr(backend, "get", lambda *args, **kwargs: reads.append(args) or get(*args, **kwargs))
    assert cache.get_or_compute("tree", lambda: ["not computed again"]) == ["makanan", "kerajinan"]
    assert cache.get_or_compute("tree", lambda: ["not computed again"]) == ["makanan", "kerajinan"]
    assert len([key for key, *rest in reads if "tree" in key]) == 1
    cache.bump()  # an edit, in any process: the next request reads new keys
    assert cache.get_or_compute("tree", lambda: ["makanan"]) == ["makanan"]


def test_a_value_computed_once_is_computed_by_one_of_several_concurrent_requests(any_cache):
    """After an edit every request misses the cube at once: one computes it,
    the others wait for its result instead of running the same query."""
    calls = []
    started = threading.Barrier(4)

    def compute():
        calls.append(1)
        time.sleep(0.3)  # a slow aggregate: the other requests arrive meanwhile
        return {"cells": 7}

    def request():
        started.wait()
        cache._LOCAL.clear()  # each as in a process of its own
        return cache.get_or_compute("cube-like", compute, once=True)

    cache.version()  # a running site's version (and, on local memory, its stamp file) exists
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: request(), range(4)))
    assert results == [{"cells": 7}] * 4
    assert len(calls) == 1
    cache.bump()  # the next edit: computed again, once
    cache._LOCAL.clear()
    assert cache.get_or_compute("cube-like", compute, once=True) == {"cells": 7}
    assert len(calls) == 2


def test_a_request_waiting_for_a_value_computes_it_when_the_claimant_fails(any_cache):
    claim = cache.key("cube-like") + ":computing"
    django_cache.add(claim, 1)  # another process claimed it...
    threading.Timer(0.1, django_cache.delete, [claim]).start()  # ...and failed
    started = time.monotonic()
    assert cache.get_or_compute("cube-like", lambda: ["computed here"], once=True) == ["computed here"]
    assert time.monotonic() - started >= 0.1  # it waited for the claimant first


def test_a_request_waits_no_longer_than_once_wait_for_a_claimant(any_cache, monkeypatch):
    monkeypatch.setattr(cache, "ONCE_WAIT", 0.2)
    django_cache.add(cache.key("cube-like") + ":computing", 1, timeout=60)  # a claimant that hangs
    started = time.monotonic()
    assert cache.get_or_compute("cube-like", lambda: ["computed here"], once=True) == ["computed here"]
    assert 0.2 <= time.monotonic() - started < 2


def test_a_lost_version_key_never_comes_back_to_an_old_number(any_cache):
    old = cache.version()
    django_cache.delete(cache.VERSION_KEY)
    assert cache.version() != old


def test_counts_are_cached_until_something_changes(any_cache):
    product = ProductFactory(halal=True)
    assert count("cert=halal") == 1

    # A bulk write sends no signal: the cached count stays until a bump.
    Product.objects.filter(pk=product.pk).update(halal=False)
    assert count("cert=halal") == 1
    cache.bump()
    assert count("cert=halal") == 0


def test_a_product_edit_shows_on_the_next_call(any_cache):
    product = ProductFactory()
    assert count() == 1
    product.unpublish()
    assert count() == 0
    product.publish()
    assert count() == 1

    ProductFactory(status=Status.DRAFT)
    ProductFactory()
    assert count() == 2
    product.delete()
    assert count() == 1


def test_a_price_edit_shows_in_price_ranges_on_the_next_call(any_cache):
    product = ProductFactory(price=20000)
    ProductFactory(price=40000)
    assert (count("price_max=30000"), count("price_min=30000")) == (1, 1)
    product.price = 35000
    product.save()
    assert (count("price_max=30000"), count("price_min=30000")) == (0, 2)
    assert count("price_min=35000&price_max=35000") == 1


def test_vendor_and_category_changes_show_on_the_next_call(any_cache):
    product = ProductFactory()
    assert count() == 1

    vendor = product.vendor
    vendor.active = False
    vendor.save()
    assert count() == 0
    vendor.active = True
    vendor.save()
    assert count() == 1

    category = product.category
    category.active = False
    category.save()
    assert count() == 0
    assert ProductFilter().facets()["category"] == []


def test_new_categories_and_vendors_appear_in_facets_and_lookups(any_cache):
    ProductFactory(vendor=VendorFactory(slug="dapur-ani"))
    assert ProductFilter(QueryDict("vendor=dapur-ani")).count() == 1
    assert ProductFilter(QueryDict("vendor=dapur-budi")).messages  # not found, cached as such

    VendorFactory(slug="dapur-budi")
    CategoryFactory(slug="baru")
    filterset = ProductFilter(QueryDict("vendor=dapur-budi"))
    assert filterset.messages == []
    assert "baru" in [o.value for o in ProductFilter().facets()["category"]]


def test_the_version_moves_again_when_the_transaction_commits(any_cache, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        ProductFactory()
        during = cache.version()
    assert cache.version() > during


def test_category_tiles_count_products_with_subcategories(any_cache):
    food = CategoryFactory(name="Makanan", slug="makanan", position=1)
    snacks = CategoryFactory(name="Camilan", slug="camilan", parent=food)
    CategoryFactory(name="Kerajinan", slug="kerajinan", position=2)
    ProductFactory(category=food)
    ProductFactory(category=snacks)
    ProductFactory(category=snacks, status=Status.DRAFT)

    tiles = cache.category_tiles()

    assert [(t.name, t.count) for t in tiles] == [("Makanan", 2), ("Kerajinan", 0)]
    assert tiles[0].url == "/categories/makanan/"


def _cube_queries(query=""):
    """How many GROUP BY queries a count makes (the cube's, when it must be computed)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as done:
        result = count(query)
    return result, sum("GROUP BY" in q["sql"] for q in done.captured_queries)


def test_an_edit_that_changes_no_count_keeps_the_cube(any_cache):
    """A price, name or description saved (the admin's form: a whole save in
    a transaction) changes no count: the next page's counts come from the
    cube already computed, and the new price counts in price ranges at once."""
    product = ProductFactory(price=20000, halal=False)
    assert _cube_queries() == (1, 1)
    with transaction.atomic():
        edited = Product.objects.get(pk=product.pk)
        edited.price, edited.name, edited.description = 25000, "Amplang Baru", "Renyah."
        edited.save()
    assert _cube_queries() == (1, 0)
    assert count("price_min=25000") == 1
    Product.objects.get(pk=product.pk).save(update_fields=["price"])
    assert _cube_queries("cert=halal") == (0, 0)


@pytest.mark.parametrize(
    "change",
    [
        {"halal": True},
        {"availability": "soldout"},
        {"status": Status.DRAFT},
        {"category": "other"},
        {"vendor": "other"},
    ],
    ids=["flag", "availability", "status", "category", "vendor"],
)
def test_an_edit_of_what_is_counted_shows_in_the_counts_on_the_next_call(any_cache, change):
    from vendors.models import District

    product = ProductFactory(halal=False, availability="ready")
    other_category = CategoryFactory(slug="lain")
    other_vendor = VendorFactory(district=District.objects.create(slug="kota-lain", name="Kota Lain"))
    queries = ["", "cert=halal", "in_stock=1", "category=lain", "district=kota-lain"]
    before = [count(query) for query in queries]
    with transaction.atomic():
        edited = Product.objects.get(pk=product.pk)
        for field, value in change.items():
            if value == "other":
                value = {"category": other_category, "vendor": other_vendor}[field]
            setattr(edited, field, value)
        edited.save()
    after = [count(query) for query in queries]
    assert after != before
    expected = [ProductFilter(QueryDict(query)).qs.count() for query in queries]
    assert after == expected


@pytest.mark.django_db(transaction=True)
def test_a_whole_save_outside_a_transaction_retires_the_cube(any_cache):
    """Without the transaction (and its row lock) the stored columns are not
    compared: the counts are computed again, whatever changed."""
    product = ProductFactory()
    assert _cube_queries() == (1, 1)
    product.price += 1000
    product.save()
    assert _cube_queries() == (1, 1)


def test_a_picture_changes_no_count(any_cache, tmp_path, settings):
    from products.models import ProductImage

    product = ProductFactory()
    assert _cube_queries() == (1, 1)
    ProductImage.objects.create(product=product, image="products/x.jpg", width=10, height=10)
    assert _cube_queries() == (1, 0)
