"""The shopper's pages of the catalogue, through the test client: the
catalogue and its filters, category pages, the product page."""

import json
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from products.models import Availability, Status
from tests.factories import CategoryFactory, ProductFactory, VendorFactory, district

pytestmark = pytest.mark.django_db

LIST_URL = "/products/"


@pytest.fixture
def catalogue():
    """Five visible products in two top-level categories, and four that no
    shopper may see (draft, archived, closed vendor, inactive category)."""
    food = CategoryFactory(name="Makanan", slug="makanan", position=1)
    snacks = CategoryFactory(name="Amplang & Kerupuk", slug="amplang-kerupuk", parent=food)
    craft = CategoryFactory(name="Kerajinan", slug="kerajinan", position=2)
    old = CategoryFactory(name="Kategori Lama", slug="kategori-lama", active=False)
    old_sub = CategoryFactory(name="Sub Lama", slug="sub-lama", parent=old)
    ani = VendorFactory(
        name="Amplang Bu Ani",
        slug="amplang-bu-ani",
        district=district("balikpapan-barat"),
        whatsapp="0812-3456-7890",
    )
    rotan = VendorFactory(
        name="Rotan Lamaru", slug="rotan-lamaru", district=district("balikpapan-timur"), verified=False
    )
    closed = VendorFactory(name="Usaha Tutup", slug="usaha-tutup", active=False)
    products = {
        "amplang": ProductFactory(
            name="Amplang Ikan Tenggiri",
            slug="amplang-ikan-tenggiri",
            description="Renyah dan gurih.",
            vendor=ani,
            category=snacks,
            price=25000,
            halal=True,
            pirt=True,
            export_ready=True,
        ),
        "kerupuk": ProductFactory(
            name="Kerupuk Kepiting",
            slug="kerupuk-kepiting",
            description="Kerupuk dari kepiting bakau.",
            vendor=ani,
            category=snacks,
            price=15000,
            halal=True,
            availability=Availability.PREORDER,
        ),
        "bingka": ProductFactory(
            name="Kue Bingka", slug="kue-bingka", vendor=ani, category=food, price=40000, bpom=True
        ),
        "tas": ProductFactory(
            name="Tas Anyaman Rotan",
            slug="tas-anyaman-rotan",
            description="Anyaman rotan asli, cocok untuk oleh-oleh amplang.",
            vendor=rotan,
            category=craft,
            price=1250000,
            unit="1 buah",
            export_ready=True,
            sni=True,
        ),
        "gelang": ProductFactory(
            name="Gelang Manik",
            slug="gelang-manik",
            vendor=rotan,
            category=craft,
            price=75000,
            availability=Availability.SOLDOUT,
        ),
        # Never public:
        "draft": ProductFactory(
            name="Amplang Draf", slug="amplang-draf", vendor=ani, category=snacks, status=Status.DRAFT
        ),
        "archived": ProductFactory(
            name="Amplang Arsip", slug="amplang-arsip", vendor=ani, category=snacks, status=Status.ARCHIVED
        ),
        "closed": ProductFactory(name="Amplang Tutup", slug="amplang-tutup", vendor=closed, category=snacks),
        "old": ProductFactory(name="Amplang Lama", slug="amplang-lama", vendor=ani, category=old_sub),
    }
    return products


def html(response):
    return response.content.decode()


def result_names(response):
    """The product names listed in the results, in order."""
    body = html(response)
    match = re.search(r'<ul id="results"[^>]*>(.*?)</ul>\s*(?:<nav|</section>)', body, re.S)
    assert match, "no results list"
    return [unescape(name) for name in re.findall(r'class="card__name">([^<]+)<', match.group(1))]


def total_shown(response):
    """The total number of results the page states."""
    match = re.search(r'id="results-count">\s*([\d.,]+) produk', html(response))
    assert match, "no results count"
    return int(re.sub(r"[.,]", "", match.group(1)))


