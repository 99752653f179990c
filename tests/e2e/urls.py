"""The site's URLs plus media files, for the live server of the browser tests
(the project's urls.py serves media only with DEBUG on; in production the
reverse proxy or object storage does)."""

from django.conf import settings
from django.urls import re_path
from django.views.static import serve

from umkm_directory import urls as site_urls


def media(request, path):
    # MEDIA_ROOT is a fresh temporary folder in each test: read it per request.
    return serve(request, path, document_root=settings.MEDIA_ROOT)


urlpatterns = [re_path(r"^media/(?P<path>.*)$", media), *site_urls.urlpatterns]

# The site's own error pages.
for _name in ("handler400", "handler403", "handler404", "handler500"):
    if hasattr(site_urls, _name):
        globals()[_name] = getattr(site_urls, _name)
