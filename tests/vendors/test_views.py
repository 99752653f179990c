"""The vendor directory and the vendor pages, through the test client."""

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from products.models import Status
from tests.factories import CategoryFactory, ProductFactory, VendorFactory, district
from umkm_directory import pagination
from vendors.models import Vendor

pytestmark = pytest.mark.django_db


@pytest.fixture
def vendors():
    ani = VendorFactory(
        name="Amplang Bu Ani",
        slug="amplang-bu-ani",
        district=district("balikpapan-barat"),
        whatsapp="+62 812-3456-7890",
        description="Amplang ikan tenggiri sejak 1998.",
    )
    rotan = VendorFactory(name="Rotan Lamaru", slug="rotan-lamaru", district=district("balikpapan-timur"))
    closed = VendorFactory(name="Amplang Tutup", slug="amplang-tutup", active=False)
    return {"ani": ani, "rotan": rotan, "closed": closed}


def card_names(response):
    return re.findall(r'class="vendor-card__name"><a href="[^"]+">([^<]+)</a>', response.content.decode())


def test_directory_lists_active_vendors(client, vendors):
    response = client.get("/vendors/")
    assert response.status_code == 200
    assert card_names(response) == ["Amplang Bu Ani", "Rotan Lamaru"]
    assert "Amplang Tutup" not in response.content.decode()


def test_directory_searches_by_name_and_district(client, vendors):
    assert card_names(client.get("/vendors/", {"q": "amplang"})) == ["Amplang Bu Ani"]
    assert card_names(client.get("/vendors/", {"district": "balikpapan-timur"})) == ["Rotan Lamaru"]
    assert card_names(client.get("/vendors/", {"q": "rotan", "district": "balikpapan-barat"})) == []


@pytest.mark.parametrize(
    "params",
    [
        {"district": "jakarta"},
        {"q": "x" * 10_000},
        {"q": "' OR 1=1 --"},
        {"q": "<script>alert(1)</script>"},
        {"page": "abc"},
        {"q": "\x00"},
    ],
)
def test_directory_survives_bad_input(client, vendors, params):
    response = client.get("/vendors/", params)
    assert response.status_code == 200
    assert b"<script>alert(1)</script>" not in response.content


def test_directory_paginates_keeping_the_filters(client, vendors):
    VendorFactory.create_batch(30, district=district("balikpapan-utara"))
    response = client.get("/vendors/", {"district": "balikpapan-utara"})
    assert len(card_names(response)) == 24
    link = unescape(re.search(r'rel="next" href="([^"]+)"', response.content.decode()).group(1))
    assert parse_qs(urlsplit(link).query) == {"district": ["balikpapan-utara"], "page": ["2"]}
    assert len(card_names(client.get("/vendors/" + link))) == 6
    past = client.get("/vendors/", {"district": "balikpapan-utara", "page": "3"})
    assert past.status_code == 404
    assert "Kembali ke halaman pertama" in past.content.decode()


