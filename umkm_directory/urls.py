from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import cache_page
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language as django_set_language

from products.sitemaps import SITEMAPS
from products.views import HomeView
from umkm_directory.health import healthz
from umkm_directory.views import FaviconView, robots_txt

admin.site.site_header = settings.SITE_NAME
admin.site.site_title = settings.SITE_NAME
admin.site.index_title = _("Kelola katalog")

# Django's set_language, taking the switch's POST without a CSRF token. A
# forged request can do one thing: choose the visitor's display language
# (Indonesian or English) on this site, in the visitor's own cookie; nothing
# is written on the server and ``next`` is still checked to stay on this
# site. In return no public page carries a per-visitor token or sets a CSRF
# cookie, so every visitor gets the same page for a URL and language: it is
# cached once for all (umkm_directory.http) and revalidated with a 304.
# Every form that changes data (the admin) keeps Django's CSRF protection.
set_language = csrf_exempt(django_set_language)

# The sitemap counts every visible product: an hour-old copy is fresh enough for crawlers.
SITEMAP_CACHE_SECONDS = 60 * 60

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("healthz", healthz, name="healthz"),
    path("robots.txt", robots_txt, name="robots_txt"),
    path("favicon.ico", FaviconView.as_view(), name="favicon"),
    path(
        "sitemap.xml",
        cache_page(SITEMAP_CACHE_SECONDS)(sitemap_views.index),
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap_section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        cache_page(SITEMAP_CACHE_SECONDS)(sitemap_views.sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap_section",
    ),
    path("admin/", admin.site.urls),
    # The language switch: Django's view without a CSRF token (see set_language below).
    path("i18n/setlang/", set_language, name="set_language"),
    path("", include("products.urls")),
    path("vendors/", include("vendors.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
