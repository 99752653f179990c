"""Public catalogue pages. Views only wire requests to the QuerySet methods,
the FilterSet (products.filters) and the cached aggregates (products.cache)."""

from django.core.cache import cache as django_cache
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.decorators import method_decorator
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.generic import DetailView, ListView, TemplateView

from umkm_directory.http import conditional_page
from umkm_directory.pagination import KnownCountPaginator, StrictPageMixin
from umkm_directory.prepared import PreparedQuery

from . import cache
from .cards import card_list
from .filters import SORT_CHOICES, ProductFilter
from .models import Availability, Category, Product, ProductImage
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


def _images():
    return Prefetch("images", queryset=ProductImage.objects.order_by("position", "id"))


class IdsFirstPaginator(KnownCountPaginator):
    """Finds a page's ids first, then loads only those rows with their vendor,
    district, category and pictures, in one statement:

        ... WHERE id IN (SELECT id ... ORDER BY price, id LIMIT 24 OFFSET 4800)

    The inner walk along the sort order's index carries only the joins the
    filters need; the joins of a card are made for 24 rows, not for every row
    the offset skips, so page 200 costs little more than page 1."""

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        queryset = self.object_list
        rows = queryset.filter(pk__in=queryset.values("pk")[bottom:top]) if top > bottom else queryset.none()
        return self._get_page(rows, number, self)


@method_decorator(conditional_page(), name="dispatch")
class ProductListView(StrictPageMixin, ListView):
    """/products/: the catalogue, searched and filtered by the GET parameters."""

    paginate_by = 24
    template_name = "products/product_list.html"
    category = None

    def get_queryset(self):
        self.filterset = ProductFilter(self.request.GET, category=self.category)
        return self.filterset.qs.for_listing()

    def get_paginator(self, queryset, per_page, **kwargs):
        return IdsFirstPaginator(queryset, per_page, count=self.filterset.count(), **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(
            filterset=self.filterset, category=self.category, sort_choices=SORT_CHOICES, **kwargs
        )
        if not context["paginator"].count:
            context["popular_categories"] = sorted(category_tiles(), key=lambda tile: -tile.count)[:6]
        return context


class CategoryProductListView(ProductListView):
    """/categories/<slug>/: the catalogue within one visible category (and its subcategories)."""

    template_name = "products/category_detail.html"

    def get(self, request, *args, **kwargs):
        self.category = get_object_or_404(
            Category.objects.visible().select_related("parent"), slug=self.kwargs["slug"]
        )
        return super().get(request, *args, **kwargs)


# The product page's two lookups, compiled once per process (umkm_directory.prepared).
PRODUCT_BY_SLUG = PreparedQuery(
    lambda slug: (
        Product.objects.visible().select_related("vendor__district", "category__parent").filter(slug=slug)
    )
)
PICTURES_OF = PreparedQuery(
    lambda product_id: ProductImage.objects.filter(product_id=product_id).order_by("position", "id")
)


@method_decorator(conditional_page(), name="dispatch")
class ProductDetailView(DetailView):
    """/products/<slug>/: one visible product with its vendor and category,
    its pictures, and related products: the cards of the category's newest
    ones, cached per category (three queries on a miss, two after)."""

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
        key = cache.key("category_cards", [product.category_id, get_language()])
        newest = django_cache.get(key)
        if newest is None:
            rows = list(
                Product.objects.visible()
                .filter(category_id=product.category_id)
                .select_related("vendor__district", "category")[: RELATED_PRODUCTS + 1]
            )
            prefetch_related_objects([product, *rows], _images())
            newest = list(zip((row.pk for row in rows), card_list(rows), strict=True))
            django_cache.set(key, newest)
            images = list(product.images.all())
        else:
            # A plain query: the prefetch machinery costs more than the query.
            images = PICTURES_OF.fetch(product_id=product.pk)
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
        rows = cache.get_or_compute("home_products", self.home_products)
        return super().get_context_data(
            category_tiles=category_tiles(),
            featured_products=rows["featured"],
            newest_products=rows["newest"],
            districts=cache.districts(),
            **kwargs,
        )

    @staticmethod
    def home_products():
        """The featured and newest visible products, with their pictures: three
        queries, cached (pickled) under the catalogue version like every aggregate."""
        visible = Product.objects.visible().select_related("vendor__district", "category")
        featured = list(visible.filter(featured=True).order_by("-created_at", "-id")[:HOME_PRODUCTS])
        newest = list(visible.order_by("-created_at", "-id")[:HOME_PRODUCTS])
        # One picture query for both rows (a product may be in both).
        prefetch_related_objects(featured + newest, _images())
        return {"featured": featured, "newest": newest}