def get(client, url=LIST_URL, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return response


# --- the catalogue: visibility, cards, filters -----------------------------


def test_catalogue_lists_only_visible_products_with_their_total(client, catalogue):
    response = get(client)
    assert sorted(result_names(response)) == sorted(
        ["Amplang Ikan Tenggiri", "Kerupuk Kepiting", "Kue Bingka", "Tas Anyaman Rotan", "Gelang Manik"]
    )
    assert total_shown(response) == 5
    for hidden in ("Amplang Draf", "Amplang Arsip", "Amplang Tutup", "Amplang Lama", "Kategori Lama"):
        assert hidden not in html(response)


def test_a_card_links_to_the_product_with_price_and_vendor(client, catalogue):
    body = html(get(client, q="tas anyaman"))
    assert 'href="/products/tas-anyaman-rotan/"' in body
    assert "Rp 1.250.000" in body
    assert "Rotan Lamaru" in body
    assert "<img" in body


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"category": "makanan"}, {"Amplang Ikan Tenggiri", "Kerupuk Kepiting", "Kue Bingka"}),
        ({"category": "amplang-kerupuk"}, {"Amplang Ikan Tenggiri", "Kerupuk Kepiting"}),
        ({"district": "balikpapan-timur"}, {"Tas Anyaman Rotan", "Gelang Manik"}),
        ({"vendor": "amplang-bu-ani"}, {"Amplang Ikan Tenggiri", "Kerupuk Kepiting", "Kue Bingka"}),
        ({"price_min": "40000"}, {"Kue Bingka", "Tas Anyaman Rotan", "Gelang Manik"}),
        ({"price_max": "25000"}, {"Amplang Ikan Tenggiri", "Kerupuk Kepiting"}),
        ({"price_min": "25000", "price_max": "40000"}, {"Amplang Ikan Tenggiri", "Kue Bingka"}),
        ({"cert": "halal"}, {"Amplang Ikan Tenggiri", "Kerupuk Kepiting"}),
        ({"cert": ["halal", "pirt"]}, {"Amplang Ikan Tenggiri"}),
        ({"cert": "sni"}, {"Tas Anyaman Rotan"}),
        ({"export_ready": "1"}, {"Amplang Ikan Tenggiri", "Tas Anyaman Rotan"}),
        ({"in_stock": "1"}, {"Amplang Ikan Tenggiri", "Kue Bingka", "Tas Anyaman Rotan"}),
        ({"category": "makanan", "cert": "halal", "in_stock": "1"}, {"Amplang Ikan Tenggiri"}),
        (
            {"district": "balikpapan-barat", "export_ready": "1", "price_max": "30000"},
            {"Amplang Ikan Tenggiri"},
        ),
        ({"category": "kerajinan", "district": "balikpapan-barat"}, set()),
    ],
)
def test_each_filter_alone_and_combined_with_the_count(client, catalogue, params, expected):
    response = get(client, **params)
    assert set(result_names(response)) == expected
    assert total_shown(response) == len(expected)


def test_search_finds_by_name_prefix_and_all_words(client, catalogue):
    assert set(result_names(get(client, q="ampl"))) >= {"Amplang Ikan Tenggiri"}
    assert result_names(get(client, q="kerupuk kepiting")) == ["Kerupuk Kepiting"]
    assert result_names(get(client, q="kepiting tenggiri")) == []


def test_search_ranks_name_matches_first(client, catalogue):
    names = result_names(get(client, q="amplang"))
    # The bag mentions amplang only in its description; the vendor's name matches the others.
    assert names[0] == "Amplang Ikan Tenggiri"
    assert "Tas Anyaman Rotan" in names
    assert names.index("Amplang Ikan Tenggiri") < names.index("Tas Anyaman Rotan")


def test_search_combines_with_filters(client, catalogue):
    response = get(client, q="amplang", category="kerajinan")
    assert result_names(response) == ["Tas Anyaman Rotan"]
    assert total_shown(response) == 1


