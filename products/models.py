import json
from collections import namedtuple

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from umkm_directory.links import slug_url
from vendors.models import Vendor
from vendors.roles import is_curator


class CategoryQuerySet(models.QuerySet):
    def visible(self):
        """Active categories whose parent (if any) is active too."""
        return self.filter(active=True).filter(Q(parent__isnull=True) | Q(parent__active=True))

    def top_level(self):
        """Categories without a parent."""
        return self.filter(parent__isnull=True)

    def update(self, **kwargs):
        """QuerySet.update(), keeping the products' copies of their category
        (Product.top_category, Product.category_visible) right when a parent
        or an active flag changes."""
        if not CATEGORY_COPY_SOURCES & set(kwargs):
            return super().update(**kwargs)
        ids = list(self.values_list("pk", flat=True))
        count = super().update(**kwargs)
        Product.objects.in_category_trees(ids).sync_category_copies()
        return count

    def bulk_update(self, objs, fields, *args, **kwargs):
        """QuerySet.bulk_update(), keeping the products' copies of their
        category right (the importer writes categories this way)."""
        objs = list(objs)
        count = super().bulk_update(objs, fields, *args, **kwargs)
        if CATEGORY_COPY_SOURCES & set(fields):
            Product.objects.in_category_trees([obj.pk for obj in objs]).sync_category_copies()
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
        adding = self._state.adding
        super().save(*args, **kwargs)
        # A category moved under another parent (or made top-level), hidden
        # or shown again moves its products' copies (top_category,
        # category_visible) with it, and its subcategories' products'
        # visibility; nothing is written when they are right.
        update_fields = kwargs.get("update_fields")
        if not adding and (update_fields is None or CATEGORY_COPY_SOURCES & set(update_fields)):
            Product.objects.in_category_trees([self.pk]).sync_category_copies()

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


def category_copies(category_ids=None):
    """{category id: (the id of its top-level category (itself when
    top-level), whether it is visible)} for every category (there are few)."""
    visible = set(Category.objects.visible().values_list("id", flat=True))
    tops = Category.objects.values_list("id", Coalesce("parent_id", "id"))
    return {pk: (top, pk in visible) for pk, top in tops}


def vendor_copies(vendor_ids):
    """{vendor id: (its district id, whether it is active)} for these vendors."""
    rows = Vendor.objects.filter(pk__in=set(vendor_ids)).values_list("id", "district_id", "active")
    return {pk: (district, active) for pk, district, active in rows}


# Columns copied onto each product from what it points to, for the list
# queries (shortcuts: the rules stay with the category and the vendor):
# (the field pointed to, the copies, {id pointed to: (values of the copies)}
# for some ids, the QuerySet method that puts wrong copies right). Every
# write path below goes through this table.
COPIED_COLUMNS = [
    ("category", ("top_category", "category_visible"), category_copies, "sync_category_copies"),
    ("vendor", ("district", "vendor_active"), vendor_copies, "sync_vendor_copies"),
]
# The fields of a category the products' copies are made of (a vendor's:
# vendors.models.COPIED_FIELDS).
CATEGORY_COPY_SOURCES = {"parent", "parent_id", "active"}


def _attnames(copies):
    return [Product._meta.get_field(name).attname for name in copies]


# What a product card shows (ProductQuerySet.card_rows()).
CARD_COLUMNS = (
    "id", "slug", "name", "price", "unit", "availability", "halal", "export_ready",
    "vendor__name", "vendor__verified", "district__name",
)  # fmt: skip


class _PicturesSelect(models.Expression):
    """A correlated sub-select per product row over its pictures (``i``),
    giving one JSON text; subclasses write its SQL for each database."""

    def __init__(self):
        super().__init__(output_field=models.TextField())

    def _sql(self, compiler, connection, value, tail=""):
        table = connection.ops.quote_name(ProductImage._meta.db_table)
        product = connection.ops.quote_name(compiler.query.base_table)
        # Names quoted by the database's own rules; no value is part of the text.
        return f"(SELECT {value} FROM {table} i WHERE i.product_id = {product}.id{tail})", []  # noqa: S608


class CoverJSON(_PicturesSelect):
    """A product's cover (its first picture by position, then id) as one JSON
    text ``[image, width, height, renditions]``, or NULL without pictures.
    One sub-select instead of one per column: 0.10-0.18 ms less for the 24
    cards of a page on PostgreSQL (docs/performance-history.md, ninth session).
    ProductQuerySet.card_rows() adds it, products.cards.card_row() reads it."""

    FIRST = " ORDER BY i.position, i.id LIMIT 1"

    def as_sql(self, compiler, connection):
        value = "json_array(i.image, i.width, i.height, json(i.renditions))"
        return self._sql(compiler, connection, value, self.FIRST)

    def as_postgresql(self, compiler, connection):
        value = "json_build_array(i.image, i.width, i.height, i.renditions)::text"
        return self._sql(compiler, connection, value, self.FIRST)


