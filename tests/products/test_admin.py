"""The product and category admin for the three roles: a vendor account is
confined to its own products, curators manage everything."""

import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from products.images import attach_image
from products.models import Category, Product, Status
from tests.factories import (
    CategoryFactory,
    ProductFactory,
    UserFactory,
    VendorFactory,
    admin_form_data,
    curator_user,
    district,
    superuser,
    vendor_user,
)

pytestmark = pytest.mark.django_db


CHANGELIST = "admin:products_product_changelist"


def change_url(product):
    return reverse("admin:products_product_change", args=[product.pk])


def delete_url(product):
    return reverse("admin:products_product_delete", args=[product.pk])


def add_url():
    return reverse("admin:products_product_add")


@pytest.fixture
def own_vendor():
    return VendorFactory(name="Amplang Bu Ani")


@pytest.fixture
def other_vendor():
    return VendorFactory(name="Kerupuk Pak Budi")


@pytest.fixture
def own_product(own_vendor):
    return ProductFactory(vendor=own_vendor, name="Amplang Ikan Pipih", status=Status.DRAFT)


@pytest.fixture
def other_product(other_vendor):
    return ProductFactory(vendor=other_vendor, name="Kerupuk Udang", price=30000)


def input_names(response):
    """Names of the editable fields of the admin form on the page."""
    return set(response.context["adminform"].form.fields)


# --- A vendor account and another vendor's product ------------------------------------


def test_vendor_lists_only_its_own_products(vendor_client, own_product, other_product):
    response = vendor_client.get(reverse(CHANGELIST))

    assert response.status_code == 200
    assert own_product.name in response.text
    assert other_product.name not in response.text


def test_vendor_cannot_open_another_vendors_product(vendor_client, other_product):
    assert vendor_client.get(change_url(other_product)).status_code == 404
    assert vendor_client.get(delete_url(other_product)).status_code == 404
    history = reverse("admin:products_product_history", args=[other_product.pk])
    assert vendor_client.get(history).status_code == 404


def test_vendor_cannot_change_another_vendors_product(vendor_client, other_product):
    response = vendor_client.post(
        change_url(other_product),
        {"name": "Diretas", "price": "1", "status": Status.DRAFT, "featured": "on"},
    )

    assert response.status_code in (403, 404)
    other_product.refresh_from_db()
    assert other_product.name == "Kerupuk Udang"
    assert other_product.price == 30000
    assert other_product.status == Status.PUBLISHED
    assert not other_product.featured


def test_vendor_cannot_delete_another_vendors_product(vendor_client, other_product):
    response = vendor_client.post(delete_url(other_product), {"post": "yes"})

    assert response.status_code in (403, 404)
    assert Product.objects.filter(pk=other_product.pk).exists()


def test_vendor_bulk_actions_skip_another_vendors_product(vendor_client, own_product, other_product):
    for action in ("delete_selected", "unpublish"):
        vendor_client.post(
            reverse(CHANGELIST),
            {"action": action, ACTION_CHECKBOX_NAME: [other_product.pk], "post": "yes"},
        )

    other_product.refresh_from_db()
    assert other_product.status == Status.PUBLISHED


def test_vendor_cannot_feature_its_own_product(vendor_client, own_product):
    page = vendor_client.get(change_url(own_product))
    assert "featured" not in input_names(page)
    assert 'name="featured"' not in page.text

    data = admin_form_data(page, name="Amplang Ikan Pipih Pedas", featured="on")
    response = vendor_client.post(change_url(own_product), data)

    assert response.status_code == 302
    own_product.refresh_from_db()
    assert own_product.name == "Amplang Ikan Pipih Pedas"
    assert not own_product.featured


def test_vendor_cannot_feature_through_the_action(vendor_client, own_product):
    vendor_client.post(reverse(CHANGELIST), {"action": "feature", ACTION_CHECKBOX_NAME: [own_product.pk]})

    own_product.refresh_from_db()
    assert not own_product.featured


def test_vendor_cannot_move_its_product_to_another_vendor(vendor_client, own_product, other_vendor):
    page = vendor_client.get(change_url(own_product))
    assert "vendor" not in input_names(page)  # one vendor: shown read-only

    response = vendor_client.post(change_url(own_product), admin_form_data(page, vendor=other_vendor.pk))

    assert response.status_code == 302
    own_product.refresh_from_db()
    assert own_product.vendor != other_vendor