def test_search_never_shows_hidden_products(client, catalogue):
    names = result_names(get(client, q="amplang"))
    assert not {"Amplang Draf", "Amplang Arsip", "Amplang Tutup", "Amplang Lama"} & set(names)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (
            "price_asc",
            ["Kerupuk Kepiting", "Amplang Ikan Tenggiri", "Kue Bingka", "Gelang Manik", "Tas Anyaman Rotan"],
        ),
        (
            "price_desc",
            ["Tas Anyaman Rotan", "Gelang Manik", "Kue Bingka", "Amplang Ikan Tenggiri", "Kerupuk Kepiting"],
        ),
        (
            "name",
            ["Amplang Ikan Tenggiri", "Gelang Manik", "Kerupuk Kepiting", "Kue Bingka", "Tas Anyaman Rotan"],
        ),
        (
            "newest",
            ["Gelang Manik", "Tas Anyaman Rotan", "Kue Bingka", "Kerupuk Kepiting", "Amplang Ikan Tenggiri"],
        ),
    ],
)
def test_sort_orders(client, catalogue, sort, expected):
    assert result_names(get(client, sort=sort)) == expected


def test_newest_first_by_default(client, catalogue):
    assert result_names(get(client))[0] == "Gelang Manik"


def test_facet_options_show_counts_with_the_other_filters(client, catalogue):
    response = get(client, cert="halal")
    body = html(response)
    # District counts under the halal filter: both halal products are in Balikpapan Barat.
    assert re.search(r'value="balikpapan-barat"[^>]*>Balikpapan Barat \(2\)', body)
    # An option that would give nothing is disabled.
    assert re.search(r'value="balikpapan-timur" disabled>Balikpapan Timur \(0\)', body)
    assert re.search(r'name="cert" value="halal" checked', body)
    assert re.search(r'name="cert" value="sni" disabled', body)


def test_active_filters_show_as_chips_that_each_remove_one(client, catalogue):
    response = get(client, category="makanan", cert=["halal", "pirt"])
    body = unescape(html(response))
    chips = re.findall(r'<a class="chip" href="([^"]+)">', body)
    assert len(chips) == 3
    remaining = [parse_qs(urlsplit(href).query) for href in chips]
    assert {"cert": ["halal", "pirt"]} in remaining  # the category chip
    assert {"category": ["makanan"], "cert": ["pirt"]} in remaining  # the halal chip
    assert 'class="chip chip--reset" href="/products/"' in body


def test_pagination_keeps_the_filters_and_shows_24(client, catalogue):
    vendor = VendorFactory()
    category = CategoryFactory(slug="banyak")
    ProductFactory.create_batch(30, vendor=vendor, category=category, price=5000, halal=True)
    response = get(client, category="banyak", cert="halal", sort="name")
    assert len(result_names(response)) == 24
    assert total_shown(response) == 30
    next_link = unescape(re.search(r'rel="next" href="([^"]+)"', html(response)).group(1))
    assert parse_qs(urlsplit(next_link).query) == {
        "category": ["banyak"],
        "cert": ["halal"],
        "sort": ["name"],
        "page": ["2"],
    }
    second = client.get(LIST_URL + next_link)
    assert len(result_names(second)) == 6


def test_page_past_the_end_is_a_friendly_404_linking_to_page_one(client, catalogue):
    response = client.get(LIST_URL, {"page": "9999", "category": "makanan"})
    assert response.status_code == 404
    body = unescape(html(response))
    assert "Kembali ke halaman pertama" in body
    link = re.search(r'href="(/products/\?[^"]*)"[^>]*>Kembali ke halaman pertama', body).group(1)
    assert parse_qs(urlsplit(link).query) == {"category": ["makanan"]}


@pytest.mark.parametrize("page", ["999999999999999999", "9" * 40])
def test_a_page_number_past_any_catalogue_is_the_same_friendly_404(client, catalogue, page):
    for path in (LIST_URL, "/vendors/", "/categories/makanan/"):
        response = client.get(path, {"page": page})
        assert response.status_code == 404
        assert "Kembali ke halaman pertama" in unescape(html(response))


@pytest.mark.parametrize("page", ["abc", "", "1.5", "２"])
def test_a_page_that_is_not_a_number_shows_page_one(client, catalogue, page):
    response = client.get(LIST_URL, {"page": page})
    assert response.status_code == 200
    assert total_shown(response) == 5


