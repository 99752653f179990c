"""Site-wide pages: home, sitemap, robots.txt, error pages, the language
switch and the weight of every page's CSS and JavaScript."""

import re
import xml.etree.ElementTree as ET
from html import unescape
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.views.defaults import server_error

from products.models import Status
from tests.factories import CategoryFactory, ProductFactory, VendorFactory

pytestmark = pytest.mark.django_db

SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture
def site_data():
    food = CategoryFactory(name="Makanan & Minuman", slug="makanan-minuman", position=1)
    snacks = CategoryFactory(name="Amplang", slug="amplang", parent=food)
    craft = CategoryFactory(name="Kerajinan", slug="kerajinan", position=2)
    old = CategoryFactory(name="Kategori Arsip", slug="kategori-arsip", active=False)
    ani = VendorFactory(name="Amplang Bu Ani", slug="amplang-bu-ani")
    closed = VendorFactory(name="Usaha Tutup", slug="usaha-tutup", active=False)
    ProductFactory(
        name="Amplang Tenggiri", slug="amplang-tenggiri", vendor=ani, category=snacks, featured=True
    )
    ProductFactory(name="Kue Bingka", slug="kue-bingka", vendor=ani, category=food)
    ProductFactory(name="Tas Rotan", slug="tas-rotan", vendor=ani, category=craft)
    ProductFactory(name="Amplang Draf", slug="amplang-draf", vendor=ani, category=snacks, status=Status.DRAFT)
    ProductFactory(name="Amplang Tutup", slug="amplang-tutup", vendor=closed, category=snacks, featured=True)
    ProductFactory(name="Barang Arsip", slug="barang-arsip", vendor=ani, category=old)
    return {"ani": ani}


def body(response):
    return response.content.decode()


# --- home ----------------------------------------------------------------------


def test_home_has_search_tiles_with_counts_products_and_districts(client, site_data):
    response = client.get("/")
    assert response.status_code == 200
    page = unescape(body(response))
    assert re.search(r'<form[^>]*role="search"[^>]*action="/products/"', page)
    tiles = dict(
        re.findall(
            r'href="/categories/([^/]+)/"><span class="tile__name">[^<]+</span> '
            r'<span class="tile__count">(\d+)',
            page,
        )
    )
    # Subcategories count in their parent; hidden products and categories do not count.
    assert tiles == {"makanan-minuman": "2", "kerajinan": "1"}
    assert "Amplang Tenggiri" in page  # featured and newest
    for hidden in ("Amplang Draf", "Amplang Tutup", "Barang Arsip", "Kategori Arsip"):
        assert hidden not in page
    districts = re.findall(r'href="/products/\?district=([a-z-]+)"', page)
    assert len(districts) == 6 and "balikpapan-utara" in districts


def test_home_query_count_is_constant(client, site_data):
    def queries():
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/").status_code == 200
        return len(captured)

    few = queries()
    ProductFactory.create_batch(30, vendor=site_data["ani"], category=CategoryFactory(), featured=True)
    assert queries() == few <= 8
    client.get("/")
    with CaptureQueriesContext(connection) as captured:
        client.get("/")
    assert len(captured) == 0  # everything on it is cached under the catalogue version


def test_home_shows_an_edit_on_the_next_request(client, site_data):
    assert "Kopi Sepinggan" not in body(client.get("/"))
    product = ProductFactory(
        name="Kopi Sepinggan", vendor=site_data["ani"], category=CategoryFactory(), featured=True
    )
    assert "Kopi Sepinggan" in body(client.get("/"))
    product.unpublish()
    assert "Kopi Sepinggan" not in body(client.get("/"))


# --- sitemap and robots --------------------------------------------------------


def _locations(client, url):
    response = client.get(url)
    assert response.status_code == 200
    root = ET.fromstring(response.content)  # noqa: S314 (our own response)
    return [loc.text for loc in root.iterfind(".//sm:loc", SITEMAP_NS)]


