import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection

from products.models import Category, Product, Status
from vendors.models import District, Vendor
from vendors.roles import CURATOR_GROUP, VENDOR_GROUP


def product_indexes():
    """The products table's indexes: (name, definition) on PostgreSQL, where
    bulk loads drop and rebuild them (products.importer.indexes_built_after);
    (name, columns) elsewhere."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'products_product'")
            return sorted(cursor.fetchall())
        constraints = connection.introspection.get_constraints(cursor, "products_product")
    return sorted((name, tuple(info["columns"] or ())) for name, info in constraints.items() if info["index"])


def waiting(db=connection):
    """How many products wait to be folded into the search's postings
    (PostgreSQL), as ``db`` sees it."""
    with db.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM products_search_dirty")
        return cursor.fetchone()[0]


def district(slug="balikpapan-kota"):
    """One of the districts seeded by the migration."""
    return District.objects.get(slug=slug)


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Kategori {n}")
    slug = factory.Sequence(lambda n: f"kategori-{n}")
    active = True


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor

    name = factory.Sequence(lambda n: f"UMKM Contoh {n}")
    slug = factory.Sequence(lambda n: f"umkm-contoh-{n}")
    district = factory.LazyFunction(district)
    whatsapp = factory.Sequence(lambda n: f"0812{n:08d}")
    address = "Jl. Jenderal Sudirman No. 1"
    active = True
    verified = True


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    vendor = factory.SubFactory(VendorFactory)
    category = factory.SubFactory(CategoryFactory)
    name = factory.Sequence(lambda n: f"Produk {n}")
    slug = factory.Sequence(lambda n: f"produk-{n}")
    description = "Produk olahan UMKM Balikpapan."
    price = 25000
    unit = "250 g"
    status = Status.PUBLISHED


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "rahasia-123-uji")

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save(update_fields=["password"])


def vendor_user(vendor, **kwargs):
    """A staff account in the vendor group, linked to ``vendor``."""
    user = UserFactory(**kwargs)
    user.groups.add(Group.objects.get(name=VENDOR_GROUP))
    vendor.users.add(user)
    return user


def curator_user(**kwargs):
    """A staff account in the curator group."""
    user = UserFactory(**kwargs)
    user.groups.add(Group.objects.get(name=CURATOR_GROUP))
    return user


def superuser(**kwargs):
    """A superuser account."""
    return UserFactory(is_superuser=True, **kwargs)


def admin_form_data(response, **changes):
    """The POST data an admin add/change page (the GET ``response``) sends
    when submitted unchanged, with ``changes`` applied (None drops a field).
    Inline formsets are sent with their existing rows and no extra row."""
    from django import forms

    def form_values(form):
        values = {}
        for name, field in form.fields.items():
            if field.disabled or isinstance(field, forms.FileField):
                continue
            value = form[name].value()
            key = form.add_prefix(name)
            if isinstance(field, forms.BooleanField):
                if value:
                    values[key] = "on"
            elif isinstance(value, list | tuple):
                values[key] = [str(v) for v in value]
            else:
                values[key] = "" if value is None else str(value)
        return values

    data = form_values(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        initial = formset.initial_form_count()
        prefix = formset.prefix
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": str(initial),
                f"{prefix}-INITIAL_FORMS": str(initial),
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
        for form in formset.initial_forms:
            data.update(form_values(form))
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data
