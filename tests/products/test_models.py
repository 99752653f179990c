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
