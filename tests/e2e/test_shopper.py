"""A shopper on a phone: search, filter and sort from the form, open a product,
order through WhatsApp, switch the language. Real Chromium, real pages."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.conftest import DESKTOP, screenshot

pytestmark = pytest.mark.browser


def result_names(page):
    return [name.strip() for name in page.locator("#results .card__name").all_inner_texts()]


def query(page):
    return parse_qs(urlsplit(page.url).query)


def submit_filters(page):
    """Press the filter form's button, as a shopper without JavaScript does."""
    with page.expect_navigation():
        page.locator("form.filters").get_by_role("button", name=re.compile("Terapkan|Apply")).click()


def open_filter_panel(page):
    panel = page.locator("form.filters details")
    if panel.count() and not panel.evaluate("el => el.open"):
        panel.locator("summary").click()


def test_search_filter_and_sort_from_the_form(site, page):
    page.goto(site + "/")
    page.get_by_role("searchbox", name="Cari produk").fill("amplang")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/products/\?"))

    assert query(page)["q"] == ["amplang"]
    names = result_names(page)
    # Name matches rank above products found through their category's name;
    # a draft and an inactive vendor's product never show.
    assert set(names[:2]) == {"Amplang Ikan Tenggiri", "Amplang Pedas Udang"}
    assert set(names) == {
        "Amplang Ikan Tenggiri",
        "Amplang Pedas Udang",
        "Kerupuk Ikan Pipih",
        "Kerupuk Kulit Ikan Bandeng",
    }
    assert page.locator("#results-count").inner_text().strip() == "4 produk ditemukan"
    screenshot(page, "flow-search-phone")

    # With JavaScript a choice applies itself (site.js submits the form).
    open_filter_panel(page)
    # click(), not check(): check() verifies the box afterwards, and when the
    # new page has already loaded its (closed, on a phone) panel hides it;
    # the new page's state is asserted below.
    with page.expect_navigation():
        page.get_by_role("checkbox", name=re.compile(r"^Halal")).click()
    page.wait_for_url(re.compile(r"cert=halal"))
    assert query(page)["q"] == ["amplang"]
    assert query(page)["cert"] == ["halal"]
    assert "Kerupuk Ikan Pipih" not in result_names(page)  # not halal
    assert len(result_names(page)) == 3
    assert page.locator("form.filters input[name=cert][value=halal]").is_checked()

    with page.expect_navigation():
        page.get_by_label("Urutkan").select_option("price_asc")
    page.wait_for_url(re.compile(r"sort=price_asc"))
    assert query(page)["cert"] == ["halal"] and query(page)["q"] == ["amplang"]
    cheapest_first = ["Kerupuk Kulit Ikan Bandeng", "Amplang Ikan Tenggiri", "Amplang Pedas Udang"]
    assert result_names(page) == cheapest_first

    with page.expect_navigation():
        page.get_by_label("Urutkan").select_option("price_desc")
    page.wait_for_url(re.compile(r"sort=price_desc"))
    assert result_names(page) == cheapest_first[::-1]
    assert page.errors == []


def test_filters_combine_without_javascript(site, new_page):
    """The plain GET form: choose, then press the button; every choice is kept."""
    page = new_page(DESKTOP, java_script_enabled=False)
    page.goto(site + "/products/")
    assert len(result_names(page)) == 10

    open_filter_panel(page)
    page.get_by_label("Kategori", exact=True).select_option("kerajinan")
    submit_filters(page)
    page.wait_for_url(re.compile(r"category=kerajinan"))
    # A top-level category includes its subcategories.
    assert set(result_names(page)) == {
        "Batik Tulis Motif Kuntul Perak",
        "Selendang Tenun Dayak",
        "Tas Anyaman Rotan",
        "Gantungan Kunci Manik",
    }

    open_filter_panel(page)
    page.get_by_label("Harga terendah").fill("100000")
    page.get_by_label("Harga tertinggi").fill("300000")
    submit_filters(page)
    page.wait_for_url(re.compile(r"price_max=300000"))
    assert query(page)["category"] == ["kerajinan"]
    assert query(page)["price_min"] == ["100000"]
    assert set(result_names(page)) == {"Selendang Tenun Dayak", "Tas Anyaman Rotan"}

    open_filter_panel(page)
    page.get_by_label("Urutkan").select_option("price_asc")
    submit_filters(page)
    assert query(page)["sort"] == ["price_asc"] and query(page)["category"] == ["kerajinan"]
    assert result_names(page) == ["Tas Anyaman Rotan", "Selendang Tenun Dayak"]
    screenshot(page, "flow-filters-desktop")
    assert page.errors == []


def test_open_a_product_and_order_on_whatsapp(site, page):
    page.goto(site + "/products/?q=tenggiri")
    page.locator("#results").get_by_role("link", name=re.compile("Amplang Ikan Tenggiri")).click()
    page.wait_for_url(re.compile(r"/products/amplang-ikan-tenggiri/$"))

    assert page.get_by_role("heading", level=1).inner_text().strip() == "Amplang Ikan Tenggiri"
    assert "Rp 25.000" in page.locator("main").inner_text()
    picture = page.get_by_role("list", name="Foto produk").locator("img").first
    assert "/media/" in picture.evaluate("img => img.currentSrc")
    assert picture.evaluate("img => img.complete && img.naturalWidth > 0")

    order = page.get_by_role("link", name=re.compile("Pesan via WhatsApp"))
    href = order.get_attribute("href")
    assert href.startswith("https://wa.me/6281234567890")
    message = parse_qs(urlsplit(href).query)["text"][0]
    assert "Amplang Ikan Tenggiri" in message
    assert "/products/amplang-ikan-tenggiri/" in message
    screenshot(page, "flow-product-phone")
    assert page.errors == []


def test_switch_language_to_english_and_back(site, page):
    page.goto(site + "/products/?q=amplang")
    assert page.locator("html").get_attribute("lang") == "id"
    assert page.get_by_role("navigation", name="Menu utama").get_by_role("link", name="Produk").count() == 1

    with page.expect_navigation():
        page.locator("form.lang-switch").get_by_role("button", name=re.compile("English")).click()
    assert page.locator("html").get_attribute("lang") == "en"
    # Back on the same page, with its search kept, now in English.
    assert urlsplit(page.url).path == "/products/"
    assert query(page)["q"] == ["amplang"]
    main_nav = page.get_by_role("navigation", name="Main menu")
    assert main_nav.get_by_role("link", name="Products").count() == 1
    assert "4 products found" in page.locator("#results-count").inner_text()

    page.goto(site + "/")  # the choice is remembered
    assert page.locator("html").get_attribute("lang") == "en"
    with page.expect_navigation():
        page.locator("form.lang-switch").get_by_role("button", name=re.compile("Indonesia")).click()
    assert page.locator("html").get_attribute("lang") == "id"
    assert page.errors == []