def test_new_product_of_a_vendor_belongs_to_its_vendor(vendor_client, own_vendor, other_vendor):
    page = vendor_client.get(add_url())
    assert page.status_code == 200
    assert {"vendor", "featured"}.isdisjoint(input_names(page))

    data = admin_form_data(
        page,
        vendor=other_vendor.pk,
        featured="on",
        category=CategoryFactory().pk,
        name="Lempok Durian",
        slug="lempok-durian",
        price="45000",
    )
    response = vendor_client.post(add_url(), data)

    assert response.status_code == 302
    product = Product.objects.get(slug="lempok-durian")
    assert product.vendor == own_vendor
    assert not product.featured
    assert not other_vendor.products.exists()


def test_vendor_with_several_vendors_chooses_only_among_its_own(client, own_vendor, other_vendor):
    second = VendorFactory(name="Batik Bu Ani")
    user = vendor_user(own_vendor)
    second.users.add(user)
    client.force_login(user)
    page = client.get(add_url())
    choices = {str(v.pk) for v in page.context["adminform"].form.fields["vendor"].queryset}
    assert choices == {str(own_vendor.pk), str(second.pk)}

    base = {"category": CategoryFactory().pk, "name": "Kain Batik", "price": "150000"}
    refused = client.post(add_url(), admin_form_data(page, vendor=other_vendor.pk, slug="batik-a", **base))
    accepted = client.post(add_url(), admin_form_data(page, vendor=second.pk, slug="batik-b", **base))

    assert refused.status_code == 200  # the form comes back with an error
    assert not Product.objects.filter(slug="batik-a").exists()
    assert accepted.status_code == 302
    assert Product.objects.get(slug="batik-b").vendor == second


def test_vendor_publishes_and_unpublishes_its_products(vendor_client, own_product):
    vendor_client.post(reverse(CHANGELIST), {"action": "publish", ACTION_CHECKBOX_NAME: [own_product.pk]})
    own_product.refresh_from_db()
    assert own_product.status == Status.PUBLISHED

    vendor_client.post(reverse(CHANGELIST), {"action": "unpublish", ACTION_CHECKBOX_NAME: [own_product.pk]})
    own_product.refresh_from_db()
    assert own_product.status == Status.DRAFT


def test_vendor_product_form_is_grouped_and_fills_the_slug(vendor_client):
    page = vendor_client.get(add_url())

    titles = [fieldset.name for fieldset in page.context["adminform"]]
    assert [str(t) for t in titles] == ["Produk", "Harga & stok", "Sertifikasi", "Status"]
    assert "prepopulated_fields" in page.text or "data-prepopulated-fields" in page.text
    assert 'name="images-0-image"' in page.text  # the picture inline


def test_select_all_publishes_every_listed_product_in_a_few_queries(curator_client, own_vendor):
    """ "Select all" of a long list (the whole catalogue, or one vendor's
    after an import) publishes every product of the list, by one UPDATE:
    the queries do not grow with the selection."""
    queries = []
    for size in (3, 30):
        Product.objects.all().delete()
        ProductFactory.create_batch(size, vendor=own_vendor, status=Status.DRAFT)
        with CaptureQueriesContext(connection) as done:
            response = curator_client.post(
                reverse(CHANGELIST),
                {
                    "action": "publish",
                    "select_across": "1",
                    ACTION_CHECKBOX_NAME: [Product.objects.first().pk],
                },
            )
        assert response.status_code == 302
        assert Product.objects.filter(status=Status.PUBLISHED).count() == size
        queries.append(len(done))
    assert queries[0] == queries[1] < 20


def test_a_failed_action_changes_no_product(curator_client, own_vendor, break_bump):
    """All or nothing: when the action fails after writing (here retiring
    the cache fails), no product has changed."""
    products = ProductFactory.create_batch(3, vendor=own_vendor, status=Status.DRAFT)
    break_bump()
    with pytest.raises(RuntimeError):
        curator_client.post(
            reverse(CHANGELIST), {"action": "publish", ACTION_CHECKBOX_NAME: [p.pk for p in products]}
        )
    assert not Product.objects.filter(status=Status.PUBLISHED).exists()


def test_unpublishing_through_the_action_hides_the_product_on_the_next_request(curator_client, other_product):
    public = Client()
    for _ in range(3):  # a page is kept in the cache once asked twice
        assert public.get(other_product.get_absolute_url()).status_code == 200
        assert other_product.name in public.get(reverse("products:list")).text

    curator_client.post(
        reverse(CHANGELIST), {"action": "unpublish", ACTION_CHECKBOX_NAME: [other_product.pk]}
    )

    assert public.get(other_product.get_absolute_url()).status_code == 404
    assert other_product.name not in public.get(reverse("products:list")).text