class PicturesJSON(_PicturesSelect):
    """A product's pictures as one JSON text, a list of rows ``[id, image,
    width, height, alt, position, renditions]`` (in no particular order), or
    ``[]`` (SQLite's json_group_array, PostgreSQL's json_agg).
    ProductQuerySet.with_pictures() adds it, Product.gallery reads it."""

    COLUMNS = "i.id, i.image, i.width, i.height, i.alt, i.position"

    def as_sql(self, compiler, connection):
        aggregate = f"COALESCE(json_group_array(json_array({self.COLUMNS}, json(i.renditions))), '[]')"
        return self._sql(compiler, connection, aggregate)

    def as_postgresql(self, compiler, connection):
        aggregate = f"COALESCE(json_agg(json_build_array({self.COLUMNS}, i.renditions)), '[]')::text"
        return self._sql(compiler, connection, aggregate)


class ProductQuerySet(models.QuerySet):
    def visible(self):
        """THE rule of what the public may see: a published product of an
        active vendor in a visible category (active, with an active parent).

        The vendor's and the category's part are read from the product's own
        copies of them (``vendor_active``, ``category_visible``: COPIED_COLUMNS,
        kept right by every write of a product, a vendor or a category), so
        the rule is three columns of the row: the catalogue's indexes carry
        it as their condition (migration 0008) and no query joins, hashes or
        probes the vendors or the categories to apply it."""
        return self.filter(status=Status.PUBLISHED, vendor_active=True, category_visible=True)

    def card_rows(self, *extra):
        """The products as the rows a product card is written from
        (products.cards.CardRow): their own columns, the vendor's name and
        flag, the district's name and the cover picture's columns, in one
        query (the cover as one JSON text by a sub-select per row on the
        pictures' index, CoverJSON), then the ``extra`` fields or
        annotations, if any."""
        return self.annotate(cover_json=CoverJSON()).values_list(*CARD_COLUMNS, "cover_json", *extra)

    def with_pictures(self):
        """The products with their pictures read in the same query (one
        sub-select a product on the pictures' index): ``product.gallery``
        then needs no query of its own. For a page showing one product."""
        return self.annotate(pictures_json=PicturesJSON())

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

    def in_category_trees(self, category_ids):
        """Products filed under these categories or under their subcategories."""
        return self.filter(Q(category_id__in=category_ids) | Q(category__parent_id__in=category_ids))

    # --- keeping the copied columns right (COPIED_COLUMNS): every write of
    # category_id or vendor_id goes through the methods below, a change of a
    # category (parent, active) or a vendor (district, active) through
    # sync_category_copies() / sync_vendor_copies() (Category.save()/update(),
    # vendors.models)

    def sync_vendor_copies(self):
        """Set district and vendor_active from the vendor where they are
        wrong (two UPDATEs; nothing written when right)."""
        count = 0
        for copy, source in (("district_id", "district_id"), ("vendor_active", "active")):
            value = Subquery(Vendor.objects.filter(pk=OuterRef("vendor_id")).values(source)[:1])
            count += self.exclude(**{copy: value}).update(**{copy: value})
        return count

    def sync_category_copies(self):
        """Set top_category and category_visible from the category tree where
        they are wrong (an UPDATE per distinct pair of values, a few at most;
        nothing written when right)."""
        groups = {}
        for category_id, values in category_copies().items():
            groups.setdefault(values, []).append(category_id)
        count = 0
        for (top, visible), ids in groups.items():
            wrong = self.filter(category_id__in=ids).exclude(top_category_id=top, category_visible=visible)
            count += wrong.update(top_category_id=top, category_visible=visible)
        return count

    def update(self, **kwargs):
        """QuerySet.update(), keeping the copied columns (COPIED_COLUMNS) right
        when what they copy changes: set in the same UPDATE for a value, put
        right afterwards for an expression."""
        resync = []
        for source, copies, lookup, sync in COPIED_COLUMNS:
            attnames = _attnames(copies)
            if (source in kwargs or f"{source}_id" in kwargs) and not set(attnames) & set(kwargs):
                value = kwargs.get(source, kwargs.get(f"{source}_id"))
                if isinstance(value, models.Model | int):
                    pk = value.pk if isinstance(value, models.Model) else value
                    kwargs.update(zip(attnames, lookup([pk]).get(pk, (None, False)), strict=True))
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
        for source, copies, lookup, _sync in COPIED_COLUMNS:
            _copy_onto(objs, source, copies, lookup)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        """QuerySet.bulk_update(), keeping the copied columns right when what
        they copy is among the fields."""
        objs, fields = list(objs), list(fields)
        for source, copies, lookup, _sync in COPIED_COLUMNS:
            if {source, f"{source}_id"} & set(fields):
                _copy_onto(objs, source, copies, lookup)
                fields += [copy for copy in copies if copy not in fields]
        return super().bulk_update(objs, fields, *args, **kwargs)


