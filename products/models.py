from django.core.exceptions import ValidationError
from django.db import connections, models
from django.db.models import OuterRef, Q, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from umkm_directory.links import slug_url
from vendors.models import Vendor
from vendors.roles import is_curator


class CategoryQuerySet(models.QuerySet):
    def visible(self):
        """Active categories whose parent (if any) is active too."""
        return self.filter(active=True).filter(Q(parent__isnull=True) | Q(parent__active=True))

    def hidden(self):
        """The categories visible() leaves out (usually none)."""
        return self.exclude(pk__in=Category.objects.visible())

    def top_level(self):
        """Categories without a parent."""
        return self.filter(parent__isnull=True)

    def update(self, **kwargs):
        """QuerySet.update(), keeping Product.top_category right when parents change."""
        if not {"parent", "parent_id"} & set(kwargs):
            return super().update(**kwargs)
        ids = list(self.values_list("pk", flat=True))
        count = super().update(**kwargs)
        Product.objects.filter(category_id__in=ids).sync_top_category()
        return count

    def bulk_update(self, objs, fields, *args, **kwargs):
        """QuerySet.bulk_update(), keeping Product.top_category right when parents change
        (the importer writes categories this way)."""
        objs = list(objs)
        count = super().bulk_update(objs, fields, *args, **kwargs)
        if {"parent", "parent_id"} & set(fields):
            Product.objects.filter(category_id__in=[obj.pk for obj in objs]).sync_top_category()
        return count


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

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # A category moved under another parent (or made top-level) moves its
        # products' top_category with it; nothing is written otherwise.
        top = self.parent_id or self.pk
        Product.objects.filter(category_id=self.pk).exclude(top_category_id=top).update(top_category_id=top)

    def get_absolute_url(self):
        return slug_url("products:category", self.slug)

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


def vendor_district_ids(vendor_ids):
    """{vendor id: its district id} for these vendors."""
    return dict(Vendor.objects.filter(pk__in=set(vendor_ids)).values_list("id", "district_id"))


def top_category_ids():
    """{category id: the id of its top-level category (itself when top-level)}."""
    return dict(Category.objects.values_list("id", Coalesce("parent_id", "id")))


# Columns copied onto each product from what it points to, for the list
# queries (shortcuts, never rules): (the field pointed to, the copy, {id of
# the field pointed to: value of the copy} for some ids, the QuerySet method
# that puts wrong copies right). Every write path below goes through this table.
COPIED_COLUMNS = [
    ("category", "top_category", lambda ids: top_category_ids(), "sync_top_category"),
    ("vendor", "district", vendor_district_ids, "sync_district"),
]


_COMPILED = {}


def _compiled_once(name, build):
    """The ids of ``build()`` (a QuerySet taking no values from the request) as
    SQL compiled once per process and database. visible() is part of nearly
    every public query, and Django would build and compile these subqueries
    anew each time (~1.5 ms, more than running them); the rules themselves
    stay written in the ORM (Category.objects.hidden(), Vendor.active)."""
    key = (connections["default"].vendor, name)
    compiled = _COMPILED.get(key)
    if compiled is None:
        # order_by(): a model's default ordering (Vendor's by name) would sort the subquery.
        compiled = _COMPILED[key] = build().order_by().values("pk").query.sql_with_params()
    # Compiled by Django from a fixed QuerySet: no outside text reaches it.
    return RawSQL(*compiled)  # noqa: S611