def test_sitemap_lists_every_public_page_and_nothing_hidden(client, site_data):
    sections = _locations(client, "/sitemap.xml")
    assert sections and all("/sitemap-" in url for url in sections)
    urls = [
        url for section in sections for url in _locations(client, section.replace("http://testserver", ""))
    ]
    paths = {re.sub(r"^https?://[^/]+", "", url) for url in urls}
    assert {"/", "/products/", "/vendors/"} <= paths
    assert {"/products/amplang-tenggiri/", "/products/kue-bingka/", "/products/tas-rotan/"} <= paths
    assert {"/categories/makanan-minuman/", "/categories/amplang/", "/categories/kerajinan/"} <= paths
    assert "/vendors/amplang-bu-ani/" in paths
    for hidden in ("amplang-draf", "amplang-tutup", "barang-arsip", "kategori-arsip", "usaha-tutup"):
        assert not any(hidden in path for path in paths)


def test_sitemap_is_split_into_pages(client, site_data, monkeypatch):
    from products import sitemaps

    monkeypatch.setattr(sitemaps.ProductSitemap, "limit", 2)
    sections = _locations(client, "/sitemap.xml")
    product_pages = [url for url in sections if "sitemap-products" in url]
    assert len(product_pages) == 2 and product_pages[1].endswith("?p=2")


def _index_lastmods(client):
    root = ET.fromstring(client.get("/sitemap.xml").content)  # noqa: S314 (our own response)
    return {
        entry.findtext("sm:loc", namespaces=SITEMAP_NS).rsplit("/", 1)[-1]: entry.findtext(
            "sm:lastmod", namespaces=SITEMAP_NS
        )
        for entry in root.iterfind("sm:sitemap", SITEMAP_NS)
    }


def test_sitemap_index_dates_each_section_by_its_newest_public_change(client, site_data):
    """The index's lastmod of a section is the newest change among the
    public items only: editing a draft or a closed vendor later does not
    move it."""
    from products.models import Product
    from vendors.models import Vendor

    later = "2031-05-05T12:00:00Z"
    Product.objects.filter(slug="amplang-draf").update(updated_at=later)
    Product.objects.filter(slug="kue-bingka").update(updated_at="2030-04-04T12:00:00Z")
    Vendor.objects.filter(slug="usaha-tutup").update(updated_at=later)
    Vendor.objects.filter(slug="amplang-bu-ani").update(updated_at="2029-03-03T12:00:00Z")
    lastmods = _index_lastmods(client)
    assert lastmods["sitemap-products.xml"].startswith("2030-04-04")
    assert lastmods["sitemap-vendors.xml"].startswith("2029-03-03")
    assert lastmods["sitemap-categories.xml"] is None


def test_sitemap_index_does_not_read_the_products_one_by_one(client, site_data):
    """At 1,000,000 products, reading every product for the index's lastmod
    took 11 s and 594 MB in one worker: the index makes no model instance."""
    from django.db.models.signals import post_init

    from products.models import Product
    from vendors.models import Vendor

    ProductFactory.create_batch(5, vendor=site_data["ani"])
    made = []

    def count(sender, **kwargs):
        made.append(sender)

    for model in (Product, Vendor):
        post_init.connect(count, sender=model, dispatch_uid=f"test-count-{model.__name__}")
    try:
        response = client.get("/sitemap.xml")
    finally:
        for model in (Product, Vendor):
            post_init.disconnect(sender=model, dispatch_uid=f"test-count-{model.__name__}")
    assert response.status_code == 200
    assert made == []