def _copy_onto(products, source, copies, lookup):
    """Set ``copies`` on each of ``products`` from its ``source`` (one lookup
    for all); a product pointing at nothing known gets no district or top
    category and is not visible."""
    attnames = _attnames(copies)
    values = lookup([getattr(product, f"{source}_id") for product in products])
    for product in products:
        found = values.get(getattr(product, f"{source}_id"), (None, False))
        for attname, value in zip(attnames, found, strict=True):
            setattr(product, attname, value)


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
    # the importer (all through COPIED_COLUMNS: ProductQuerySet.sync_vendor_copies
    # or the same lookup): a district filter is one equality with an index per
    # sort order (migration 0007) instead of a join on the vendor. Only a shortcut.
    district = models.ForeignKey(
        "vendors.District",
        on_delete=models.PROTECT,
        null=True,
        editable=False,
        related_name="+",
        db_index=False,
        verbose_name=_("kecamatan"),
    )
    # Copies of the vendor's ``active`` and of whether the category is
    # visible (Category.objects.visible()), kept like ``district`` and
    # ``top_category`` (COPIED_COLUMNS): the visibility rule (visible()) reads
    # them from the product's own row. False until set: a product whose
    # copies were never written stays hidden.
    vendor_active = models.BooleanField(_("usaha aktif"), default=False, editable=False)
    category_visible = models.BooleanField(_("kategori tampil"), default=False, editable=False)
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
        # The catalogue's indexes (one per filter and sort order, carrying
        # the visibility rule as their condition) are backend-specific:
        # migration 0008.
        permissions = [("feature_product", _("Dapat menjadikan produk unggulan"))]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        written = set()
        for source, copies, lookup, _sync in COPIED_COLUMNS:
            if update_fields is None or {source, f"{source}_id"} & set(update_fields):
                _copy_onto([self], source, copies, lookup)
                written.update(copies)
        if update_fields is not None and written:
            kwargs["update_fields"] = {*update_fields, *written}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return slug_url("products:detail", self.slug)

    @property
    def certifications(self):
        """The certifications this product holds, as Certification members."""
        return [c for c in Certification if getattr(self, c.value)]

    @property
    def gallery(self):
        """The product's pictures in their order (the cover first), as
        ProductImage rows: from the column ``with_pictures()`` added to the
        query that loaded this product when it did (no query), else read."""
        text = getattr(self, "pictures_json", None)
        if text is None:
            return list(self.images.order_by("position", "id"))
        rows = sorted(json.loads(text), key=lambda row: (row[5], row[0]))  # position, id
        return [
            ProductImage(
                id=pk, product=self, image=image, width=width, height=height, alt=alt,
                position=position, renditions=renditions or {},
            )
            for pk, image, width, height, alt, position, renditions in rows
        ]  # fmt: skip

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

    @property
    def picture(self):
        """Its addresses and sizes (Picture), from the row alone."""
        return Picture(self.image.name, self.width, self.height, self.renditions)

    # Template helpers (see Picture): no query and no storage call.

    @property
    def src_url(self):
        return self.picture.src_url

    @property
    def src_width(self):
        return self.picture.src_width

    @property
    def src_height(self):
        return self.picture.src_height

    @property
    def srcset(self):
        return self.picture.srcset

    @property
    def thumbnail_url(self):
        return self.picture.thumbnail_url

    @property
    def thumbnail_size(self):
        return self.picture.thumbnail_size


class Picture(namedtuple("Picture", "name width height renditions")):
    """A stored product picture's addresses and sizes, built from the columns
    of its ProductImage row (``image``, ``width``, ``height``, ``renditions``)
    with no query and no storage call: the product page's gallery uses it
    through ProductImage, a product card straight from its card row."""

    __slots__ = ()

    @staticmethod
    def _url(name):
        return default_storage.url(name)

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
        return self._url(src["name"] if src else self.name)

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
        return self._url(thumbnail["name"] if thumbnail else self.name)

    @property
    def thumbnail_size(self):
        thumbnail = self.renditions.get("thumbnail") if self.renditions else None
        return thumbnail["size"] if thumbnail else 160