class ProductQuerySet(models.QuerySet):
    def visible(self):
        """THE rule of what the public may see: a published product of an
        active vendor in a visible category (active, with an active parent).

        Written as "published, not one of an inactive vendor's products, not
        in a hidden category" (vendor and category are required foreign keys,
        so this is the same set): the two short lists (usually a few
        thousand inactive vendors, read from their own index, and no hidden
        category) are hashed once per query and checked against each index
        entry, which carries vendor_id and category_id (migration 0006). A
        join would look up the vendor and the category of every row a list
        walks, and a deep page's OFFSET walks thousands."""
        inactive_vendors = _compiled_once("inactive_vendors", lambda: Vendor.objects.filter(active=False))
        hidden_categories = _compiled_once("hidden_categories", Category.objects.hidden)
        return (
            self.filter(status=Status.PUBLISHED)
            .exclude(vendor_id__in=inactive_vendors)
            .exclude(category_id__in=hidden_categories)
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

    def in_top_category(self, category_id):
        """Products of a top-level category and of all its subcategories: one
        equality on top_category, which has an index per sort order
        (migration 0006). ``category_id IN (top, subcategories...)`` would
        walk the whole catalogue's sort index and filter, and names and
        prices cluster by category, so a page could read 100,000+ rows."""
        return self.filter(top_category_id=category_id)

    def in_district(self, district_id):
        """Products of vendors in this district: one equality on the
        product's own ``district`` (the vendor's, migration 0007), which has
        an index per sort order. ``vendor__district_id`` joins the vendor of
        every row a page walks, and a deep page walks thousands."""
        return self.filter(district_id=district_id)

    # --- keeping the copied columns right (COPIED_COLUMNS): every write of
    # category_id or vendor_id goes through the methods below, a change of a
    # category's parent or a vendor's district through sync_top_category() /
    # sync_district() (Category.save()/update(), vendors.models)

    def sync_district(self):
        """Set district from the vendor where it is wrong (one UPDATE;
        nothing written when right)."""
        vendors_district = Subquery(Vendor.objects.filter(pk=OuterRef("vendor_id")).values("district_id")[:1])
        return self.exclude(district_id=vendors_district).update(district_id=vendors_district)

    def sync_top_category(self):
        """Set top_category from the category tree where it is wrong (a few
        UPDATEs, one per top-level category; nothing written when right)."""
        groups = {}
        for category_id, top in top_category_ids().items():
            groups.setdefault(top, []).append(category_id)
        count = 0
        for top, ids in groups.items():
            count += self.filter(category_id__in=ids).exclude(top_category_id=top).update(top_category_id=top)
        return count

    def update(self, **kwargs):
        """QuerySet.update(), keeping the copied columns (COPIED_COLUMNS) right
        when what they copy changes: set in the same UPDATE for a value, put
        right afterwards for an expression."""
        resync = []
        for source, copy, lookup, sync in COPIED_COLUMNS:
            if (source in kwargs or f"{source}_id" in kwargs) and f"{copy}_id" not in kwargs:
                value = kwargs.get(source, kwargs.get(f"{source}_id"))
                if isinstance(value, models.Model | int):
                    pk = value.pk if isinstance(value, models.Model) else value
                    kwargs[f"{copy}_id"] = lookup([pk]).get(pk)
                else:
                    resync.append(sync)
        if not resync:
            return super().update(**kwargs)
        ids = list(self.values_list("pk", flat=True))
        count = super().update(**kwargs)
        for sync in resync:
            getattr(Product.objects.filter(pk__in=ids), sync)()
        return count

    def bulk_create(self, objs, *args, **kwargs):
        """QuerySet.bulk_create(), filling the copied columns (COPIED_COLUMNS)."""
        objs = list(objs)
        for source, copy, lookup, _sync in COPIED_COLUMNS:
            _copy_onto(objs, source, copy, lookup)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        """QuerySet.bulk_update(), keeping the copied columns right when what
        they copy is among the fields."""
        objs, fields = list(objs), list(fields)
        for source, copy, lookup, _sync in COPIED_COLUMNS:
            if {source, f"{source}_id"} & set(fields):
                _copy_onto(objs, source, copy, lookup)
                if not {copy, f"{copy}_id"} & set(fields):
                    fields.append(copy)
        return super().bulk_update(objs, fields, *args, **kwargs)


def _copy_onto(products, source, copy, lookup):
    """Set ``copy`` on each of ``products`` from its ``source`` (one lookup for all)."""
    values = lookup([getattr(product, f"{source}_id") for product in products])
    for product in products:
        setattr(product, f"{copy}_id", values.get(getattr(product, f"{source}_id")))


class Product(models.Model):
    """A product a UMKM makes and sells."""

    vendor = models.ForeignKey(
        Vendor, on_delete=models.CASCADE, related_name="products", verbose_name=_("usaha")
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="products", verbose_name=_("kategori")
    )
    # The top-level category of ``category`` (itself when top-level), kept by
    # Product.save(), the QuerySet's update/bulk_create/bulk_update, Category
    # saves and the importer: a top-level category page filters on it with an
    # index per sort order (migration 0006). Not a rule: only a shortcut.
    top_category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        editable=False,
        related_name="+",
        db_index=False,
        verbose_name=_("kategori utama"),
    )
    # The vendor's district, kept by Product.save(), the QuerySet's
    # update/bulk_create/bulk_update, Vendor.save()/update()/bulk_update() and
    # the importer (all through ProductQuerySet.sync_district or the same
    # lookup): a district filter is one equality with an index per sort order
    # (migration 0007) instead of a join on the vendor. Only a shortcut.
    district = models.ForeignKey(
        "vendors.District",
        on_delete=models.PROTECT,
        null=True,
        editable=False,
        related_name="+",
        db_index=False,
        verbose_name=_("kecamatan"),
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

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        copies = set()
        for source, copy, lookup, _sync in COPIED_COLUMNS:
            if update_fields is None or {source, f"{source}_id"} & set(update_fields):
                _copy_onto([self], source, copy, lookup)
                copies.add(copy)
        if update_fields is not None and copies:
            kwargs["update_fields"] = {*update_fields, *copies}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return slug_url("products:detail", self.slug)

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