@pytest.mark.parametrize(
    "params",
    [
        {"price_min": "abc"},
        {"price_min": "-5"},
        {"price_max": "1e9"},
        {"price_min": "99999999999999999999999999"},
        {"price_min": "50000", "price_max": "10000"},
        {"category": "tidak-ada"},
        {"district": "jakarta"},
        {"vendor": "tidak-ada"},
        {"cert": "palsu"},
        {"sort": "harga; DROP TABLE products_product"},
        {"q": "x" * 10_000},
        {"q": "\"amplang' OR 1=1 --"},
        {"q": "<script>alert(1)</script>"},
        {"q": 'NEAR(" amplang *'},
        {"q": "\x00"},
        {"export_ready": "ya", "in_stock": "<b>"},
        {"page": "-1"},
        {"page": "0"},
    ],
)
def test_bad_input_never_breaks_the_page(client, catalogue, params):
    response = client.get(LIST_URL, params)
    assert response.status_code in (200, 404)
    assert b"<script>alert(1)</script>" not in response.content


def test_bad_input_gets_a_clear_message(client, catalogue):
    body = html(get(client, price_min="abc", sort="acak"))
    assert 'class="notices"' in body
    assert total_shown(get(client, price_min="abc")) == 5


def test_swapped_prices_are_corrected(client, catalogue):
    response = get(client, price_min="40000", price_max="25000")
    assert set(result_names(response)) == {"Amplang Ikan Tenggiri", "Kue Bingka"}


def test_html_in_search_is_escaped(client, catalogue):
    body = html(get(client, q='"><img src=x onerror=alert(1)>'))
    assert "<img src=x" not in body
    assert "&lt;img src=x" in body or "&quot;&gt;&lt;img" in body


def test_no_results_offers_a_way_out(client, catalogue):
    response = get(client, q="amplang", district="balikpapan-utara")
    body = html(response)
    assert total_shown(response) == 0
    assert "Belum ada produk yang cocok" in body
    # A link that drops the district filter, and popular categories.
    assert re.search(r'href="/products/\?q=amplang"', body)
    assert 'href="/categories/makanan/"' in body


def test_the_filter_form_works_without_javascript(client, catalogue):
    body = html(get(client))
    form = re.search(r'<form class="filters" method="get" action="/products/"(.*?)</form>', body, re.S).group(
        1
    )
    assert 'type="submit"' in form
    for name in (
        "q",
        "category",
        "district",
        "price_min",
        "price_max",
        "cert",
        "export_ready",
        "in_stock",
        "sort",
    ):
        assert f'name="{name}"' in form
    # Every control has a label.
    for control_id in re.findall(r'<(?:input|select)[^>]* id="([^"]+)"', form):
        assert f'for="{control_id}"' in form


# --- category pages --------------------------------------------------------


def test_category_page_includes_subcategories_with_breadcrumbs(client, catalogue):
    response = get(client, "/categories/makanan/")
    assert set(result_names(response)) == {"Amplang Ikan Tenggiri", "Kerupuk Kepiting", "Kue Bingka"}
    body = html(response)
    assert '<nav class="breadcrumbs"' in body
    assert 'href="/categories/amplang-kerupuk/"' in body  # subcategory chip


def test_subcategory_page_has_its_parent_in_breadcrumbs(client, catalogue):
    response = get(client, "/categories/amplang-kerupuk/", cert="halal", sort="price_asc")
    assert result_names(response) == ["Kerupuk Kepiting", "Amplang Ikan Tenggiri"]
    assert 'href="/categories/makanan/"' in html(response)


def test_category_page_takes_the_same_filters(client, catalogue):
    response = get(client, "/categories/makanan/", in_stock="1", price_min="30000")
    assert result_names(response) == ["Kue Bingka"]
    assert total_shown(response) == 1


@pytest.mark.parametrize("slug", ["kategori-lama", "sub-lama", "tidak-ada"])
def test_hidden_or_unknown_category_is_404(client, catalogue, slug):
    assert client.get(f"/categories/{slug}/").status_code == 404


# --- the product page ------------------------------------------------------


