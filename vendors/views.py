"""Public vendor pages: the directory and one vendor with its products.

The vendors app never imports products: a vendor's products come through the
reverse relation, whose manager carries ProductQuerySet's visible() rule."""

from django import forms
from django.conf import settings
from django.db.models import Count, Window
from django.http import Http404
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, ListView

from umkm_directory.http import catalogue_cached, conditional_page
from umkm_directory.pagination import EitherEndPaginator, KnownCountPaginator, StrictPageMixin, page_number
from umkm_directory.prepared import PreparedQuery, fetch_together

from .models import District, Vendor

VENDOR_PRODUCTS_PER_PAGE = 24


class VendorFilterForm(forms.Form):
    """The directory's GET form; bad values are ignored, never an error page."""

    q = forms.CharField(label=gettext_lazy("Nama usaha"), required=False, max_length=100, strip=True)
    district = forms.ChoiceField(label=gettext_lazy("Kecamatan"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # One query for the options; choosing one needs no other, and the
        # list is then filtered by the district's id (its index in name order).
        districts = list(District.objects.values_list("id", "slug", "name"))
        self.district_ids = {slug: pk for pk, slug, _name in districts}
        self.fields["district"].choices = [("", _("Semua kecamatan")), *((s, n) for _pk, s, n in districts)]

    def filter(self, queryset):
        """``queryset`` narrowed by the valid fields; invalid fields are dropped."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        if data.get("q"):
            queryset = queryset.filter(name__icontains=data["q"])
        if data.get("district"):
            queryset = queryset.filter(district_id=self.district_ids[data["district"]])
        return queryset


@method_decorator(conditional_page(), name="dispatch")
class VendorListView(StrictPageMixin, ListView):
    """/vendors/: active vendors, searched by name and filtered by district."""

    paginate_by = 24
    template_name = "vendors/vendor_list.html"

    def get_queryset(self):
        data = self.request.GET.copy()
        if len(data.get("q", "")) > 100:
            data["q"] = data["q"][:100]
        self.form = VendorFilterForm(data)
        return self.form.filter(Vendor.objects.active().select_related("district"))

    def get_paginator(self, queryset, per_page, **kwargs):
        # The count of a search or district, kept under the catalogue version
        # (any vendor edit moves it on): one COUNT per version, not per request.
        data = getattr(self.form, "cleaned_data", {})
        params = [data.get("q") or "", data.get("district") or ""]
        count = catalogue_cached("vendor_directory_count", queryset.count, params)

        def marks(compute):
            return catalogue_cached("vendor_directory_marks", compute, params)

        return EitherEndPaginator(queryset, per_page, count=count, marks=marks, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(form=self.form, **kwargs)


# The vendor page's two queries, compiled once per process (umkm_directory.prepared):
# the vendor, and the cards of one page of its visible products, each row
# carrying their total (a window count) so the page needs no COUNT of its own.
VENDOR_BY_SLUG = PreparedQuery(
    lambda slug: Vendor.objects.active().select_related("district").filter(slug=slug)
)
_products = Vendor.products.rel.related_model  # the vendors app does not import products
# By the vendor's slug, not its id: both queries of the vendor page need only
# the request's values and go to the database together (fetch_together()).
PRODUCT_CARDS_OF = PreparedQuery(
    lambda slug: (
        _products.objects.visible()
        .filter(vendor__slug=slug)
        .order_by("-created_at", "-id")
        .annotate(total=Window(Count("id")))
        .card_rows("total")
    )
)


@method_decorator(conditional_page(), name="dispatch")
class VendorDetailView(DetailView):
    """/vendors/<slug>/: one active vendor and its visible products, in two
    queries sent together (one round trip on PostgreSQL): the vendor, and
    the card rows of one page of its products carrying their total (a window
    count; a vendor's products are a few dozen, so the rows before a deep
    page cost little)."""

    template_name = "vendors/vendor_detail.html"

    def get_object(self, queryset=None):
        slug = self.kwargs["slug"]
        per_page = VENDOR_PRODUCTS_PER_PAGE
        self.page_number = page_number(self.request)
        offset = (self.page_number - 1) * per_page
        found, self.card_rows = fetch_together(
            (VENDOR_BY_SLUG, {"slug": slug}),
            (PRODUCT_CARDS_OF, {"slug": slug, "limit": per_page, "offset": offset}),
        )
        if not found:
            raise Http404("No active vendor at this address")
        return found[0]

    def get_context_data(self, **kwargs):
        number = self.page_number
        per_page = VENDOR_PRODUCTS_PER_PAGE
        rows = self.card_rows
        if not rows and number > 1:
            raise Http404(_("Halaman ini tidak ada."))
        cards = [row[:-1] for row in rows]  # the card's columns, the total last
        paginator = KnownCountPaginator(cards, per_page, count=rows[0][-1] if rows else 0)
        page = paginator.page(number)
        page.object_list = cards
        page_url = settings.SITE_URL + self.object.get_absolute_url()
        message = _("Halo %(vendor)s, saya menemukan usaha Anda di %(site)s: %(url)s") % {
            "vendor": self.object.name,
            "site": settings.SITE_NAME,
            "url": page_url,
        }
        return super().get_context_data(
            page_url=page_url,
            whatsapp_message=message,
            product_rows=cards,
            page_obj=page,
            paginator=paginator,
            page_range=paginator.get_elided_page_range(number, on_each_side=1, on_ends=1),
            **kwargs,
        )
