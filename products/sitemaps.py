"""The sitemap: every public page, by the same visibility rules as the pages.

Sections are split into pages of ``limit`` addresses; /sitemap.xml is the
index that lists them, so the sitemap stays small at a million products."""

from django.contrib import sitemaps
from django.urls import reverse

from vendors.models import Vendor

from .models import Category, Product


class SiteSitemap(sitemaps.Sitemap):
    """A section of the sitemap, split into pages of ``limit`` addresses."""

    limit = 10_000


class StaticViewSitemap(SiteSitemap):
    changefreq = "daily"

    def items(self):
        return ["home", "products:list", "vendors:list"]

    def location(self, item):
        return reverse(item)


class ProductSitemap(SiteSitemap):
    changefreq = "weekly"

    def items(self):
        return Product.objects.visible().order_by("pk").only("slug", "updated_at")

    def lastmod(self, product):
        return product.updated_at


class CategorySitemap(SiteSitemap):
    changefreq = "daily"

    def items(self):
        return Category.objects.visible().order_by("pk").only("slug")


class VendorSitemap(SiteSitemap):
    changefreq = "weekly"

    def items(self):
        return Vendor.objects.active().order_by("pk").only("slug", "updated_at")

    def lastmod(self, vendor):
        return vendor.updated_at


SITEMAPS = {
    "pages": StaticViewSitemap,
    "categories": CategorySitemap,
    "vendors": VendorSitemap,
    "products": ProductSitemap,
}
