"""umkm_directory.prepared: a lookup compiled once gives what the QuerySet gives."""

import pytest
from django.db import connection
from django.db.models import Count, Prefetch

from products.models import Product, ProductImage, Status
from tests.factories import CategoryFactory, ProductFactory, VendorFactory
from umkm_directory.prepared import PreparedQuery, fetch_together

pytestmark = pytest.mark.django_db

BY_SLUG = PreparedQuery(
    lambda slug: (
        Product.objects.visible().select_related("vendor__district", "category__parent").filter(slug=slug)
    )
)


def test_rows_match_the_queryset_with_their_related_objects_loaded(django_assert_num_queries):
    parent = CategoryFactory(slug="makanan", name="Makanan")
    product = ProductFactory(
        slug="amplang", name="Amplang", price=32000, category=CategoryFactory(parent=parent)
    )
    expected = Product.objects.select_related("vendor__district", "category__parent").get(pk=product.pk)

    with django_assert_num_queries(1):
        (found,) = BY_SLUG.fetch(slug="amplang")
        # select_related objects come with the row: no query for them.
        assert found.category.parent.name == "Makanan"
        assert found.vendor.district.name == expected.vendor.district.name

    fields = [field.attname for field in Product._meta.concrete_fields]
    assert [getattr(found, name) for name in fields] == [getattr(expected, name) for name in fields]
    assert found.created_at == expected.created_at  # converters applied (aware datetimes on SQLite too)
    assert found._state.adding is False and found._state.db == "default"


def test_the_values_change_per_call_and_the_rules_of_the_queryset_hold():
    ProductFactory(slug="satu", name="Satu")
    ProductFactory(slug="dua", name="Dua")
    ProductFactory(slug="draf", status=Status.DRAFT)
    ProductFactory(slug="tutup", vendor=VendorFactory(active=False))

    assert [p.name for p in BY_SLUG.fetch(slug="satu")] == ["Satu"]
    assert [p.name for p in BY_SLUG.fetch(slug="dua")] == ["Dua"]
    assert BY_SLUG.fetch(slug="draf") == []  # visible() is part of the compiled SQL
    assert BY_SLUG.fetch(slug="tutup") == []
    assert BY_SLUG.fetch(slug="tidak-ada") == []
    assert BY_SLUG.fetch(slug="satu' OR '1'='1") == []  # a value, never SQL


def test_ordering_and_several_rows():
    product = ProductFactory()
    # Rows only: bulk_create skips the processing of a real upload.
    ProductImage.objects.bulk_create(
        ProductImage(product=product, image=f"p{n}.jpg", width=640, height=480, position=n) for n in (2, 0, 1)
    )
    pictures = PreparedQuery(
        lambda product_id: ProductImage.objects.filter(product_id=product_id).order_by("position")
    )
    assert [image.position for image in pictures.fetch(product_id=product.pk)] == [0, 1, 2]


def test_annotations_come_as_attributes_of_the_instances():
    product = ProductFactory(slug="amplang")
    ProductFactory(slug="tanpa-foto")
    ProductImage.objects.bulk_create(
        ProductImage(product=product, image=f"p{n}.jpg", width=640, height=480, position=n) for n in (1, 0)
    )
    counted = PreparedQuery(lambda slug: Product.objects.filter(slug=slug).annotate(n=Count("images")))
    assert [(p.slug, p.n) for p in counted.fetch(slug="amplang")] == [("amplang", 2)]
    assert [(p.slug, p.n) for p in counted.fetch(slug="tanpa-foto")] == [("tanpa-foto", 0)]


@pytest.mark.parametrize(
    "build",
    [
        lambda slug: Product.objects.filter(slug=slug).prefetch_related(Prefetch("images")),
        lambda slug: Product.objects.filter(slug=slug).values("name"),
        lambda slug: Product.objects.filter(name=slug, slug=slug),  # the value twice
        lambda slug: Product.objects.all(),  # the value nowhere
    ],
)
def test_shapes_it_cannot_prepare_are_refused(build):
    with pytest.raises(ValueError):
        PreparedQuery(build).fetch(slug="x")