def test_a_price_edit_in_the_form_shows_at_once_and_keeps_the_counts(vendor_client, own_vendor):
    """The edit vendors make most: the new price is on the next public page,
    whose counts come from the catalogue's cube as it was (no GROUP BY)."""
    product = ProductFactory(vendor=own_vendor, price=20000)
    public = Client()
    assert "Rp 20.000" in public.get(reverse("products:list")).text

    page = vendor_client.get(change_url(product))
    response = vendor_client.post(change_url(product), admin_form_data(page, price="27500"))
    assert response.status_code == 302

    with CaptureQueriesContext(connection) as done:
        text = public.get(reverse("products:list")).text
    assert "Rp 27.500" in text and "Rp 20.000" not in text
    assert not any("GROUP BY" in q["sql"] for q in done.captured_queries)


# --- Curators -----------------------------------------------------------------------


def test_curator_features_a_product_in_the_form(curator_client, other_product):
    page = curator_client.get(change_url(other_product))
    assert "featured" in input_names(page)

    response = curator_client.post(change_url(other_product), admin_form_data(page, featured="on"))

    assert response.status_code == 302
    other_product.refresh_from_db()
    assert other_product.featured


def test_curator_features_and_unfeatures_with_actions(curator_client, own_product, other_product):
    ids = [own_product.pk, other_product.pk]
    curator_client.post(reverse(CHANGELIST), {"action": "feature", ACTION_CHECKBOX_NAME: ids})
    assert Product.objects.filter(featured=True).count() == 2

    curator_client.post(reverse(CHANGELIST), {"action": "unfeature", ACTION_CHECKBOX_NAME: ids[:1]})
    assert list(Product.objects.filter(featured=True)) == [other_product]


def test_featured_is_read_only_without_the_feature_permission(client, other_product):
    staff = UserFactory()
    staff.user_permissions.set(
        Permission.objects.filter(codename__in=["verify_vendor", "view_product", "change_product"])
    )
    client.force_login(staff)
    page = client.get(change_url(other_product))
    assert page.status_code == 200
    assert "featured" not in input_names(page)

    client.post(change_url(other_product), admin_form_data(page, featured="on"))
    other_product.refresh_from_db()
    assert not other_product.featured


def test_superuser_sees_every_field(client, other_product):
    client.force_login(superuser())
    page = client.get(change_url(other_product))

    assert {"vendor", "featured", "status"} <= input_names(page)


def test_district_filter_only_for_curators(curator_client, client, own_vendor, own_product, other_product):
    other_product.vendor.district = district("balikpapan-utara")
    other_product.vendor.save()

    page = curator_client.get(
        reverse(CHANGELIST), {"vendor__district__id__exact": district("balikpapan-utara").pk}
    )
    assert other_product.name in page.text
    assert own_product.name not in page.text

    client.force_login(vendor_user(own_vendor))
    assert "vendor__district__id__exact" not in client.get(reverse(CHANGELIST)).text


def test_certification_filter(curator_client):
    halal = ProductFactory(name="Amsplang Halal", halal=True)
    plain = ProductFactory(name="Gantungan Kunci Manik")

    page = curator_client.get(reverse(CHANGELIST), {"certification": "halal"})

    assert halal.name in page.text
    assert plain.name not in page.text


def picture(color="orange"):
    return Image.new("RGB", (400, 300), color)


def test_changelist_thumbnail_shows_the_cover_or_a_dash(curator_client, own_product, other_product):
    second = attach_image(own_product, picture("blue"), position=2)
    cover = attach_image(own_product, picture(), position=1)

    page = curator_client.get(reverse(CHANGELIST))

    assert page.status_code == 200
    assert f'<img class="admin-thumb" src="{cover.thumbnail_url}"' in page.text
    assert second.thumbnail_url not in page.text
    assert re.search(r'field-cover_thumbnail"><a href="[^"]+">—</a>', page.text)  # no picture


def test_changelist_queries_do_not_grow_with_products(curator_client, django_assert_max_num_queries):
    image = picture()
    for product in ProductFactory.create_batch(30):
        attach_image(product, image)

    with django_assert_max_num_queries(15):
        response = curator_client.get(reverse(CHANGELIST))

    assert response.status_code == 200
    thumbnail = r'field-cover_thumbnail"><a href="[^"]+"><img class="admin-thumb" src='
    assert len(re.findall(thumbnail, response.text)) == 30


# --- Search and counts at scale -----------------------------------------------------


def listed(response):
    return {product.name for product in response.context["cl"].result_list}


