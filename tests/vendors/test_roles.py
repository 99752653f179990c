"""The two roles: who counts as a curator, what each group may do, and which
rows and accounts each role reaches."""

import pytest
from django.contrib.auth.models import AnonymousUser, Permission

from products.models import Product
from tests.factories import ProductFactory, UserFactory, VendorFactory, curator_user, superuser, vendor_user
from vendors.accounts import accounts_manageable_by
from vendors.models import Vendor
from vendors.roles import is_curator

pytestmark = pytest.mark.django_db


@pytest.fixture
def vendors():
    return VendorFactory(), VendorFactory()


def test_who_is_a_curator(vendors):
    assert is_curator(curator_user())
    assert is_curator(superuser())
    assert not is_curator(vendor_user(vendors[0]))
    assert not is_curator(UserFactory())
    assert not is_curator(curator_user(is_active=False))


def test_vendor_role_cannot_manage_the_catalogue(vendors):
    user = vendor_user(vendors[0])

    assert user.has_perms(["vendors.change_vendor", "products.add_product", "products.delete_product"])
    for perm in (
        "vendors.add_vendor",
        "vendors.delete_vendor",
        "vendors.verify_vendor",
        "products.change_category",
        "products.feature_product",
        "auth.view_user",
    ):
        assert not user.has_perm(perm), perm


def test_curator_role_manages_the_catalogue_but_not_roles():
    user = curator_user()

    assert user.has_perms(
        ["vendors.verify_vendor", "products.feature_product", "products.change_category", "auth.add_user"]
    )
    assert not user.has_perm("auth.change_group")
    assert not user.has_perm("auth.change_permission")


def test_vendor_account_reaches_only_its_vendors_and_products(vendors):
    own, other = vendors
    own_product, other_product = ProductFactory(vendor=own), ProductFactory(vendor=other)
    user = vendor_user(own)

    assert list(Vendor.objects.editable_by(user)) == [own]
    assert list(Product.objects.editable_by(user)) == [own_product]
    assert set(Product.objects.editable_by(curator_user())) == {own_product, other_product}
    assert not Product.objects.editable_by(AnonymousUser()).exists()


def test_accounts_a_curator_may_manage(vendors):
    vendor_account = vendor_user(vendors[0])
    plain = UserFactory()
    with_permission = UserFactory()
    with_permission.user_permissions.add(Permission.objects.get(codename="change_category"))
    curator = curator_user()
    boss = superuser()

    managed = set(accounts_manageable_by(curator))

    assert managed == {vendor_account, plain}
    assert set(accounts_manageable_by(boss)) >= {vendor_account, plain, with_permission, curator, boss}
    assert not accounts_manageable_by(vendor_account).exists()
