import contextlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from umkm_directory.links import slug_url

from .phone import format_whatsapp, normalize_whatsapp
from .roles import is_curator


class District(models.Model):
    """A kecamatan of the city. Data, not code: seeded by a migration."""

    name = models.CharField(_("nama"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(_("urutan"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("kecamatan")
        verbose_name_plural = _("kecamatan")

    def __str__(self):
        return self.name


# The vendor's fields its products keep copies of (products.models.COPIED_COLUMNS).
COPIED_FIELDS = {"district", "district_id", "active"}


class VendorQuerySet(models.QuerySet):
    def active(self):
        """Vendors the public may see."""
        return self.filter(active=True)

    def editable_by(self, user):
        """Vendors this user may edit: all for curators, their own for vendor accounts."""
        if is_curator(user):
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(users=user)

    # --- keeping the products' copies of their vendor (Product.district for
    # the catalogue's district filter, Product.vendor_active for the
    # visibility rule) right when a vendor's district or active flag changes

    def _sync_products(self, vendor_ids):
        products = self.model.products.rel.related_model  # vendors does not import products
        products.objects.filter(vendor_id__in=vendor_ids).sync_vendor_copies()

    def update(self, **kwargs):
        """QuerySet.update(), keeping the vendors' products' copies right."""
        if not COPIED_FIELDS & set(kwargs):
            return super().update(**kwargs)
        ids = list(self.values_list("pk", flat=True))
        count = super().update(**kwargs)
        self._sync_products(ids)
        return count

    def bulk_update(self, objs, fields, *args, **kwargs):
        """QuerySet.bulk_update(), keeping the vendors' products' copies right
        (the importer writes vendors this way)."""
        objs = list(objs)
        count = super().bulk_update(objs, fields, *args, **kwargs)
        if COPIED_FIELDS & set(fields):
            self._sync_products([obj.pk for obj in objs])
        return count


class Vendor(models.Model):
    """A UMKM: a micro, small or medium business of the city."""

    name = models.CharField(_("nama usaha"), max_length=150)
    slug = models.SlugField(
        _("slug"),
        max_length=160,
        unique=True,
        help_text=_("Bagian alamat halaman toko, misalnya amplang-bu-ani. Terisi otomatis dari nama."),
    )
    description = models.TextField(
        _("deskripsi"), blank=True, help_text=_("Ceritakan usaha Anda: sejak kapan, apa keunggulannya.")
    )
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="vendors", verbose_name=_("kecamatan")
    )
    address = models.CharField(_("alamat"), max_length=255, blank=True)
    whatsapp = models.CharField(
        _("nomor WhatsApp"),
        max_length=16,
        validators=[normalize_whatsapp],
        help_text=_("Nomor yang dipakai pembeli untuk memesan, misalnya 0812 3456 7890."),
    )
    email = models.EmailField(_("email"), blank=True)
    website = models.URLField(_("situs web"), blank=True)
    instagram = models.CharField(
        _("Instagram"),
        max_length=30,
        blank=True,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9._]{1,30}$",
                _("Tulis nama akun Instagram saja, tanpa @ dan tanpa alamat, misalnya amplang.buani."),
            )
        ],
        help_text=_("Nama akun tanpa @."),
    )
    logo = models.ImageField(_("logo"), upload_to="vendors/logos/", blank=True)
    nib = models.CharField(
        _("NIB"),
        max_length=13,
        blank=True,
        validators=[RegexValidator(r"^\d{13}$", _("NIB terdiri dari 13 angka."))],
        help_text=_("Nomor Induk Berusaha dari OSS (13 angka), jika ada."),
    )
    verified = models.BooleanField(
        _("terverifikasi"), default=False, help_text=_("Diisi petugas dinas setelah usaha diperiksa.")
    )
    active = models.BooleanField(
        _("aktif"), default=True, help_text=_("Usaha yang tidak aktif disembunyikan dari publik.")
    )
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="vendors",
        verbose_name=_("akun pengelola"),
        help_text=_("Akun yang boleh mengubah data usaha ini dan produknya."),
    )
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    updated_at = models.DateTimeField(_("diubah"), auto_now=True)

    objects = VendorQuerySet.as_manager()

    class Meta:
        # By name, then id: vendors may share a name, and a page boundary
        # between two of them must not show one twice and the other never.
        ordering = ["name", "id"]
        verbose_name = _("usaha (UMKM)")
        verbose_name_plural = _("usaha (UMKM)")
        permissions = [("verify_vendor", _("Dapat memverifikasi dan menonaktifkan usaha"))]
        indexes = [
            models.Index(fields=["active", "district"], name="vendor_active_district"),
            # The directory's pages in their order, with or without a district:
            # a deep page walks index entries, not a sort of every vendor.
            models.Index(fields=["name", "id"], name="vendor_active_name", condition=models.Q(active=True)),
            models.Index(
                fields=["district", "name", "id"],
                name="vendor_active_district_name",
                condition=models.Q(active=True),
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if self.whatsapp:
            self.whatsapp = normalize_whatsapp(self.whatsapp)
        adding = self._state.adding
        super().save(*args, **kwargs)
        update_fields = kwargs.get("update_fields")
        if not adding and (update_fields is None or COPIED_FIELDS & set(update_fields)):
            # Products carry copies of their vendor's district and active flag
            # (Product.district, Product.vendor_active): a vendor moved to
            # another district, deactivated or active again takes them along;
            # nothing is written when they are right.
            self.products.exclude(district_id=self.district_id, vendor_active=self.active).update(
                district_id=self.district_id, vendor_active=self.active
            )

    def get_absolute_url(self):
        return slug_url("vendors:detail", self.slug)

    def clean(self):
        super().clean()
        if self.whatsapp:
            # An invalid number is already reported by the field's validator.
            with contextlib.suppress(ValidationError):
                self.whatsapp = normalize_whatsapp(self.whatsapp)

    @property
    def whatsapp_display(self):
        return format_whatsapp(self.whatsapp) if self.whatsapp else ""
