"""Conditional responses for the public pages: an ETag that changes whenever
the page could, and a 304 without rendering when the browser already holds it.

A public page is the same for every visitor (no per-visitor token: the
language switch needs none, see umkm_directory.urls), so the ETag is derived
from what the page depends on, without rendering it:

- the catalogue version (products.cache.version()), which moves on with every
  edit of a product, picture, vendor or category (signals, importer, seeder);
- the full path with its query string;
- the active language (pages vary on the language cookie);
- BUILD: a digest of the site's own code, templates and translations, so a
  release that changes a page changes every ETag.

Computing it costs no database query and, with Redis, no round trip while
the catalogue is not edited (the version's tracked copy,
umkm_directory.redis_cache).

The rendered page is also kept in the cache (compressed) under the same
parts but the version, which is stored with it: a popular page is rendered
once per catalogue version and language, whoever asks, and served from the
cache as it was rendered; an edit retires it (its version no longer the
current one). A page is looked for in the cache only when this process has
been asked for it before (_version_and_page).

Pages are sent with
``Cache-Control: max-age=0, must-revalidate``: a browser keeps its copy but asks
each time, getting a 304 (a few hundred bytes, no rendering) while nothing
changed, and the new page on the very next request after an edit.
"""

import hashlib
import zlib
from functools import cache, wraps
from pathlib import Path

from django.conf import settings
from django.core.cache import cache as django_cache
from django.db import transaction
from django.http import HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language
from django.views.decorators.http import condition

# Change it to retire every ETag by hand (BUILD already follows the code).
ETAG_SALT = "1"
# Seconds a rendered page stays in the server's cache (the version retires it sooner).
PAGE_CACHE_SECONDS = 10 * 60
# Addresses this process has been asked for once (cached_page): a few bytes
# each, forgotten in bulk past _SEEN_LIMIT. Kept by each process, not in the
# shared cache: a hint, never needed by another process.
_SEEN = set()
_SEEN_LIMIT = 20_000
# Seconds a browser may show a public page without asking again. 0: an edit
# shows on the next request; the revalidation is a cheap 304.
PUBLIC_MAX_AGE = 0

_BUILD_SOURCES = ("umkm_directory", "products", "vendors", "templates", "locale")
_BUILD_SUFFIXES = {".py", ".html", ".txt", ".mo"}


@cache
def build():
    """A short digest of the site's own code, templates and translations, the
    same on every instance running the same release (computed once per process)."""
    digest = hashlib.sha256()
    root = Path(settings.BASE_DIR)
    for source in _BUILD_SOURCES:
        for path in sorted((root / source).rglob("*")):
            if path.suffix in _BUILD_SUFFIXES and "migrations" not in path.parts and path.is_file():
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _etag(request, *parts):
    key = "|".join([ETAG_SALT, build(), get_language() or "", request.get_full_path(), *map(str, parts)])
    return hashlib.blake2b(key.encode(), digest_size=12).hexdigest()


def _version_and_page(request):
    """(the catalogue version, the cached copy of this page or None), read
    once per request (products.cache.version_and). The cached copy is only
    looked for when this process was asked for the page before: a page is
    stored on its second request (cached_page), so an address asked for the
    first time here is rarely stored, and a long-tail page (a product, a
    vendor, a deep page) costs no cache round trip at all."""
    found = getattr(request, "_catalogue_page", None)
    if found is None:
        from products.cache import version_and  # umkm_directory wires products and vendors

        key = "page:" + _etag(request)
        version, values = version_and(key) if key in _SEEN else version_and()
        found = request._catalogue_page = (version, key, values.get(key))
    return found


def catalogue_cached(name, compute, params=None):
    """products.cache.get_or_compute() for the vendors app, which does not
    import products: a value kept under the catalogue version (the vendor
    directory's counts), so any edit of a product, vendor or category
    retires it."""
    from products.cache import get_or_compute

    return get_or_compute(name, compute, params)


def update_catalogue(queryset, **fields):
    """Set ``fields`` on every row of ``queryset`` (products or vendors, the
    admin's actions on a selection): one UPDATE for any selection, then the
    cached catalogue retired (products.cache.bump(): a bulk write sends no
    save signal), all or nothing. A save per row (~1 ms a product, ~6 ms a
    vendor with its signals) ran past the server's timeout half done for
    "select all" of a large catalogue (docs/performance.md, fifteenth
    session). Returns the number of rows."""
    from products.cache import bump

    with transaction.atomic():
        count = queryset.update(**fields)
        bump()
    return count


def catalogue_etag(request, *args, **kwargs):
    """The ETag of a catalogue page: it changes with the catalogue version,
    the path and query, and the language."""
    version, key, _stored = _version_and_page(request)
    return _etag(request, version)


def cached_page(view):
    """Serve a GET view's 200 page from the cache (see the module docstring).

    A page is stored on the second request for it that this process
    renders, not the first: the first leaves a mark in the process. Most
    addresses of a long-tail catalogue are asked once (a deep page, a rare
    product, a crawler's visit); compressing and storing each of those cost
    more than rendering it and pushed the popular pages out of a bounded
    cache."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method != "GET":
            return view(request, *args, **kwargs)
        version, key, stored = _version_and_page(request)
        if stored is not None and stored[0] == version:
            _version, content_type, body = stored
            return HttpResponse(zlib.decompress(body), content_type=content_type)
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response.render()
        if response.status_code == 200 and not response.streaming and not response.cookies:
            if key not in _SEEN:
                if len(_SEEN) >= _SEEN_LIMIT:
                    _SEEN.clear()
                _SEEN.add(key)
            else:
                body = zlib.compress(response.content, 1)
                django_cache.set(key, (version, response["Content-Type"], body), PAGE_CACHE_SECONDS)
        return response

    return wrapped


def static_etag(request, *args, **kwargs):
    """The ETag of a page that depends on no data (robots.txt)."""
    return _etag(request, request.get_host())


def conditional_page(etag_func=catalogue_etag, max_age=PUBLIC_MAX_AGE, *, page_cache=True):
    """Decorate a public GET view: answer 304 to a matching If-None-Match
    without calling the view, else send the page (from the page cache when
    ``page_cache``) with its ETag and the Cache-Control above."""

    def decorator(view):
        conditional = condition(etag_func=etag_func)(cached_page(view) if page_cache else view)

        @wraps(view)
        def wrapped(request, *args, **kwargs):
            response = conditional(request, *args, **kwargs)
            if response.status_code in (200, 304) and "Cache-Control" not in response:
                if max_age:
                    patch_cache_control(response, max_age=max_age)
                else:
                    patch_cache_control(response, max_age=0, must_revalidate=True)
            return response

        return wrapped

    return decorator
