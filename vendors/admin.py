from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import EmptyResultSet, PermissionDenied
from django.core.paginator import Paginator
from django.db import models
from django.http import Http404
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from umkm_directory.http import catalogue_cached, update_catalogue
from umkm_directory.pictures import LogoField

from .accounts import accounts_manageable_by
from .models import District, Vendor
from .roles import VENDOR_GROUP, is_curator

User = get_user_model()


def admin_thumbnail(url, *, size=48):
    """A small square preview for a changelist column, or a dash without a picture."""
    if not url:
        return "—"
    return format_html(
        '<img class="admin-thumb" src="{}" alt="" width="{}" height="{}">',
        url,
        size,
        size,
    )


class CatalogueCountPaginator(Paginator):
    """The admin's paginator for the catalogue's tables: its count (a COUNT
    of up to every product: 0.1-0.2 s at 1,000,000 products, asked again on
    every page of the list) kept under the catalogue version, per query, so
    any edit of a product, vendor or category retires it."""

    @cached_property
    def count(self):
        try:
            sql, params = self.object_list.query.sql_with_params()
        except EmptyResultSet:
            return 0
        key = [self.object_list.model._meta.label, sql, [str(p) for p in params]]
        return catalogue_cached("admin-count", self.object_list.count, key)


class VendorOwnedAdminMixin:
    """The ownership rules of every admin whose objects belong to a vendor.

    Curators (and superusers) see and change everything. A vendor account
    - sees only what ``Model.objects.editable_by(user)`` returns; any other
      object's change, delete or history URL answers 404;
    - never sees nor sets ``staff_only_fields`` (they leave the form, the
      fieldsets, the list columns and the filters);
    - owns what it adds: ``owner_field`` (the foreign key to Vendor) offers only
      its own vendors, and with a single vendor it is hidden on add (set in
      ``save_model``) and read-only on change.
    ``curator_list_filter`` adds filters that only make sense across vendors.
    """

    class Media:
        css = {"all": ["css/admin.css"]}

    staff_only_fields = ()
    owner_field = None
    curator_list_filter = ()
    # Tables of up to a million rows: no second COUNT of the whole table for
    # "N results (M total)", and the count kept per version.
    show_full_result_count = False
    paginator = CatalogueCountPaginator

    def get_queryset(self, request):
        return super().get_queryset(request).editable_by(request.user)

    def get_object(self, request, object_id, from_field=None):
        # The admin would redirect to its index for an object outside the
        # queryset; answer 404 instead, the same for "not yours" and "gone".
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(_("Data tidak ditemukan."))
        return obj

    def is_owned(self, request, obj):
        if obj is None or is_curator(request.user):
            return True
        return self.model._default_manager.editable_by(request.user).filter(pk=obj.pk).exists()

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self.is_owned(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self.is_owned(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self.is_owned(request, obj)

    def own_vendors(self, request):
        """The vendors this user may attach objects to (cached per request)."""
        if not hasattr(request, "_own_vendors"):
            request._own_vendors = list(Vendor.objects.editable_by(request.user))
        return request._own_vendors

    def single_vendor(self, request):
        """The one vendor of a vendor account linked to exactly one, else None."""
        if is_curator(request.user):
            return None
        vendors = self.own_vendors(request)
        return vendors[0] if len(vendors) == 1 else None

    def get_hidden_fields(self, request, obj=None):
        """Fields this user may neither see nor set on this object."""
        if is_curator(request.user):
            return set()
        hidden = set(self.staff_only_fields)
        if self.owner_field and obj is None and self.single_vendor(request):
            hidden.add(self.owner_field)
        return hidden

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if self.owner_field and obj is not None and self.single_vendor(request):
            readonly.append(self.owner_field)
        return [name for name in readonly if name not in self.get_hidden_fields(request, obj)]

    def get_exclude(self, request, obj=None):
        excluded = super().get_exclude(request, obj)
        hidden = self.get_hidden_fields(request, obj)
        return [*(excluded or ()), *hidden] if hidden else excluded

    def get_fields(self, request, obj=None):
        hidden = self.get_hidden_fields(request, obj)
        return [name for name in super().get_fields(request, obj) if name not in hidden]

    def get_fieldsets(self, request, obj=None):
        hidden = self.get_hidden_fields(request, obj)
        fieldsets = []
        for title, options in super().get_fieldsets(request, obj):
            fields = [name for name in options["fields"] if name not in hidden]
            if fields:
                fieldsets.append((title, {**options, "fields": fields}))
        return fieldsets

    def get_list_display(self, request):
        hidden = self.get_hidden_fields(request)
        return [name for name in super().get_list_display(request) if name not in hidden]

    def get_list_filter(self, request):
        hidden = self.get_hidden_fields(request)
        filters = [f for f in super().get_list_filter(request) if not (isinstance(f, str) and f in hidden)]
        if is_curator(request.user):
            filters.extend(self.curator_list_filter)
        return filters

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == self.owner_field and not is_curator(request.user):
            kwargs["queryset"] = Vendor.objects.editable_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if self.owner_field and not is_curator(request.user):
            vendor = self.single_vendor(request)
            if not change and vendor is not None:
                setattr(obj, self.owner_field, vendor)
            # The form only offers the user's vendors; refuse anything else anyway.
            if getattr(obj, f"{self.owner_field}_id") not in {v.pk for v in self.own_vendors(request)}:
                raise PermissionDenied
        super().save_model(request, obj, form, change)


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    """The city's districts: data, kept by superusers, shown to curators."""

    list_display = ["name", "slug", "position"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def has_view_permission(self, request, obj=None):
        # Vendor accounts only pick a district in their profile; the list is clutter for them.
        return is_curator(request.user) and super().has_view_permission(request, obj)


@admin.register(Vendor)
class VendorAdmin(VendorOwnedAdminMixin, admin.ModelAdmin):
    staff_only_fields = ("verified", "active", "users")
    list_display = ["logo_thumbnail", "name", "district", "whatsapp_display", "verified", "active"]
    list_display_links = ["logo_thumbnail", "name"]
    list_select_related = ["district"]
    list_filter = []
    curator_list_filter = ["verified", "active", "district"]
    search_fields = ["name", "slug", "whatsapp", "address", "nib"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["users"]
    readonly_fields = ["created_at", "updated_at"]
    # The logo goes through the same picture checks as product pictures.
    # A website typed as "tokoku.id" is read as https (Django 6's default).
    formfield_overrides = {
        models.ImageField: {"form_class": LogoField},
        models.URLField: {"assume_scheme": "https"},
    }
    actions = ["verify", "unverify", "deactivate", "activate"]
    fieldsets = [
        (_("Usaha"), {"fields": ["name", "slug", "description", "logo", "nib"]}),
        (
            _("Alamat dan kontak"),
            {"fields": ["district", "address", "whatsapp", "email", "website", "instagram"]},
        ),
        (_("Status (diatur petugas dinas)"), {"fields": ["verified", "active", "users"]}),
        (_("Riwayat"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    @admin.display(description=_("logo"))
    def logo_thumbnail(self, obj):
        return admin_thumbnail(obj.logo.url if obj.logo else None)

    @admin.display(description=_("WhatsApp"), ordering="whatsapp")
    def whatsapp_display(self, obj):
        return obj.whatsapp_display

    def has_verify_permission(self, request):
        return request.user.has_perm("vendors.verify_vendor")

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "users":
            # Only accounts the user may manage can be linked (never a curator).
            kwargs["queryset"] = accounts_manageable_by(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _set_flag(self, request, queryset, message, **flags):
        # VendorQuerySet.update keeps the products' copies of ``active`` right.
        count = update_catalogue(queryset, **flags, updated_at=timezone.now())
        self.message_user(request, message(count) % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Tandai terverifikasi"), permissions=["verify"])
    def verify(self, request, queryset):
        self._set_flag(
            request,
            queryset,
            lambda n: ngettext("%(count)d usaha diverifikasi.", "%(count)d usaha diverifikasi.", n),
            verified=True,
        )

    @admin.action(description=_("Batalkan verifikasi"), permissions=["verify"])
    def unverify(self, request, queryset):
        self._set_flag(
            request,
            queryset,
            lambda n: ngettext(
                "Verifikasi %(count)d usaha dibatalkan.", "Verifikasi %(count)d usaha dibatalkan.", n
            ),
            verified=False,
        )

    @admin.action(description=_("Nonaktifkan (sembunyikan dari publik)"), permissions=["verify"])
    def deactivate(self, request, queryset):
        self._set_flag(
            request,
            queryset,
            lambda n: ngettext("%(count)d usaha dinonaktifkan.", "%(count)d usaha dinonaktifkan.", n),
            active=False,
        )

    @admin.action(description=_("Aktifkan kembali"), permissions=["verify"])
    def activate(self, request, queryset):
        self._set_flag(
            request,
            queryset,
            lambda n: ngettext("%(count)d usaha diaktifkan.", "%(count)d usaha diaktifkan.", n),
            active=True,
        )


class VendorMembershipInline(admin.TabularInline):
    """The vendors an account manages, edited from the account's page."""

    model = Vendor.users.through
    autocomplete_fields = ["vendor"]
    extra = 1
    verbose_name = _("usaha yang dikelola")
    verbose_name_plural = _("usaha yang dikelola")


admin.site.unregister(User)


@admin.register(User)
class AccountAdmin(UserAdmin):
    """Django's user admin for superusers; for curators a restricted one that
    manages vendor accounts only and cannot grant any other role: they see only
    ``accounts_manageable_by`` accounts, never the superuser, group or
    permission fields, and every account they save is a staff vendor account."""

    inlines = [VendorMembershipInline]
    curator_fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Data pribadi"), {"fields": ["first_name", "last_name", "email"]}),
        (_("Status"), {"fields": ["is_active", "last_login", "date_joined"]}),
    ]

    def restricted(self, request):
        return not request.user.is_superuser

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=accounts_manageable_by(request.user).values("pk"))

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(_("Akun tidak ditemukan."))
        return obj

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or accounts_manageable_by(request.user).filter(pk=obj.pk).exists()
        )

    def get_fieldsets(self, request, obj=None):
        if obj is not None and self.restricted(request):
            return self.curator_fieldsets
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if self.restricted(request):
            return ["last_login", "date_joined"]
        return super().get_readonly_fields(request, obj)

    def get_list_display(self, request):
        if self.restricted(request):
            return ["username", "email", "first_name", "last_name", "is_active"]
        return super().get_list_display(request)

    def get_list_filter(self, request):
        if self.restricted(request):
            return ["is_active"]
        return super().get_list_filter(request)

    def save_model(self, request, obj, form, change):
        if self.restricted(request):
            obj.is_staff = True
            obj.is_superuser = False
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if self.restricted(request):
            form.instance.groups.set([Group.objects.get(name=VENDOR_GROUP)])
            form.instance.user_permissions.clear()