@pytest.mark.backend("postgresql")
@pytest.mark.django_db(transaction=True)  # it closes the connection
def test_postgresql_prepares_each_statement_once_per_connection_with_its_constants_written_in():
    from django.db import connection

    connection.close()  # a connection of its own: none of the other tests' statements
    ProductFactory(slug="satu", name="Satu")
    ProductFactory(slug="dua", name="Dua")
    lookup = PreparedQuery(lambda slug: Product.objects.visible().filter(slug=slug))

    def prepared():
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            return [row[0] for row in cursor.fetchall() if "products_product" in row[0]]

    assert prepared() == []
    assert [p.name for p in lookup.fetch(slug="satu")] == ["Satu"]
    assert [p.name for p in lookup.fetch(slug="dua")] == ["Dua"]
    (text,) = prepared()  # once for both values
    # The request's value is the statement's parameter; the rule's constants
    # are in its text, so its plan can use the partial indexes.
    assert "$1" in text and "'published'" in text and "satu" not in text
    assert lookup.fetch(slug="x' OR '1'='1") == []

    # A new connection prepares it again.
    connection.close()
    assert prepared() == []
    assert [p.name for p in lookup.fetch(slug="dua")] == ["Dua"]
    assert prepared() == [text]


@pytest.mark.backend("postgresql")
def test_a_page_of_a_prepared_list_takes_limit_and_offset_as_values():
    for n in range(5):
        ProductFactory(slug=f"p{n}", name=f"P{n}")
    pages = PreparedQuery(lambda: Product.objects.visible().order_by("name").values_list("name", flat=True))
    assert pages.fetch(limit=2, offset=0) == ["P0", "P1"]
    assert pages.fetch(limit=2, offset=4) == ["P4"]
    assert pages.fetch(limit=3, offset=1) == ["P1", "P2", "P3"]


def test_calls_fetched_together_give_what_each_gives_alone_in_one_round_trip(django_assert_num_queries):
    vendor = VendorFactory(slug="dapur-ani")
    for n in range(5):
        ProductFactory(slug=f"kue-{n}", name=f"Kue {n}", vendor=vendor)
    ProductFactory(slug="lain", name="Lain")
    names_of = PreparedQuery(
        lambda slug: Product.objects.visible().filter(vendor__slug=slug).order_by("name").values_list("name")
    )
    alone = (BY_SLUG.fetch(slug="kue-3"), names_of.fetch(slug="dapur-ani", limit=2, offset=1))

    # One statement string on PostgreSQL (one round trip); one per call elsewhere.
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 2):
        product, names = fetch_together(
            (BY_SLUG, {"slug": "kue-3"}), (names_of, {"slug": "dapur-ani", "limit": 2, "offset": 1})
        )
    assert [p.pk for p in product] == [p.pk for p in alone[0]] and product[0].vendor.slug == "dapur-ani"
    assert names == alone[1] == [("Kue 1",), ("Kue 2",)]
    empty, names = fetch_together((BY_SLUG, {"slug": "tidak-ada"}), (names_of, {"slug": "dapur-ani"}))
    assert empty == [] and len(names) == 5  # an empty first result does not shift the second


def test_server_sql_embeds_the_query_with_its_values_as_the_callers_expressions():
    """A statement embedding a prepared query (a search's candidates and
    their rows) gets its SQL with each value replaced by an expression of its
    own, the constants written in, and the names of its columns."""
    ProductFactory(slug="satu", name="Satu", price=1000)
    ProductFactory(slug="dua", name="Dua", price=2000)
    ProductFactory(slug="tiga", name="Tiga", price=3000, status=Status.DRAFT)
    prices = PreparedQuery(
        lambda low: (
            Product.objects.visible().filter(price__gte=low).order_by("name").values_list("name", "price")
        )
    )

    embedded = prices.server_sql(low="(SELECT 1500)")

    if connection.vendor != "postgresql":
        assert embedded is None  # nothing is prepared on the server
        return
    text, names = embedded
    assert names == ["name", "price"] and "'published'" in text and "$" not in text
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT array_agg(r.name), array_agg(r.price) FROM ({text}) AS r")  # noqa: S608
        assert cursor.fetchone() == (["Dua"], [2000])
    with pytest.raises(ValueError):
        PreparedQuery(lambda slug: Product.objects.filter(slug=slug)).server_sql(slug="'x'")
