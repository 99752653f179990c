"""Property-based tests: arbitrary GET parameters on every public page never
give a 5xx or a traceback (issue 6, "Bad input, fuzzed")."""

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from products.models import Status
from tests.factories import CategoryFactory, ProductFactory, VendorFactory

PARAMS = [
    "q", "category", "district", "vendor", "price_min", "price_max", "cert",
    "export_ready", "in_stock", "sort", "page",
]  # fmt: skip

# Text of every kind (control characters, NUL, surrogate-free unicode, emoji, RTL),
# numbers written every way, and the values the pages know.
values = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=300),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(
        [
            "halal",
            "pirt",
            "bpom",
            "sni",
            "price_asc",
            "name",
            "relevance",
            "1",
            "0",
            "",
            "balikpapan-utara",
            "makanan",
            "amplang",
            "' OR 1=1 --",
            "<script>alert(1)</script>",
            '"ampl*" NEAR/2',
            "a:* & !b",
            "\x00",
            "%00",
            "9" * 400,
        ]
    ),  # fmt: skip
)
query = st.lists(st.tuples(st.sampled_from(PARAMS), values), max_size=8)


@pytest.fixture
def catalogue(db):
    food = CategoryFactory(name="Makanan", slug="makanan")
    amplang = CategoryFactory(name="Amplang", slug="amplang", parent=food)
    vendor = VendorFactory(name="Amplang Bu Ani", slug="amplang-bu-ani")
    ProductFactory(
        name="Amplang Ikan Tenggiri", slug="amplang-ikan", category=amplang, vendor=vendor, halal=True
    )
    ProductFactory(name="Kerupuk Udang", slug="kerupuk-udang", category=food, price=15000)
    ProductFactory(name="Draf", slug="draf", category=food, status=Status.DRAFT)
    return {"category": amplang, "vendor": vendor}


def pages(catalogue):
    return [
        reverse("home"),
        reverse("products:list"),
        reverse("products:category", kwargs={"slug": "makanan"}),
        reverse("products:category", kwargs={"slug": "amplang"}),
        reverse("products:detail", kwargs={"slug": "amplang-ikan"}),
        reverse("vendors:list"),
        reverse("vendors:detail", kwargs={"slug": "amplang-bu-ani"}),
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=query, which=st.integers(min_value=0, max_value=6))
@example(params=[("district", "a\x00b"), ("q", "\x00")], which=1)  # NUL: PostgreSQL refuses it in SQL
@example(params=[("q", "\x00")], which=5)
@example(params=[("vendor", "x\x00"), ("category", "\x00")], which=2)
def test_public_pages_survive_any_parameters(client, catalogue, params, which):
    path = pages(catalogue)[which]
    response = client.get(path, params)
    assert response.status_code < 500, (path, params)
    assert b"Traceback" not in response.content


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(slug=st.text(max_size=80))
def test_detail_addresses_survive_any_slug(client, catalogue, slug):
    for prefix in ("/products/", "/categories/", "/vendors/"):
        response = client.get(prefix + slug.replace("/", "") + "/")
        assert response.status_code < 500, (prefix, slug)