def test_curator_search_finds_words_of_names_vendors_and_a_slug(curator_client, own_product, other_product):
    sambal = ProductFactory(name="Sambal Amplang", slug="sambal-amplang-x7", vendor=other_product.vendor)

    def search(q):
        return listed(curator_client.get(reverse(CHANGELIST), {"q": q}))

    assert search("amplang") == {"Amplang Ikan Pipih", "Sambal Amplang"}  # drafts too
    assert search("AMPL pip") == {"Amplang Ikan Pipih"}  # word prefixes, every word
    assert search("pak budi") == {"Kerupuk Udang", "Sambal Amplang"}  # the vendor's name
    assert search(sambal.slug) == {"Sambal Amplang"}  # a pasted address's last part
    assert search("udang amplang") == set()
    for hostile in ["'", '"amplang', "amplang:*", "a & !b", "<script>", "%", "🙂"]:
        response = curator_client.get(reverse(CHANGELIST), {"q": hostile})
        assert response.status_code == 200, hostile


def test_vendor_search_finds_only_its_own_products(vendor_client, own_product, other_product):
    ProductFactory(name="Amplang Pak Budi", vendor=other_product.vendor)
    response = vendor_client.get(reverse(CHANGELIST), {"q": "amplang"})
    assert listed(response) == {"Amplang Ikan Pipih"}
    response = vendor_client.get(reverse(CHANGELIST), {"q": other_product.slug})
    assert listed(response) == set()


def test_changelist_count_is_kept_until_an_edit(curator_client, other_product):
    def counts(**params):
        with CaptureQueriesContext(connection) as captured:
            response = curator_client.get(reverse(CHANGELIST), params)
        assert response.status_code == 200
        statements = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
        return response.context["cl"].result_count, len(statements)

    assert counts() == (1, 1)
    assert counts() == (1, 0)  # kept: no COUNT of the whole table again
    assert counts(q="udang") == (1, 1)  # one COUNT per query, no second "of M total"
    ProductFactory(name="Udang Galah")
    assert counts() == (2, 1)
    assert counts(q="udang") == (2, 1)


# --- Categories ---------------------------------------------------------------------


def test_vendor_sees_categories_read_only(vendor_client):
    category = CategoryFactory(name="Amplang & Kerupuk")
    url = reverse("admin:products_category_change", args=[category.pk])

    page = vendor_client.get(url)
    assert page.status_code == 200
    assert input_names(page) == set()
    assert "Amplang &amp; Kerupuk" in page.text

    assert (
        vendor_client.post(url, {"name": "Diubah", "slug": category.slug, "position": 0}).status_code == 403
    )
    assert vendor_client.get(reverse("admin:products_category_add")).status_code == 403
    assert (
        'name="form-0-position"' not in vendor_client.get(reverse("admin:products_category_changelist")).text
    )
    category.refresh_from_db()
    assert category.name == "Amplang & Kerupuk"


def test_curator_edits_category_position_and_active_in_the_list(curator_client):
    category = CategoryFactory(name="Kerajinan", position=3)
    changelist = reverse("admin:products_category_changelist")
    page = curator_client.get(changelist)
    assert 'name="form-0-position"' in page.text

    response = curator_client.post(
        changelist,
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": category.pk,
            "form-0-position": "1",
            "_save": "Simpan",
        },
    )

    assert response.status_code == 302
    category.refresh_from_db()
    assert category.position == 1
    assert not category.active  # unchecked box


def test_category_parent_choices_are_top_level_only(curator_client):
    top = CategoryFactory(name="Makanan & Minuman")
    sub = CategoryFactory(name="Amplang", parent=top)

    page = curator_client.get(reverse("admin:products_category_add"))
    choices = set(page.context["adminform"].form.fields["parent"].queryset)

    assert top in choices
    assert sub not in choices
    assert Category.objects.count() == 2


def featured_section(html):
    """The home page's "Produk unggulan" section (empty when there is none)."""
    start = html.find('aria-labelledby="featured-title"')
    return html[start : html.find("</section>", start)] if start >= 0 else ""


def test_featuring_through_the_action_shows_on_the_home_page_at_once(client):
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

    from tests.factories import ProductFactory

    product = ProductFactory(name="Lempok Durian Asli", featured=False)
    assert "Lempok Durian Asli" not in featured_section(client.get(reverse("home")).text)  # now cached
    staff = Client()
    staff.force_login(curator_user())

    staff.post(
        reverse("admin:products_product_changelist"),
        {"action": "feature", ACTION_CHECKBOX_NAME: [product.pk]},
    )

    assert "Lempok Durian Asli" in featured_section(client.get(reverse("home")).text)