def test_product_page_shows_what_a_shopper_needs(client, catalogue):
    body = html(get(client, "/products/tas-anyaman-rotan/"))
    assert "<h1" in body and "Tas Anyaman Rotan" in body
    assert "Rp 1.250.000" in body and "1 buah" in body
    assert "Sertifikat SNI" in body
    assert "Siap ekspor" in body
    assert "Stok tersedia" in body
    assert 'href="/vendors/rotan-lamaru/"' in body
    assert "Balikpapan Timur" in body
    assert '<nav class="breadcrumbs"' in body and 'href="/categories/kerajinan/"' in body


def test_verified_vendor_has_a_badge(client, catalogue):
    assert "Terverifikasi" in html(get(client, "/products/kue-bingka/"))
    assert "badge--verified" not in html(get(client, "/products/gelang-manik/"))


@pytest.mark.parametrize("key", ["draft", "archived", "closed", "old"])
def test_hidden_products_are_404(client, catalogue, key):
    assert client.get(catalogue[key].get_absolute_url()).status_code == 404


def test_unknown_product_is_404_in_the_site_style(client, catalogue):
    response = client.get("/products/tidak-ada/")
    assert response.status_code == 404
    assert "Halaman tidak ditemukan" in html(response)
    assert 'href="/products/"' in html(response)


def test_whatsapp_link_names_the_product_and_its_address(client, catalogue, settings):
    settings.SITE_URL = "https://etalase.example.id"
    body = html(get(client, "/products/amplang-ikan-tenggiri/"))
    href = unescape(re.search(r'href="(https://wa\.me/[^"]+)"[^>]*>Pesan via WhatsApp', body).group(1))
    parts = urlsplit(href)
    assert parts.path == "/6281234567890"
    text = parse_qs(parts.query)["text"][0]
    assert "Amplang Ikan Tenggiri" in text
    assert "https://etalase.example.id/products/amplang-ikan-tenggiri/" in text


def test_related_products_are_visible_ones_of_the_same_category(client, catalogue):
    response = get(client, "/products/amplang-ikan-tenggiri/")
    section = response.content.decode().split('id="related-title"', 1)[1]
    related = re.findall(r'class="card__name">([^<]+)<', section)
    assert related == ["Kerupuk Kepiting"]


def test_json_ld_is_a_valid_product_with_an_offer_in_rupiah(client, catalogue):
    catalogue["tas"].description = "</script><script>alert('x')</script>"
    catalogue["tas"].save()
    body = html(get(client, "/products/tas-anyaman-rotan/"))
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', body, re.S)
    assert len(blocks) == 1
    data = json.loads(blocks[0])
    assert data["@type"] == "Product"
    assert data["name"] == "Tas Anyaman Rotan"
    assert data["offers"]["@type"] == "Offer"
    assert data["offers"]["priceCurrency"] == "IDR"
    assert data["offers"]["price"] == "1250000"
    assert data["offers"]["availability"] == "https://schema.org/InStock"
    assert data["description"] == "</script><script>alert('x')</script>"
    assert "<script>alert" not in body


def test_open_graph_tags_for_sharing(client, catalogue, settings):
    settings.SITE_URL = "https://etalase.example.id"
    body = html(get(client, "/products/kue-bingka/"))
    tags = dict(re.findall(r'<meta property="(og:[a-z:]+)" content="([^"]*)"', body))
    assert tags["og:type"] == "product"
    assert "Kue Bingka" in tags["og:title"]
    assert tags["og:url"] == "https://etalase.example.id/products/kue-bingka/"
    assert tags["og:image"].startswith("https://etalase.example.id/")
    assert "og:description" in tags
    assert '<meta name="twitter:card" content="summary_large_image">' in body


# --- the number of queries ---------------------------------------------------


def _queries(client, url):
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def _grow_catalogue(n):
    vendor = VendorFactory()
    category = CategoryFactory(slug="tumbuh", name="Tumbuh")
    ProductFactory.create_batch(n, vendor=vendor, category=category, halal=True)
    return vendor


