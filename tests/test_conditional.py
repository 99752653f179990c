"""Conditional responses (umkm_directory.http): every public page sends an
ETag and Cache-Control; a repeated request with the validator gets a 304
without rendering or querying; any edit (ORM or admin) retires the validator."""

import pytest
from django.conf import settings
from django.urls import reverse

from products.models import Status
from tests.factories import (
    CategoryFactory,
    ProductFactory,
    VendorFactory,
    admin_form_data,
    district,
    superuser,
)

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = [
    "/",
    "/products/",
    "/products/?q=amplang&district=balikpapan-barat&sort=price_asc",
    "/categories/makanan/",
    "/categories/makanan/?sort=name&page=1",
    "/products/amplang-tenggiri/",
    "/vendors/",
    "/vendors/?district=balikpapan-barat",
    "/vendors/amplang-bu-ani/",
    "/robots.txt",
]


@pytest.fixture
def shop():
    food = CategoryFactory(name="Makanan", slug="makanan", position=1)
    ani = VendorFactory(name="Amplang Bu Ani", slug="amplang-bu-ani", district=district("balikpapan-barat"))
    product = ProductFactory(
        name="Amplang Tenggiri", slug="amplang-tenggiri", vendor=ani, category=food, halal=True
    )
    ProductFactory(name="Kue Bingka", slug="kue-bingka", vendor=ani, category=food)
    return product


def revisit(client, url, etag):
    return client.get(url, headers={"if-none-match": etag})


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_a_repeated_request_with_the_validator_is_a_304_without_a_query(
    client, shop, url, django_assert_num_queries
):
    first = client.get(url)
    assert first.status_code == 200
    etag = first["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    assert "max-age" in first["Cache-Control"]

    with django_assert_num_queries(0):
        again = revisit(client, url, etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert "Cookie" in again["Vary"]  # the language cookie still selects the page


def test_catalogue_pages_must_be_revalidated_so_an_edit_shows_at_once(client, shop):
    response = client.get("/products/amplang-tenggiri/")
    assert response["Cache-Control"] == "max-age=0, must-revalidate"


def test_a_product_saved_through_the_orm_retires_the_validator(client, shop):
    url = "/products/amplang-tenggiri/"
    etag = client.get(url)["ETag"]
    listing_etag = client.get("/products/")["ETag"]

    shop.name = "Amplang Tenggiri Pedas"
    shop.save()

    response = revisit(client, url, etag)
    assert response.status_code == 200
    assert "Amplang Tenggiri Pedas" in response.content.decode()
    assert response["ETag"] != etag
    listing = revisit(client, "/products/", listing_etag)
    assert listing.status_code == 200 and "Amplang Tenggiri Pedas" in listing.content.decode()
    # ...and the new validator works again.
    assert revisit(client, url, response["ETag"]).status_code == 304


def test_unpublishing_retires_the_validator_of_the_vendor_page(client, shop):
    url = "/vendors/amplang-bu-ani/"
    etag = client.get(url)["ETag"]
    shop.unpublish()
    response = revisit(client, url, etag)
    assert response.status_code == 200
    assert "Amplang Tenggiri" not in response.content.decode()


def test_an_admin_edit_retires_the_validator(client, shop):
    url = "/products/amplang-tenggiri/"
    home_etag = client.get("/")["ETag"]
    etag = client.get(url)["ETag"]

    client.force_login(superuser())
    change = reverse("admin:products_product_change", args=[shop.pk])
    posted = client.post(change, admin_form_data(client.get(change), name="Amplang Tenggiri Super"))
    assert posted.status_code == 302, posted.content[:2000]

    response = revisit(client, url, etag)
    assert response.status_code == 200
    assert "Amplang Tenggiri Super" in response.content.decode()
    assert revisit(client, "/", home_etag).status_code == 200

    posted = client.post(change, admin_form_data(client.get(change), status=Status.DRAFT))
    assert posted.status_code == 302
    assert client.get(url).status_code == 404


def test_each_language_has_its_own_validator(client, shop):
    url = "/products/"
    indonesian = client.get(url)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(url)
    assert english["Content-Language"] == "en"
    assert english["ETag"] != indonesian["ETag"]
    # The Indonesian page's validator does not stand for the English page.
    assert revisit(client, url, indonesian["ETag"]).status_code == 200
    assert revisit(client, url, english["ETag"]).status_code == 304


def test_each_query_has_its_own_validator(client, shop):
    first = client.get("/products/?sort=name")["ETag"]
    assert revisit(client, "/products/?sort=price_asc", first).status_code == 200


@pytest.mark.parametrize("url", [page for page in PUBLIC_PAGES if page != "/robots.txt"])
def test_every_visitor_gets_the_same_page_and_no_cookie(client, shop, url):
    """No per-visitor token or cookie: a page is rendered once for all
    visitors, and one visitor's validator stands for another's copy."""
    first = client.get(url)
    assert not first.cookies  # no CSRF cookie on a public page
    assert b"csrfmiddlewaretoken" not in first.content
    client.cookies.clear()
    second = client.get(url)
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    client.cookies.clear()
    assert revisit(client, url, first["ETag"]).status_code == 304


def test_a_hidden_page_is_a_404_without_a_validator(client, shop):
    response = client.get("/products/tidak-ada/")
    assert response.status_code == 404
    assert not response.has_header("ETag")


def test_a_page_asked_again_comes_from_the_page_cache(client, shop, django_assert_num_queries):
    """The first request of an address renders it and leaves a mark; the
    second renders it and stores it; from the third on it is served from the
    cache with no query, the same bytes. An edit retires it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = "/products/amplang-tenggiri/"
    first = client.get(url)
    with CaptureQueriesContext(connection) as rendering:
        second = client.get(url)
    assert len(rendering) > 0  # asked once before: rendered again, then stored
    with django_assert_num_queries(0):
        third = client.get(url)
    assert first.content == second.content == third.content

    shop.name = "Amplang Tenggiri Pedas"
    shop.save()
    assert "Amplang Tenggiri Pedas" in client.get(url).content.decode()
