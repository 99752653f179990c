from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from vendors.models import Vendor
from vendors.roles import is_curator


class CategoryQuerySet(models.QuerySet):
    def visible(self):
        """Active categories whose parent (if any) is active too."""
        return self.filter(active=True).filter(Q(parent__isnull=True) | Q(parent__active=True))

    def top_level(self):
        """Categories without a parent."""
        return self.filter(parent__isnull=True)


class Category(models.Model):
    """A node of the category tree curated by city staff: a top-level
    category (Makanan & Minuman) or one of its subcategories (Amplang &
    Kerupuk). The tree is two levels deep."""

    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("induk kategori"),
        help_text=_("Kosongkan untuk kategori utama."),
    )
    name = models.CharField(_("nama"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    description = models.TextField(_("deskripsi"), blank=True)
    position = models.PositiveSmallIntegerField(
        _("urutan"), default=0, help_text=_("Angka kecil tampil lebih dulu.")
    )
    active = models.BooleanField(
        _("aktif"),
        default=True,
        help_text=_("Kategori yang tidak aktif, beserta subkategorinya, disembunyikan dari publik."),
    )

    objects = CategoryQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("kategori")
        verbose_name_plural = _("kategori")

    def __str__(self):
        return f"{self.parent.name} › {self.name}" if self.parent_id else self.name

    def get_absolute_url(self):
        return reverse("products:category", kwargs={"slug": self.slug})

    def clean(self):
        super().clean()
        if self.parent_id:
            if self.parent_id == self.pk:
                raise ValidationError({"parent": _("Kategori tidak bisa menjadi induk dirinya sendiri.")})
            if self.parent.parent_id:
                raise ValidationError(
                    {"parent": _("Pilih kategori utama sebagai induk: pohon kategori hanya dua tingkat.")}
                )
            if self.pk and self.children.exists():
                raise ValidationError(
                    {"parent": _("Kategori ini punya subkategori, jadi harus tetap menjadi kategori utama.")}
                )


class Availability(models.TextChoices):
    READY = "ready", _("Stok tersedia")
    PREORDER = "preorder", _("Pre-order")
    SOLDOUT = "soldout", _("Habis")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draf")
    PUBLISHED = "published", _("Tayang")
    ARCHIVED = "archived", _("Diarsipkan")


class Certification(models.TextChoices):
    """Certifications a product may hold; each is a boolean field of the same name."""

    HALAL = "halal", _("Halal")
    PIRT = "pirt", _("P-IRT")
    BPOM = "bpom", _("BPOM")
    SNI = "sni", _("SNI")


class ProductQuerySet(models.QuerySet):
    def visible(self):
        """THE rule of what the public may see: a published product of an
        active vendor in a visible category (active, with an active parent)."""
        return self.filter(
            status=Status.PUBLISHED,
            vendor__active=True,
            category__in=Category.objects.visible(),
        )

    def for_listing(self):
        """Everything a product card needs, in a constant number of queries."""
        return self.select_related("vendor", "vendor__district", "category").prefetch_related(
            models.Prefetch("images", queryset=ProductImage.objects.order_by("position", "id"))
        )

    def editable_by(self, user):
        """Products this user may edit: all for curators, their vendors' for vendor accounts."""
        if is_curator(user):
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(vendor__users=user)

    def with_certification(self, *codes):
        """Products holding every one of the given certification codes."""
        return self.filter(**{code: True for code in codes if code in Certification.values})


class Product(models.Model):
    """A product a UMKM makes and sells."""

    vendor = models.ForeignKey(
        Vendor, on_delete=models.CASCADE, related_name="products", verbose_name=_("usaha")
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="products", verbose_name=_("kategori")
    )
    name = models.CharField(_("nama produk"), max_length=150)
    slug = models.SlugField(
        _("slug"),
        max_length=170,
        unique=True,
        help_text=_("Bagian alamat halaman produk. Terisi otomatis dari nama."),
    )
    description = models.TextField(
        _("deskripsi"), blank=True, help_text=_("Bahan, rasa, ukuran, cara penyimpanan, daya tahan.")
    )
    price = models.PositiveBigIntegerField(
        _("harga (Rp)"), help_text=_("Harga dalam rupiah, tanpa titik atau koma. Contoh: 25000.")
    )
    unit = models.CharField(
        _("satuan"), max_length=50, blank=True, help_text=_("Contoh: 250 g, 1 bungkus, 1 lembar.")
    )
    availability = models.CharField(
        _("ketersediaan"), max_length=10, choices=Availability.choices, default=Availability.READY
    )
    halal = models.BooleanField(_("Halal"), default=False)
    pirt = models.BooleanField(_("P-IRT"), default=False)
    bpom = models.BooleanField(_("BPOM"), default=False)
    sni = models.BooleanField(_("SNI"), default=False)
    export_ready = models.BooleanField(
        _("siap ekspor"), default=False, help_text=_("Kualitas dan kemasan sudah memenuhi standar ekspor.")
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=Status.choices,
        default=Status.DRAFT,
        help_text=_("Hanya produk berstatus Tayang yang terlihat oleh pembeli."),
    )
    featured = models.BooleanField(
        _("unggulan"), default=False, help_text=_("Ditampilkan di beranda. Diatur oleh petugas dinas.")
    )
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("diubah"), auto_now=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("produk")
        verbose_name_plural = _("produk")
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_not_negative"),
        ]
        indexes = [
            models.Index(fields=["status", "category", "-created_at"], name="product_status_cat_new"),
            models.Index(fields=["status", "-created_at"], name="product_status_new"),
            models.Index(fields=["status", "price"], name="product_status_price"),
            models.Index(fields=["status", "name"], name="product_status_name"),
            models.Index(fields=["vendor", "status"], name="product_vendor_status"),
        ]
        permissions = [("feature_product", _("Dapat menjadikan produk unggulan"))]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("products:detail", kwargs={"slug": self.slug})

    @property
    def certifications(self):
        """The certifications this product holds, as Certification members."""
        return [c for c in Certification if getattr(self, c.value)]

    @property
    def cover(self):
        """The first image, or None. Uses the prefetched images when present."""
        images = list(self.images.all())
        return images[0] if images else None

    def publish(self):
        self.status = Status.PUBLISHED
        self.save(update_fields=["status", "updated_at"])

    def unpublish(self):
        self.status = Status.DRAFT
        self.save(update_fields=["status", "updated_at"])


class ProductImage(models.Model):
    """A picture of a product; the one with the lowest position is the cover."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="images", verbose_name=_("produk")
    )
    image = models.ImageField(_("gambar"), upload_to="products/", width_field="width", height_field="height")
    width = models.PositiveIntegerField(editable=False, null=True)
    height = models.PositiveIntegerField(editable=False, null=True)
    alt = models.CharField(
        _("keterangan gambar"),
        max_length=200,
        blank=True,
        help_text=_("Untuk pembaca layar; kosongkan untuk memakai nama produk."),
    )
    position = models.PositiveSmallIntegerField(_("urutan"), default=0)
    # Written by products.images when the file is stored: {"source": image name,
    # "widths": [{"width", "height", "name"}, ...] ascending, "thumbnail": {"name", "size"}}.
    renditions = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("gambar produk")
        verbose_name_plural = _("gambar produk")

    def __str__(self):
        return f"{self.product} #{self.position}"

    @property
    def alt_text(self):
        return self.alt or self.product.name

    # Template helpers: built from the stored renditions, no query and no storage call.

    def _url(self, name):
        return self.image.storage.url(name)

    @property
    def _src(self):
        """The rendition used as ``src``: the first at least 640 px wide, else the widest."""
        widths = self.renditions.get("widths") if self.renditions else None
        if not widths:
            return None
        return next((r for r in widths if r["width"] >= 640), widths[-1])

    @property
    def src_url(self):
        src = self._src
        return self._url(src["name"]) if src else self.image.url

    @property
    def src_width(self):
        src = self._src
        return src["width"] if src else self.width

    @property
    def src_height(self):
        src = self._src
        return src["height"] if src else self.height

    @property
    def srcset(self):
        """``url 320w, url 640w, ...`` for the ``srcset`` attribute ("" before renditions exist)."""
        widths = self.renditions.get("widths", []) if self.renditions else []
        return ", ".join(f"{self._url(r['name'])} {r['width']}w" for r in widths)

    @property
    def thumbnail_url(self):
        thumbnail = self.renditions.get("thumbnail") if self.renditions else None
        return self._url(thumbnail["name"]) if thumbnail else self.image.url

    @property
    def thumbnail_size(self):
        thumbnail = self.renditions.get("thumbnail") if self.renditions else None
        return thumbnail["size"] if thumbnail else 160
