"""Public catalogue pages. Views only wire requests to the QuerySet methods,
the FilterSet (products.filters) and the cached aggregates (products.cache)."""

from django.http import Http404
from django.utils.decorators import method_decorator
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.generic import DetailView, ListView, TemplateView

from umkm_directory.http import conditional_page
from umkm_directory.pagination import KnownCountPaginator, StrictPageMixin
from umkm_directory.prepared import PreparedQuery

from . import cache
from .cards import cards_of_rows
from .filters import SORT_CHOICES, ProductFilter
from .models import Availability, Category, Product
from .templatetags.catalogue import absolute_url

RELATED_PRODUCTS = 8
HOME_PRODUCTS = 8

_SCHEMA_AVAILABILITY = {
    Availability.READY: "https://schema.org/InStock",
    Availability.PREORDER: "https://schema.org/PreOrder",
    Availability.SOLDOUT: "https://schema.org/OutOfStock",
}


def category_tiles():
    """The home page's tiles: top-level categories that hold visible products (cached counts)."""
    return [tile for tile in cache.category_tiles() if tile.count]


class FilterPaginator(KnownCountPaginator):
    """Pages of a ProductFilter's results, counted already: a page is the
    ids of its products (ProductFilter.page_ids(), which reads a page nearer
    the end from the end), whose cards the template asks for in one query."""

    def rows(self, bottom, top):
        return self.object_list.page_ids(bottom, top - bottom)


@method_decorator(conditional_page(), name="dispatch")
class ProductListView(StrictPageMixin, ListView):
    """/products/: the catalogue, searched and filtered by the GET parameters."""

    paginate_by = 24
    template_name = "products/product_list.html"
    context_object_name = "product_list"  # the ids of the page's products
    category = None

    def get_queryset(self):
        self.filterset = ProductFilter(self.request.GET, category=self.category)
        return self.filterset

    def get_paginator(self, filterset, per_page, **kwargs):
        return FilterPaginator(filterset, per_page, count=filterset.count(), **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(
            filterset=self.filterset, category=self.category, sort_choices=SORT_CHOICES, **kwargs
        )
        if not context["paginator"].count:
            context["popular_categories"] = sorted(category_tiles(), key=lambda tile: -tile.count)[:6]
        return context


CATEGORY_BY_SLUG = PreparedQuery(
    lambda slug: Category.objects.visible().select_related("parent").filter(slug=slug)
)


class CategoryProductListView(ProductListView):
    """/categories/<slug>/: the catalogue within one visible category (and its subcategories)."""

    template_name = "products/category_detail.html"

    def get(self, request, *args, **kwargs):
        found = CATEGORY_BY_SLUG.fetch(slug=self.kwargs["slug"])
        if not found:
            raise Http404("No visible category at this address")
        self.category = found[0]
        return super().get(request, *args, **kwargs)


# The product page's lookup, its pictures included, compiled once per
# process (umkm_directory.prepared).
PRODUCT_BY_SLUG = PreparedQuery(
    lambda slug: (
        Product.objects.visible()
        .select_related("vendor__district", "category__parent")
        .with_pictures()
        .filter(slug=slug)
    )
)
# The cards of a category's newest products (the product page's related
# products; one more than shown, the product itself may be among them).
NEWEST_IN_CATEGORY = PreparedQuery(
    lambda category_id: (
        Product.objects.visible()
        .filter(category_id=category_id)
        .order_by("-created_at", "-id")
        .card_rows()[: RELATED_PRODUCTS + 1]
    )
)


@method_decorator(conditional_page(), name="dispatch")
class ProductDetailView(DetailView):
    """/products/<slug>/: one visible product with its vendor, category and
    pictures (one query), and related products: the cards of the category's
    newest ones, cached per category (one more query on a miss)."""

    template_name = "products/product_detail.html"

    def get_object(self, queryset=None):
        found = PRODUCT_BY_SLUG.fetch(slug=self.kwargs["slug"])
        if not found:
            raise Http404("No visible product at this address")
        return found[0]

    def get_context_data(self, **kwargs):
        product = self.object
        # The cards of the category's newest products are shared by all its
        # product pages: cached once per category, language and catalogue
        # version (as HTML: nothing to rebuild). On a miss the products'
        # pictures come in the same query as the product's own.
        newest = cache.get_or_compute(
            "category_cards",
            lambda: cards_of_rows(NEWEST_IN_CATEGORY.fetch(category_id=product.category_id)),
            [product.category_id, get_language()],
        )
        images = product.gallery  # read with the product (with_pictures())
        related = [card for pk, card in newest if pk != product.pk][:RELATED_PRODUCTS]
        url = absolute_url(product.get_absolute_url())
        return super().get_context_data(
            images=images,
            # HTML built and escaped by products.cards.card_html.
            related_cards=mark_safe("".join(related)),  # noqa: S308
            page_url=url,
            whatsapp_message=_("Halo %(vendor)s, saya ingin memesan %(product)s: %(url)s")
            % {"vendor": product.vendor.name, "product": product.name, "url": url},
            structured_data=self.structured_data(product, images, url),
            **kwargs,
        )

    @staticmethod
    def structured_data(product, images, url):
        """schema.org Product with an Offer in rupiah, for search engines."""
        data = {
            "@context": "https://schema.org",
            "@type": "Product",
            "name": product.name,
            "description": product.description[:5000],
            "url": url,
            "sku": product.slug,
            "category": str(product.category),
            "brand": {"@type": "Brand", "name": product.vendor.name},
            "offers": {
                "@type": "Offer",
                "price": str(product.price),
                "priceCurrency": "IDR",
                "availability": _SCHEMA_AVAILABILITY.get(product.availability, "https://schema.org/InStock"),
                "url": url,
                "seller": {"@type": "Organization", "name": product.vendor.name},
            },
        }
        if images:
            data["image"] = [absolute_url(image.src_url) for image in images]
        return data


@method_decorator(conditional_page(), name="dispatch")
class HomeView(TemplateView):
    """/: search, category tiles with their counts, featured and newest products, districts."""

    template_name = "home.html"

    def get_context_data(self, **kwargs):
        rows = cache.get_or_compute("home_cards", self.home_cards, [get_language()])
        return super().get_context_data(
            category_tiles=category_tiles(),
            # HTML built and escaped by products.cards.card_html.
            featured_cards=mark_safe("".join(rows["featured"])),  # noqa: S308
            newest_cards=mark_safe("".join(rows["newest"])),  # noqa: S308
            districts=cache.districts(),
            **kwargs,
        )

    @staticmethod
    def home_cards():
        """The cards of the featured and of the newest visible products: two
        queries, cached per language under the catalogue version like every
        aggregate."""
        newest = Product.objects.visible().order_by("-created_at", "-id")
        return {
            name: [html for _pk, html in cards_of_rows(rows.card_rows()[:HOME_PRODUCTS])]
            for name, rows in (("featured", newest.filter(featured=True)), ("newest", newest))
        }
