import pytest
from django.core.exceptions import ValidationError

from products.models import Availability, Category, Certification, Product, Status
from tests.factories import CategoryFactory, ProductFactory, VendorFactory

pytestmark = pytest.mark.django_db


def visible_names():
    return set(Product.objects.visible().values_list("name", flat=True))


def test_visibility_rule_shows_only_published_products_of_active_vendors_in_visible_categories():
    food = CategoryFactory(name="Makanan & Minuman", slug="makanan-minuman")
    amplang = CategoryFactory(name="Amplang & Kerupuk", slug="amplang-kerupuk", parent=food)
    crafts = CategoryFactory(name="Kerajinan", slug="kerajinan", active=False)
    beads = CategoryFactory(name="Manik-manik", slug="manik-manik", parent=crafts)
    hidden_sub = CategoryFactory(name="Lempok", slug="lempok", parent=food, active=False)
    closed = VendorFactory(active=False)

    ProductFactory(name="Amplang Ikan Tenggiri", category=amplang)
    ProductFactory(name="Kopi Balikpapan", category=food)
    ProductFactory(name="Draf", category=amplang, status=Status.DRAFT)
    ProductFactory(name="Arsip", category=amplang, status=Status.ARCHIVED)
    ProductFactory(name="Toko Tutup", category=amplang, vendor=closed)
    ProductFactory(name="Kalung Manik", category=beads)  # parent category inactive
    ProductFactory(name="Tas Anyaman", category=crafts)  # category inactive
    ProductFactory(name="Lempok Durian", category=hidden_sub)  # subcategory inactive

    assert visible_names() == {"Amplang Ikan Tenggiri", "Kopi Balikpapan"}


def test_visibility_follows_changes_of_vendor_and_category():
    product = ProductFactory(name="Kerupuk Udang")
    assert visible_names() == {"Kerupuk Udang"}

    product.vendor.active = False
    product.vendor.save()
    assert visible_names() == set()

    product.vendor.active = True
    product.vendor.save()
    product.category.active = False
    product.category.save()
    assert visible_names() == set()


def test_publish_and_unpublish():
    product = ProductFactory(status=Status.DRAFT)
    product.publish()
    assert Product.objects.visible().filter(pk=product.pk).exists()
    product.unpublish()
    assert not Product.objects.visible().filter(pk=product.pk).exists()


def test_certifications_and_filter_by_all_chosen():
    both = ProductFactory(halal=True, pirt=True)
    ProductFactory(halal=True)
    assert both.certifications == [Certification.HALAL, Certification.PIRT]
    assert list(Product.objects.with_certification("halal", "pirt")) == [both]


def test_category_tree_is_two_levels():
    top = CategoryFactory(slug="makanan")
    sub = CategoryFactory(slug="kue", parent=top)
    too_deep = Category(name="Bolu", slug="bolu", parent=sub)
    with pytest.raises(ValidationError) as excinfo:
        too_deep.full_clean()
    assert "parent" in excinfo.value.message_dict


def test_negative_price_is_refused_by_the_database():
    from django.db import IntegrityError, transaction

    product = ProductFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.filter(pk=product.pk).update(price=-1)


def test_defaults_for_a_new_product_are_safe():
    product = Product(name="Baru", slug="baru", price=1000)
    assert product.status == Status.DRAFT
    assert product.availability == Availability.READY
    assert product.featured is False


def test_with_pictures_reads_a_products_pictures_in_the_same_query(django_assert_num_queries):
    from products.models import ProductImage

    product = ProductFactory(slug="amplang", name="Amplang")
    ProductFactory(slug="tanpa-foto")
    renditions = {"source": "p1.jpg", "widths": [{"width": 320, "height": 240, "name": "p1-320.webp"}]}
    # Rows only: bulk_create skips the processing of a real upload.
    ProductImage.objects.bulk_create(
        [
            ProductImage(product=product, image="p2.jpg", width=800, height=600, position=2, alt="Bungkus"),
            ProductImage(
                product=product, image="p1.jpg", width=640, height=480, position=1, renditions=renditions
            ),
            ProductImage(product=product, image="p0.jpg", width=640, height=480, position=1),
        ]
    )
    expected = list(product.images.order_by("position", "id"))

    with django_assert_num_queries(1):
        found = Product.objects.with_pictures().get(slug="amplang")
        gallery = found.gallery
        # In their order (position, then id), with every column a page shows.
        assert [image.pk for image in gallery] == [image.pk for image in expected]
        assert [(i.image.name, i.width, i.height, i.alt, i.position) for i in gallery] == [
            (i.image.name, i.width, i.height, i.alt, i.position) for i in expected
        ]
        assert gallery[0].renditions == renditions and gallery[1].renditions == {}
        assert [image.alt_text for image in gallery] == ["Amplang", "Amplang", "Bungkus"]  # no query
    with django_assert_num_queries(1):
        assert Product.objects.with_pictures().get(slug="tanpa-foto").gallery == []

    # Without with_pictures() the gallery is read when asked.
    with django_assert_num_queries(2):
        assert [image.pk for image in Product.objects.get(slug="amplang").gallery] == [i.pk for i in expected]
