"""The vendor admin and the account admin for the three roles: a vendor
account edits only its own profile, curators verify and deactivate vendors and
manage vendor accounts without ever granting more than the vendor role."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    UserFactory,
    VendorFactory,
    admin_form_data,
    curator_user,
    superuser,
    vendor_user,
)
from vendors.models import Vendor
from vendors.roles import CURATOR_GROUP, VENDOR_GROUP

pytestmark = pytest.mark.django_db


User = get_user_model()
VENDORS = "admin:vendors_vendor_changelist"
USERS = "admin:auth_user_changelist"


def vendor_url(vendor, view="change"):
    return reverse(f"admin:vendors_vendor_{view}", args=[vendor.pk])


def user_url(user, view="change"):
    return reverse(f"admin:auth_user_{view}", args=[user.pk])


def input_names(response):
    return set(response.context["adminform"].form.fields)


@pytest.fixture
def own_vendor():
    return VendorFactory(name="Amplang Bu Ani", verified=False)


@pytest.fixture
def other_vendor():
    return VendorFactory(name="Kerupuk Pak Budi", description="Kerupuk udang asli.")


# --- A vendor account and its profile --------------------------------------------------


def test_vendor_lists_only_its_own_vendor(vendor_client, own_vendor, other_vendor):
    response = vendor_client.get(reverse(VENDORS))

    assert response.status_code == 200
    assert own_vendor.name in response.text
    assert other_vendor.name not in response.text


def test_vendor_cannot_open_or_change_another_vendor(vendor_client, other_vendor):
    assert vendor_client.get(vendor_url(other_vendor)).status_code == 404

    response = vendor_client.post(
        vendor_url(other_vendor),
        {
            "name": "Diretas",
            "description": "",
            "district": other_vendor.district_id,
            "whatsapp": "081299990000",
        },
    )

    assert response.status_code in (403, 404)
    other_vendor.refresh_from_db()
    assert other_vendor.name == "Kerupuk Pak Budi"
    assert other_vendor.description == "Kerupuk udang asli."


def test_vendor_cannot_add_or_delete_vendors(vendor_client, own_vendor, other_vendor):
    assert vendor_client.get(reverse("admin:vendors_vendor_add")).status_code == 403
    for vendor in (own_vendor, other_vendor):
        response = vendor_client.post(vendor_url(vendor, "delete"), {"post": "yes"})
        assert response.status_code in (403, 404)
    vendor_client.post(
        reverse(VENDORS),
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [own_vendor.pk, other_vendor.pk], "post": "yes"},
    )

    assert Vendor.objects.count() == 2


def test_vendor_edits_its_profile_but_not_the_staff_fields(vendor_client, own_vendor):
    page = vendor_client.get(vendor_url(own_vendor))
    assert page.status_code == 200
    assert {"verified", "active", "users"}.isdisjoint(input_names(page))
    for name in ("verified", "active", "users"):
        assert f'name="{name}"' not in page.text
    intruder = UserFactory()

    data = admin_form_data(
        page, description="Amplang ikan belida sejak 1998.", verified="on", users=[str(intruder.pk)]
    )
    response = vendor_client.post(vendor_url(own_vendor), data)

    assert response.status_code == 302
    own_vendor.refresh_from_db()
    assert own_vendor.description == "Amplang ikan belida sejak 1998."
    assert not own_vendor.verified
    assert own_vendor.active  # an absent checkbox did not switch it off
    assert not own_vendor.users.filter(pk=intruder.pk).exists()


def test_vendor_cannot_verify_through_the_action(vendor_client, own_vendor):
    vendor_client.post(reverse(VENDORS), {"action": "verify", ACTION_CHECKBOX_NAME: [own_vendor.pk]})

    own_vendor.refresh_from_db()
    assert not own_vendor.verified


def test_vendor_admin_home_shows_only_its_work(vendor_client):
    response = vendor_client.get(reverse("admin:index"))

    assert response.status_code == 200
    models = {m["object_name"] for app in response.context["app_list"] for m in app["models"]}
    assert models == {"Vendor", "Product", "Category"}


def test_vendor_list_hides_staff_columns_and_filters(vendor_client):
    response = vendor_client.get(reverse(VENDORS))

    assert "column-verified" not in response.text
    assert "verified__exact" not in response.text


# --- Curators and vendors ----------------------------------------------------------------


def test_curator_verifies_and_deactivates_vendors(curator_client, own_vendor, other_vendor):
    ids = [own_vendor.pk, other_vendor.pk]
    for action in ("verify", "deactivate"):
        response = curator_client.post(reverse(VENDORS), {"action": action, ACTION_CHECKBOX_NAME: ids})
        assert response.status_code == 302
    assert list(Vendor.objects.filter(verified=True, active=False).order_by("pk")) == [
        own_vendor,
        other_vendor,
    ]

    for action in ("unverify", "activate"):
        curator_client.post(reverse(VENDORS), {"action": action, ACTION_CHECKBOX_NAME: ids[:1]})
    own_vendor.refresh_from_db()
    assert not own_vendor.verified
    assert own_vendor.active


def test_curator_sets_staff_fields_and_links_only_vendor_accounts(curator_client, own_vendor):
    page = curator_client.get(vendor_url(own_vendor))
    assert {"verified", "active", "users"} <= input_names(page)
    account = UserFactory(username="pakbudi")
    other_curator = curator_user()
    choices = set(page.context["adminform"].form.fields["users"].queryset)
    assert account in choices
    assert other_curator not in choices

    refused = curator_client.post(
        vendor_url(own_vendor), admin_form_data(page, users=[str(other_curator.pk)])
    )
    assert refused.status_code == 200
    assert not own_vendor.users.filter(pk=other_curator.pk).exists()

    data = admin_form_data(page, verified="on", users=[*admin_form_data(page)["users"], str(account.pk)])
    assert curator_client.post(vendor_url(own_vendor), data).status_code == 302
    own_vendor.refresh_from_db()
    assert own_vendor.verified
    assert own_vendor.users.filter(pk=account.pk).exists()


def test_curator_filters_vendors_by_district(curator_client):
    response = curator_client.get(reverse(VENDORS))

    assert "district__id__exact" in response.text
    assert "verified__exact" in response.text


# --- Accounts -------------------------------------------------------------------------


@pytest.fixture
def vendor_account(own_vendor):
    return vendor_user(own_vendor, username="buani")


def test_curator_lists_only_vendor_accounts(curator_client, vendor_account):
    boss = superuser(username="kepaladinas")
    colleague = curator_user(username="kurator2")

    response = curator_client.get(reverse(USERS))

    assert response.status_code == 200
    assert "buani" in response.text
    assert boss.username not in response.text
    assert colleague.username not in response.text


def test_curator_cannot_open_a_superuser_or_curator_account(curator_client):
    for account in (superuser(), curator_user()):
        assert curator_client.get(user_url(account)).status_code == 404
        assert curator_client.get(user_url(account, "password_change")).status_code == 404
        response = curator_client.post(
            user_url(account, "password_change"),
            {"password1": "Dibobol-2024!x", "password2": "Dibobol-2024!x"},
        )
        assert response.status_code == 404
        account.refresh_from_db()
        assert account.check_password("rahasia-123-uji")


def test_curator_account_form_has_no_privilege_fields(curator_client, vendor_account):
    page = curator_client.get(user_url(vendor_account))

    assert page.status_code == 200
    fields = input_names(page)
    assert {"username", "email", "is_active"} <= fields
    assert {"is_superuser", "is_staff", "groups", "user_permissions"}.isdisjoint(fields)
    for name in ("is_superuser", "groups", "user_permissions"):
        assert f'name="{name}"' not in page.text


def test_curator_cannot_escalate_an_account(curator_client, vendor_account):
    curator = Group.objects.get(name=CURATOR_GROUP)
    page = curator_client.get(user_url(vendor_account))

    data = admin_form_data(page, email="ani@example.com", is_superuser="on", groups=[str(curator.pk)])
    response = curator_client.post(user_url(vendor_account), data)

    assert response.status_code == 302
    vendor_account.refresh_from_db()
    assert vendor_account.email == "ani@example.com"
    assert not vendor_account.is_superuser
    assert list(vendor_account.groups.values_list("name", flat=True)) == [VENDOR_GROUP]
    assert not vendor_account.has_perm("vendors.verify_vendor")


def test_curator_adds_a_vendor_account_linked_to_a_vendor(curator_client, own_vendor):
    add = reverse("admin:auth_user_add")
    page = curator_client.get(add)
    assert page.status_code == 200
    assert {"is_superuser", "groups", "user_permissions"}.isdisjoint(input_names(page))
    data = admin_form_data(
        page,
        username="pakbudi",
        password1="Amplang-Belida-77",
        password2="Amplang-Belida-77",
        usable_password="true",
        is_superuser="on",
        groups=[str(Group.objects.get(name=CURATOR_GROUP).pk)],
    )
    prefix = page.context["inline_admin_formsets"][0].formset.prefix
    data.update({f"{prefix}-TOTAL_FORMS": "1", f"{prefix}-0-vendor": str(own_vendor.pk)})

    response = curator_client.post(add, data)

    assert response.status_code == 302
    account = User.objects.get(username="pakbudi")
    assert account.is_staff
    assert account.is_active
    assert not account.is_superuser
    assert list(account.groups.values_list("name", flat=True)) == [VENDOR_GROUP]
    assert list(account.vendors.all()) == [own_vendor]
    assert account.check_password("Amplang-Belida-77")


def test_vendor_cannot_manage_accounts(vendor_client, vendor_account):
    assert vendor_client.get(reverse(USERS)).status_code == 403
    assert vendor_client.get(user_url(vendor_account)).status_code in (403, 404)


def test_superuser_keeps_the_full_user_admin(client):
    client.force_login(superuser())
    account = curator_user()

    page = client.get(user_url(account))

    assert page.status_code == 200
    assert {"is_superuser", "groups", "user_permissions"} <= input_names(page)


def test_a_bad_logo_gets_a_message_in_the_form_and_nothing_is_stored(vendor_client, own_vendor, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    page = vendor_client.get(vendor_url(own_vendor))
    data = admin_form_data(page)
    data["logo"] = SimpleUploadedFile("logo.gif", b"GIF89a\x01\x00\x01\x00not really", "image/gif")

    response = vendor_client.post(vendor_url(own_vendor), data)

    assert response.status_code == 200  # the form again, with its message; not a 500
    assert "logo" in response.context["adminform"].form.errors
    own_vendor.refresh_from_db()
    assert not own_vendor.logo
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_deactivating_through_the_action_hides_the_products_on_the_next_request(
    curator_client, own_vendor, client
):
    from tests.factories import ProductFactory

    product = ProductFactory(vendor=own_vendor, name="Amplang Ikan Belida")
    for _ in range(3):  # a page is kept in the cache once asked twice
        assert client.get(product.get_absolute_url()).status_code == 200
        assert "Amplang Ikan Belida" in client.get(reverse("products:list")).text

    curator_client.post(reverse(VENDORS), {"action": "deactivate", ACTION_CHECKBOX_NAME: [own_vendor.pk]})

    assert client.get(product.get_absolute_url()).status_code == 404
    assert "Amplang Ikan Belida" not in client.get(reverse("products:list")).text


def test_select_all_deactivates_every_listed_vendor_and_hides_their_products_in_a_few_queries(curator_client):
    """ "Select all" of a long list of vendors (the city's register after an
    import) changes them all by a few statements: the queries do not grow
    with the selection, and every product of theirs leaves the catalogue."""
    from products.models import Product
    from tests.factories import ProductFactory

    queries = []
    for size in (2, 20):
        Vendor.objects.all().delete()
        vendors = VendorFactory.create_batch(size)
        for vendor in vendors:
            ProductFactory(vendor=vendor)
        with CaptureQueriesContext(connection) as done:
            response = curator_client.post(
                reverse(VENDORS),
                {"action": "deactivate", "select_across": "1", ACTION_CHECKBOX_NAME: [vendors[0].pk]},
            )
        assert response.status_code == 302
        assert not Vendor.objects.filter(active=True).exists()
        assert not Product.objects.visible().exists()
        queries.append(len(done))
    assert queries[0] == queries[1] < 20


def test_a_failed_vendor_action_changes_no_vendor(curator_client, break_bump):
    """All or nothing: when the action fails after writing (here retiring
    the cache fails), no vendor nor product has changed."""
    from products.models import Product
    from tests.factories import ProductFactory

    vendors = VendorFactory.create_batch(3)
    for vendor in vendors:
        ProductFactory(vendor=vendor)
    break_bump()
    with pytest.raises(RuntimeError):
        curator_client.post(
            reverse(VENDORS), {"action": "deactivate", ACTION_CHECKBOX_NAME: [v.pk for v in vendors]}
        )
    assert Vendor.objects.filter(active=True).count() == 3
    assert Product.objects.visible().count() == 3
