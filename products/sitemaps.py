"""The sitemap: every public page, by the same visibility rules as the pages.

Sections are split into pages of ``limit`` addresses; /sitemap.xml is the
index that lists them, so the sitemap stays small at a million products."""

from django.contrib import sitemaps
from django.db.models import Max
from django.urls import reverse

from vendors.models import Vendor

from .models import Category, Product


class SiteSitemap(sitemaps.Sitemap):
    """A section of the sitemap, split into pages of ``limit`` addresses."""

    limit = 10_000


class DatedSitemap(SiteSitemap):
    """A section whose items carry ``updated_at``: each address's lastmod,
    and the section's newest for the index, found by the database. Django's
    default calls lastmod() on every item for the index: at 1,000,000
    products /sitemap.xml read every visible product into the worker
    (11.2 s, 594 MB resident; docs/performance.md, fifteenth session)."""

    def lastmod(self, item):
        return item.updated_at

    def get_latest_lastmod(self):
        return self.items().aggregate(latest=Max("updated_at"))["latest"]


class StaticViewSitemap(SiteSitemap):
    changefreq = "daily"

    def items(self):
        return ["home", "products:list", "vendors:list"]

    def location(self, item):
        return reverse(item)


class ProductSitemap(DatedSitemap):
    changefreq = "weekly"

    def items(self):
        return Product.objects.visible().order_by("pk").only("slug", "updated_at")


class CategorySitemap(SiteSitemap):
    changefreq = "daily"

    def items(self):
        return Category.objects.visible().order_by("pk").only("slug")


class VendorSitemap(DatedSitemap):
    changefreq = "weekly"

    def items(self):
        return Vendor.objects.active().order_by("pk").only("slug", "updated_at")


SITEMAPS = {
    "pages": StaticViewSitemap,
    "categories": CategorySitemap,
    "vendors": VendorSitemap,
    "products": ProductSitemap,
}
