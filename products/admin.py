from django.contrib import admin, messages
from django.db.models import F, Prefetch
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from umkm_directory.http import update_catalogue
from vendors.admin import VendorOwnedAdminMixin, admin_thumbnail

from . import search
from .images import ProductImageForm
from .models import Category, Certification, Product, ProductImage, Status


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    """Curators manage the tree; vendor accounts only hold the view permission,
    so the admin shows them every page read-only."""

    list_display = ["name", "parent", "position", "active"]
    list_display_links = ["name"]
    list_editable = ["position", "active"]
    list_filter = [("parent", admin.RelatedOnlyFieldListFilter), "active"]
    list_select_related = ["parent"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["parent", "name", "slug", "description", "position", "active"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            # The tree is two levels deep: only a top-level category can be a parent.
            kwargs["queryset"] = Category.objects.top_level()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class CertificationFilter(admin.SimpleListFilter):
    title = _("sertifikasi")
    parameter_name = "certification"

    def lookups(self, request, model_admin):
        return Certification.choices

    def queryset(self, request, queryset):
        if self.value() in Certification.values:
            return queryset.with_certification(self.value())
        return queryset


class ProductImageInline(admin.TabularInline):
    """The product's pictures; the lowest position is the cover. The form
    checks and re-encodes each upload (products.images)."""

    model = ProductImage
    form = ProductImageForm
    fields = ["image", "alt", "position"]
    extra = 1


@admin.register(Product)
class ProductAdmin(VendorOwnedAdminMixin, admin.ModelAdmin):
    staff_only_fields = ("featured",)
    owner_field = "vendor"
    list_display = [
        "cover_thumbnail",
        "name",
        "vendor",
        "category",
        "price_display",
        "availability",
        "status",
        "featured",
    ]
    list_display_links = ["cover_thumbnail", "name"]
    list_filter = ["status", "availability", "category", CertificationFilter, "export_ready"]
    curator_list_filter = ["featured", "vendor__district"]
    list_select_related = ["vendor", "category", "category__parent"]
    search_fields = ["name", "slug", "vendor__name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["vendor"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [ProductImageInline]
    actions = ["publish", "unpublish", "feature", "unfeature"]
    fieldsets = [
        (_("Produk"), {"fields": ["vendor", "category", "name", "slug", "description"]}),
        (_("Harga & stok"), {"fields": ["price", "unit", "availability"]}),
        (_("Sertifikasi"), {"fields": ["halal", "pirt", "bpom", "sni", "export_ready"]}),
        (_("Status"), {"fields": ["status", "featured", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")))
        )

    def get_search_results(self, request, queryset, search_term):
        """The products whose name or vendor's name holds every word of the
        search (word prefixes, through the search index: ``search_fields``'
        icontains read every product's name, 3.6-4.1 s at 1,000,000
        products), or whose slug it is (a pasted address's last part)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        # Apart, not "named OR slug": an OR keeps PostgreSQL from starting
        # from the search index (0.45 s at 1,000,000 products, not ~10 ms).
        by_slug = queryset.filter(slug=term[:200])
        if by_slug.exists():
            return by_slug, False
        return search.named(queryset, term), False

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        hidden = self.get_hidden_fields(request, obj)
        if not self.has_feature_permission(request) and "featured" not in hidden:
            readonly = [*readonly, "featured"]
        return readonly

    def has_feature_permission(self, request):
        return request.user.has_perm("products.feature_product")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "category":
            # Each top-level category followed by its subcategories.
            kwargs["queryset"] = Category.objects.select_related("parent").order_by(
                Coalesce("parent__position", "position"),
                Coalesce("parent__name", "name"),
                F("parent").asc(nulls_first=True),
                "position",
                "name",
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("foto"))
    def cover_thumbnail(self, obj):
        cover = obj.cover
        return admin_thumbnail(cover.thumbnail_url if cover else None)

    @admin.display(description=_("harga"), ordering="price")
    def price_display(self, obj):
        return "Rp " + f"{obj.price:,}".replace(",", ".")

    # The actions below: one UPDATE for any selection, all or nothing
    # (update_catalogue()). Neither status nor featured is in the search
    # index: only the cached catalogue is retired.
    @admin.action(description=_("Tayangkan produk terpilih"), permissions=["change"])
    def publish(self, request, queryset):
        count = update_catalogue(queryset, status=Status.PUBLISHED, updated_at=timezone.now())
        self.message_user(
            request,
            ngettext("%(count)d produk ditayangkan.", "%(count)d produk ditayangkan.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Jadikan draf (sembunyikan) produk terpilih"), permissions=["change"])
    def unpublish(self, request, queryset):
        count = update_catalogue(queryset, status=Status.DRAFT, updated_at=timezone.now())
        self.message_user(
            request,
            ngettext("%(count)d produk dijadikan draf.", "%(count)d produk dijadikan draf.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Jadikan produk unggulan"), permissions=["feature"])
    def feature(self, request, queryset):
        count = update_catalogue(queryset, featured=True)
        self.message_user(
            request,
            ngettext("%(count)d produk dijadikan unggulan.", "%(count)d produk dijadikan unggulan.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Batalkan status unggulan"), permissions=["feature"])
    def unfeature(self, request, queryset):
        count = update_catalogue(queryset, featured=False)
        self.message_user(
            request,
            ngettext("%(count)d produk tidak lagi unggulan.", "%(count)d produk tidak lagi unggulan.", count)
            % {"count": count},
            messages.SUCCESS,
        )
