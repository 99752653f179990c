"""A vendor on a phone in the admin: logs in, edits a price, uploads a photo,
and cannot reach another vendor's product."""

import re

import pytest

from tests.e2e.conftest import VENDOR_PASSWORD, jpeg_bytes, screenshot

pytestmark = pytest.mark.browser


def log_in(page, site, username):
    page.goto(site + "/admin/")
    page.wait_for_url(re.compile(r"/admin/login/"))
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(VENDOR_PASSWORD)
    with page.expect_navigation():
        page.locator("#login-form [type=submit]").click()
    assert urlpath(page.url) == "/admin/", "login failed: " + page.locator("body").inner_text()[:300]


def urlpath(url):
    return re.sub(r"^https?://[^/]+", "", url).split("?")[0]


def test_vendor_edits_price_and_uploads_a_picture(site, catalogue, page, tmp_path):
    product = next(p for p in catalogue.vendor.products.all() if p.name == "Kerupuk Kulit Ikan Bandeng")
    log_in(page, site, catalogue.vendor_user.username)

    # From the admin's product list, which shows only this vendor's products.
    page.goto(site + "/admin/products/product/")
    listing = page.locator("#result_list").inner_text()
    assert "Kerupuk Kulit Ikan Bandeng" in listing
    assert "Batik Tulis Motif Kuntul Perak" not in listing
    page.locator("#result_list").get_by_role("link", name="Kerupuk Kulit Ikan Bandeng").click()
    page.wait_for_url(re.compile(rf"/admin/products/product/{product.pk}/change/"))

    page.locator("#id_price").fill("27500")
    photo = tmp_path / "kerupuk.jpg"
    photo.write_bytes(jpeg_bytes((120, 160, 90), size=(1200, 900), label="kerupuk"))
    file_input = page.locator("input[type=file][name^='images-']").first
    with page.expect_file_chooser() as chooser:
        file_input.click()
    chooser.value.set_files(str(photo))
    with page.expect_navigation():
        page.locator("input[name=_save]").click()

    success = page.locator(".messagelist .success")
    assert success.count() == 1, page.locator("#content").inner_text()[:1000]
    assert "Kerupuk Kulit Ikan Bandeng" in success.inner_text()
    screenshot(page, "flow-admin-saved-phone")

    admin_errors = list(page.errors)
    page.errors.clear()
    page.goto(site + product.get_absolute_url())
    assert "Rp 27.500" in page.locator("main").inner_text()
    assert "Rp 22.000" not in page.locator("main").inner_text()
    gallery = page.get_by_role("list", name="Foto produk")
    picture = gallery.locator("img").first
    assert "/media/" in picture.evaluate("img => img.currentSrc")  # not the placeholder
    # The uploaded 1200 x 900 photo, loaded: same shape.
    width, height = picture.evaluate("img => [img.complete && img.naturalWidth, img.naturalHeight]")
    assert width and abs(width / height - 4 / 3) < 0.01
    assert page.errors == []
    # The admin works under the site's Content-Security-Policy too: no inline
    # style or script is blocked (a blocked one shows up as a console error).
    assert admin_errors == []


def test_vendor_cannot_reach_another_vendors_product(site, catalogue, page):
    log_in(page, site, catalogue.vendor_user.username)

    response = page.goto(site + f"/admin/products/product/{catalogue.batik.pk}/change/")
    assert response.status in (403, 404)
    assert page.locator("#product_form").count() == 0
    assert page.locator("#id_price").count() == 0
    assert "Batik Tulis Motif Kuntul Perak" not in page.content()

    # Nor through the admin's search.
    page.goto(site + "/admin/products/product/?q=batik")
    assert "Batik Tulis Motif Kuntul Perak" not in page.locator("#content").inner_text()