@pytest.mark.parametrize(
    ("url", "budget"),
    [
        ("/products/", 8),
        ("/products/?q=produk&category=tumbuh&cert=halal&sort=price_asc&page=1", 8),
        ("/categories/tumbuh/?in_stock=1&district=balikpapan-kota", 8),
        ("/products/produk-detail-uji/", 2),
    ],
)
def test_query_count_is_small_and_constant(client, catalogue, url, budget, django_assert_max_num_queries):
    vendor = _grow_catalogue(5)
    ProductFactory(slug="produk-detail-uji", vendor=vendor, category=vendor.products.first().category)
    few = _queries(client, url)
    _grow_catalogue_more(vendor, 25)
    many = _queries(client, url)
    assert few == many
    cache.clear()
    with django_assert_max_num_queries(budget):
        client.get(url)


def _grow_catalogue_more(vendor, n):
    ProductFactory.create_batch(n, vendor=vendor, category=vendor.products.first().category, halal=True)


def test_cached_catalogue_needs_at_most_three_queries(client, catalogue, django_assert_max_num_queries):
    _grow_catalogue(30)
    client.get("/products/?category=tumbuh")
    with django_assert_max_num_queries(3):
        client.get("/products/?category=tumbuh&page=2")


def test_prices_follow_the_language(client, catalogue):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = html(get(client, "/products/tas-anyaman-rotan/"))
    assert "Rp 1,250,000" in body
    card = html(get(client, q="tas anyaman"))  # a card's price too
    assert "Rp 1,250,000" in card and "Rp 1.250.000" not in card


def test_product_pages_show_their_own_pictures_whether_or_not_related_products_are_cached(
    client, settings, tmp_path
):
    """The first product page of a category loads the category's related cards
    with its pictures; the next ones read them from the cache and load only
    their own pictures (a separate, prepared query)."""
    from PIL import Image

    from products.images import attach_image
    from tests.factories import CategoryFactory, ProductFactory

    settings.MEDIA_ROOT = tmp_path / "media"
    category = CategoryFactory(slug="anyaman", name="Anyaman")
    first = ProductFactory(slug="tas-rotan", name="Tas Rotan", category=category)
    second = ProductFactory(slug="topi-purun", name="Topi Purun", category=category)
    attach_image(first, Image.new("RGB", (320, 240), (200, 40, 40)), alt="Tas rotan merah")
    attach_image(second, Image.new("RGB", (320, 240), (40, 40, 200)), alt="Topi purun biru")

    pages = [
        (first, "Tas rotan merah", "Topi purun biru", "Topi Purun"),
        (second, "Topi purun biru", "Tas rotan merah", "Tas Rotan"),
    ]
    for product, alt, other_alt, other_name in pages:
        html = client.get(product.get_absolute_url()).content.decode()
        gallery = html.split('class="gallery"', 1)[1].split("</ul>", 1)[0]
        assert f'alt="{alt}"' in gallery and other_alt not in gallery
        related = html.split('id="related-title"', 1)[1]
        assert re.findall(r'class="card__name">([^<]+)<', related) == [other_name]


def test_what_vendors_type_is_escaped_in_cards_and_pictures(client, settings, tmp_path):
    """Names, units, vendor names and picture descriptions are vendors' own
    words: on a card (written in Python, products.cards) they stay text."""
    from PIL import Image

    from products.images import attach_image
    from tests.factories import CategoryFactory, ProductFactory, VendorFactory

    settings.MEDIA_ROOT = tmp_path / "media"
    attack = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    vendor = VendorFactory(name=f"Toko {attack}", slug="toko-jahil")
    category = CategoryFactory(slug="jahil", name="Jahil")
    product = ProductFactory(
        vendor=vendor, category=category, name=f"Amplang {attack}", unit="<b>250 g</b>", slug="jahil"
    )
    attach_image(product, Image.new("RGB", (320, 240), (10, 120, 60)), alt=attack)
    ProductFactory(vendor=vendor, category=category, slug="teman")

    for url in ["/products/", "/vendors/toko-jahil/", "/products/teman/"]:
        body = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in body, url
        assert "<img src=x" not in body, url
        assert "<b>250 g</b>" not in body, url
        assert "Amplang &#34;&gt;&lt;script&gt;" in body or "Amplang &quot;&gt;&lt;script&gt;" in body, url