def test_robots_txt_points_to_the_sitemap_without_a_query(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = body(response)
    assert "Disallow: /admin/" in text
    assert "Sitemap: http://testserver/sitemap.xml" in text


def test_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert finders.find("favicon.ico")


# --- error pages -----------------------------------------------------------------


def test_404_page_is_in_the_site_style(client, site_data):
    response = client.get("/tidak-ada-di-sini/")
    assert response.status_code == 404
    page = body(response)
    assert "Halaman tidak ditemukan" in page
    assert 'class="site-header"' in page and 'href="/products/"' in page


def test_500_page_needs_neither_context_nor_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    page = body(response)
    assert "Maaf, terjadi gangguan" in page
    assert "css/site.css" in page
    assert "Maaf" in render_to_string("500.html")


# --- language ------------------------------------------------------------------


def test_indonesian_by_default_even_for_english_browsers(client, site_data):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="id">' in body(response)
    assert "Produk terbaru" in body(response)


def test_language_switch_is_a_form_that_works_without_javascript(client, site_data):
    page = body(client.get("/products/?q=amplang"))
    form = re.search(
        r'<form class="lang-switch" action="/i18n/setlang/" method="post">(.*?)</form>', page, re.S
    )
    assert form
    assert 'name="next" value="/products/?q=amplang"' in form.group(1)
    assert 'name="language" value="en"' in form.group(1)


def test_the_language_switch_needs_no_token_and_stays_on_the_site(site_data):
    """The switch carries no per-visitor token (public pages stay the same for
    everyone); all it can do is choose the visitor's language, and its
    ``next`` never leads off the site."""
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/products/?q=amplang"})
    assert response.status_code == 302 and response["Location"] == "/products/?q=amplang"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en">' in body(client.get("/"))
    away = client.post(reverse("set_language"), {"language": "en", "next": "https://evil.example/"})
    assert away.status_code == 302 and away["Location"] == "/"
    unknown = client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert settings.LANGUAGE_COOKIE_NAME not in unknown.cookies
    # A GET changes nothing.
    client.get(reverse("set_language"), {"language": "id", "next": "/"})
    assert '<html lang="en">' in body(client.get("/"))
    # The admin still refuses a POST without its token.
    assert client.post(reverse("admin:login"), {"username": "x", "password": "y"}).status_code == 403


def test_switching_to_english_translates_the_pages(client, site_data):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/products/?q=amplang"})
    assert response.status_code == 302 and response["Location"] == "/products/?q=amplang"
    for url in ("/", "/products/", "/products/amplang-tenggiri/", "/vendors/", "/vendors/amplang-bu-ani/"):
        page = body(client.get(url))
        assert '<html lang="en">' in page, url
    home = body(client.get("/"))
    assert "Newest products" in home and "Browse categories" in home
    assert "Search" in body(client.get("/products/"))
    assert "Order via WhatsApp" in body(client.get("/products/amplang-tenggiri/"))
    client.post(reverse("set_language"), {"language": "id", "next": "/"})
    assert '<html lang="id">' in body(client.get("/"))


# --- weight and accessibility basics -----------------------------------------------


@pytest.mark.parametrize(
    "url", ["/", "/products/", "/products/kue-bingka/", "/vendors/", "/vendors/amplang-bu-ani/"]
)
def test_css_and_js_of_every_page_stay_under_50_kb(client, site_data, url):
    page = body(client.get(url))
    assets = re.findall(r'<link rel="stylesheet" href="/static/([^"]+)"', page)
    assets += re.findall(r'<script src="/static/([^"]+)"', page)
    assert assets, "no stylesheet found"
    assert not re.search(r'<(?:link rel="stylesheet"|script)[^>]+(?:href|src)="https?://', page), "no CDN"
    total = sum(Path(finders.find(asset)).stat().st_size for asset in assets)
    assert total < 50 * 1024


@pytest.mark.parametrize(
    "url", ["/", "/products/", "/products/kue-bingka/", "/vendors/", "/vendors/amplang-bu-ani/"]
)
def test_pages_have_landmarks_a_skip_link_and_no_inline_script_or_style(client, site_data, url):
    page = body(client.get(url))
    assert '<a class="skip-link" href="#main">' in page and '<main id="main"' in page
    for landmark in ("<header", "<nav", "<footer"):
        assert landmark in page
    assert " style=" not in page and "<style" not in page
    inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page)
    assert all('type="application/ld+json"' in attrs for attrs in inline_scripts)