@pytest.mark.parametrize("marked", [False, True], ids=["ends", "marks"])
def test_every_directory_page_lists_the_vendors_the_name_order_has_there(
    client, vendors, monkeypatch, marked
):
    """The pages nearer the end are read from the end and turned round, and
    with ``marked`` those in the middle start from the nearest mark, every
    30th vendor (umkm_directory.pagination.reading()): every page, the last
    and a short last one included, holds what the name order (then the id,
    for equal names) has there."""
    if marked:
        monkeypatch.setattr(pagination, "MARK_EVERY", 30)
        monkeypatch.setattr(pagination, "MARKS_FROM", 24)
    north, town = district("balikpapan-utara"), district("balikpapan-kota")
    for i in range(100):
        VendorFactory(name=f"Usaha {i % 7}", district=north if i % 3 else town)
    for params in ({}, {"district": "balikpapan-utara"}):
        everyone = Vendor.objects.active().order_by("name", "id")
        if params:
            everyone = everyone.filter(district__slug=params["district"])
        expected = [vendor.get_absolute_url() for vendor in everyone]
        shown, page = [], 1
        while (response := client.get("/vendors/", {**params, "page": page})).status_code == 200:
            shown.append(re.findall(r'vendor-card__name"><a href="([^"]+)"', response.content.decode()))
            page += 1
        assert len(shown) == -(-len(expected) // 24) >= 3, params
        assert shown == [expected[start : start + 24] for start in range(0, len(expected), 24)], params


def test_vendor_page_shows_its_visible_products_and_whatsapp(client, vendors):
    category = CategoryFactory()
    ProductFactory(name="Amplang Tenggiri", vendor=vendors["ani"], category=category)
    ProductFactory(name="Amplang Draf", vendor=vendors["ani"], category=category, status=Status.DRAFT)
    ProductFactory(name="Amplang Lama", vendor=vendors["ani"], category=CategoryFactory(active=False))
    response = client.get("/vendors/amplang-bu-ani/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Amplang Bu Ani" in body and "Balikpapan Barat" in body
    assert "Amplang Tenggiri" in body
    assert "Amplang Draf" not in body and "Amplang Lama" not in body
    assert "Produk (1)" in body
    href = unescape(re.search(r'href="(https://wa\.me/[^"]+)"', body).group(1))
    assert urlsplit(href).path == "/6281234567890"
    assert "Amplang Bu Ani" in parse_qs(urlsplit(href).query)["text"][0]


def test_vendor_page_paginates_its_products(client, vendors):
    ProductFactory.create_batch(30, vendor=vendors["rotan"], category=CategoryFactory())
    first = client.get("/vendors/rotan-lamaru/")
    assert first.content.decode().count('class="card"') == 24
    assert "Produk (30)" in first.content.decode()
    second = client.get("/vendors/rotan-lamaru/", {"page": "2"})
    assert second.content.decode().count('class="card"') == 6
    assert client.get("/vendors/rotan-lamaru/", {"page": "3"}).status_code == 404
    assert client.get("/vendors/rotan-lamaru/", {"page": "abc"}).status_code == 200
    assert client.get("/vendors/rotan-lamaru/", {"page": "002"}).content.decode().count('class="card"') == 6


@pytest.mark.parametrize("page", ["0", "1000000001", "999999999999999999", "9" * 40])
def test_a_vendor_page_number_past_any_end_is_a_404_not_an_error(client, vendors, page):
    """A page's offset is computed before its products are counted: a huge
    number must not reach the database (a 64-bit overflow on PostgreSQL)."""
    ProductFactory(vendor=vendors["rotan"], category=CategoryFactory())
    response = client.get("/vendors/rotan-lamaru/", {"page": page})
    assert response.status_code == 404
    assert "Kembali ke halaman pertama" in response.content.decode()


def test_vendor_without_products_says_so(client, vendors):
    response = client.get("/vendors/rotan-lamaru/")
    assert response.status_code == 200
    assert "belum menampilkan produk" in response.content.decode()


@pytest.mark.parametrize("slug", ["amplang-tutup", "tidak-ada"])
def test_inactive_or_unknown_vendor_is_404(client, vendors, slug):
    assert client.get(f"/vendors/{slug}/").status_code == 404


def _queries(client, url):
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    ("url", "budget"), [("/vendors/rotan-lamaru/", 2), ("/vendors/?district=balikpapan-timur", 3)]
)
def test_vendor_pages_need_few_queries_whatever_their_size(client, vendors, url, budget):
    category = CategoryFactory()
    ProductFactory.create_batch(5, vendor=vendors["rotan"], category=category)
    VendorFactory.create_batch(5, district=district("balikpapan-timur"))
    few = _queries(client, url)
    ProductFactory.create_batch(25, vendor=vendors["rotan"], category=category)
    VendorFactory.create_batch(25, district=district("balikpapan-timur"))
    many = _queries(client, url)
    assert few == many <= budget


def directory_count(client, url):
    page = client.get(url).content.decode()
    return int(re.search(r'class="results-count">([\d.]+) usaha', page).group(1).replace(".", ""))


def test_the_directorys_count_is_counted_once_and_follows_every_edit(client, vendors):
    url = "/vendors/?district=balikpapan-timur"
    VendorFactory.create_batch(30, district=district("balikpapan-timur"))
    cache.clear()
    before = directory_count(client, url)

    # Another page of the same directory: the districts and the page, no COUNT.
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url + "&page=2").status_code == 200
    assert not [q for q in captured if "COUNT(" in q["sql"].upper()]

    # A new vendor, then one closed: the next request counts again.
    added = VendorFactory(district=district("balikpapan-timur"))
    assert directory_count(client, url) == before + 1
    added.active = False
    added.save()
    assert directory_count(client, url) == before
