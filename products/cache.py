"""The versioned cache of catalogue aggregates (counts, facet counts, the
category tree), shared by every app server through Django's cache.

Every cached aggregate lives under a key that carries the current catalogue
version. Any write that can change what the public sees (a product, its
pictures, a vendor or a category saved or deleted, an import) calls
``bump()``: the version moves on, so the next request computes fresh figures
and the old entries simply expire. No key is ever deleted one by one.

``bump()`` runs at once and again when the surrounding transaction commits:
the second bump retires any figure another request computed from the old
data between the write and the commit.

One aggregate has a version of its own: the catalogue's cube of counts
(products.filters.cube(), ~0.2 s of the database at 1,000,000 products)
lives under ``counts_version()``, which ``bump()`` moves too unless the write
cannot change any count (``bump(counts=False)``: a product's price, name,
description or pictures saved, as products.signals tells). With vendors
editing every few seconds, the cube was computed again after each edit,
and every request in the meantime waited for it (docs/performance.md,
fifteenth session).

With a cache every process shares (Redis) the version lives in the cache. With
Django's local-memory cache (the default) each gunicorn worker has a cache of
its own, so a bump in one worker would not reach the others: each version then
also carries the size of a small stamp file that every bump grows by one byte
(an atomic append) and every request reads with one ``stat`` call, so all
workers of the machine see an edit on their next request.
"""

import functools
import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from collections import namedtuple
from pathlib import Path

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.signals import request_finished, request_started
from django.db import transaction

logger = logging.getLogger(__name__)

VERSION_KEY = "catalogue:version"
# The version of what the catalogue counts (see counts_version()).
COUNTS_KEY = "catalogue:counts-version"
# The stamp's size is added to the version of a process-local cache (see above).
STAMP_WEIGHT = 10**12


def stamp_path(kind=VERSION_KEY):
    """The stamp file shared by the processes of this machine using this
    database, for the version kept under ``kind`` (VERSION_KEY, COUNTS_KEY)."""
    configured = getattr(settings, "CATALOGUE_STAMP_FILE", "")
    path = _stamp_path(configured, str(settings.DATABASES["default"]["NAME"]))
    return path if kind == VERSION_KEY else path.with_name(path.name + ".counts")


@functools.cache
def _stamp_path(configured, database):
    # Read on every request: the digest is computed once per setting.
    if configured:
        return Path(configured)
    digest = hashlib.sha256(database.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"umkm-catalogue-{digest}.stamp"


def _process_local():
    return isinstance(caches["default"], LocMemCache)


def _stamp(kind=VERSION_KEY):
    """The stamp file's size (created when missing); 0 when it cannot be used."""
    path = stamp_path(kind)
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        _grow_stamp(kind)
        try:
            return os.stat(path).st_size
        except OSError:
            return 0
    except OSError:
        return 0


def _grow_stamp(kind=VERSION_KEY):
    try:
        fd = os.open(stamp_path(kind), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, b".")
        finally:
            os.close(fd)
    except OSError:
        logger.warning(
            "The catalogue stamp %s cannot be written; other workers may show old counts "
            "for up to an hour (set REDIS_URL).",
            stamp_path(kind),
            exc_info=True,
        )


# The version read once per request: a catalogue page asks for it a dozen
# times (its ETag, cards, counts, reference data), each a cache read and, on
# local memory, a stat() of the stamp. Per thread; forgotten when the request
# ends and whenever this process bumps the version.
_request = threading.local()


def _request_started(**kwargs):
    _request.active = True
    _request.version = _request.counts = None


def _request_finished(**kwargs):
    _request.active = False
    _request.version = _request.counts = None


request_started.connect(_request_started, dispatch_uid="catalogue-version-request-started")
request_finished.connect(_request_finished, dispatch_uid="catalogue-version-request-finished")


def version():
    """The current catalogue version (an integer), read once per request."""
    return version_and()[0]


def version_and(*keys):
    """The current catalogue version and the cached values of ``keys`` (a
    dict of those found). The version is read once per request, from the
    shared cache's tracked copy when it keeps one (Redis:
    umkm_directory.redis_cache, no round trip while no one wrote it);
    ``keys`` on every call, one round trip when there are any."""
    return _for_request(VERSION_KEY, "version"), (cache.get_many(keys) if keys else {})


def counts_version():
    """The version of what the catalogue counts (products.filters.cube()):
    it moves on with every edit that may change a count (``bump()``), not
    with one that cannot (``bump(counts=False)``: a product's price, name,
    description or pictures saved), so the cube, ~0.2 s of the database at
    1,000,000 products, outlives the edits vendors make most. Read once per
    request, as version() is."""
    return _for_request(COUNTS_KEY, "counts")


def _for_request(kind, attribute):
    """The version kept under ``kind``, read once per request (kept as
    ``_request.<attribute>`` while a request is active), from the shared
    cache's tracked copy when it keeps one."""
    current = getattr(_request, attribute, None)
    if current is None:
        get_tracked = getattr(cache, "get_tracked", cache.get)
        current = _read_version(get_tracked(kind), kind)
        if getattr(_request, "active", False):
            setattr(_request, attribute, current)
    return current


def _read_version(current=None, kind=VERSION_KEY):
    if current is None:
        current = cache.get(kind)
    if current is None:
        # Start from the clock, not from 1: a version key evicted from the
        # cache must not come back as a number whose entries still exist.
        cache.add(kind, time.time_ns() // 1000, timeout=None)
        current = cache.get(kind)
    if _process_local():
        current = current * STAMP_WEIGHT + _stamp(kind) % STAMP_WEIGHT
    return current


def _increment(counts=True):
    _request.version = _request.counts = None
    for kind in (VERSION_KEY, COUNTS_KEY) if counts else (VERSION_KEY,):
        if _process_local():
            _grow_stamp(kind)
        try:
            cache.incr(kind)
        except ValueError:  # the key was missing or evicted
            cache.add(kind, time.time_ns() // 1000, timeout=None)


def bump(counts=True):
    """Retire every cached aggregate: now and when the current transaction
    commits. ``counts=False`` for an edit that cannot change any count
    (products.signals decides): the cube, under counts_version(), stays."""
    _increment(counts)
    transaction.on_commit(lambda: _increment(counts))


def key(name, params=None, *, catalogue_version=None):
    """A cache key for ``name`` under the current version; ``params`` (any
    JSON-serialisable value) are hashed into it."""
    if catalogue_version is None:
        catalogue_version = version()
    digest = ""
    if params is not None:
        encoded = json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)
        digest = ":" + hashlib.sha256(encoded.encode()).hexdigest()[:32]
    return f"catalogue:{catalogue_version}:{name}{digest}"


# Values this process has read or computed, by key. A key carries the
# catalogue version, so an entry is never stale: after an edit every request
# asks for new keys. It saves a shared cache's round trip and unpickling for
# the few values a page asks every time (the category tree, the districts,
# its counts). Bounded: emptied when full. Values are shared between the
# requests of this process and must never be changed by their users.
_LOCAL = {}
LOCAL_LIMIT = 500


# How long a process computing a value ``once`` (get_or_compute()) holds
# its claim, and how long the others wait for its result, in seconds; past
# that they compute it themselves (the claimant may have died).
ONCE_WAIT = 10.0
ONCE_POLL = 0.02


def get_or_compute(name, compute, params=None, *, catalogue_version=None, once=False):
    """The cached value for ``name``/``params`` under the current version,
    computing and storing it on a miss.

    ``once``: for a value that is slow to compute and that every request
    needs right after an edit (the catalogue's cube): the first process to
    miss it claims it in the cache and computes it; the others, in every
    instance sharing the cache, wait for its result instead of each running
    the same query on the database at the same moment."""
    cache_key = key(name, params, catalogue_version=catalogue_version)
    value = _LOCAL.get(cache_key)
    if value is not None:
        return value
    value = cache.get(cache_key)
    if value is None:
        value = _compute_once(cache_key, compute) if once else None
        if value is None:
            value = compute()
            cache.set(cache_key, value)
    if len(_LOCAL) >= LOCAL_LIMIT:
        _LOCAL.clear()
    _LOCAL[cache_key] = value
    return value


def _compute_once(cache_key, compute):
    """The value of ``cache_key``, computed and stored by this process if it
    is the first to claim it, else as another process stores it; None when
    none did within ONCE_WAIT (the caller computes it)."""
    claim = cache_key + ":computing"
    if cache.add(claim, 1, timeout=ONCE_WAIT):
        try:
            value = compute()
            cache.set(cache_key, value)
        finally:
            cache.delete(claim)
        return value
    deadline = time.monotonic() + ONCE_WAIT
    while time.monotonic() < deadline:
        time.sleep(ONCE_POLL)
        found = cache.get_many([cache_key, claim])  # one round trip a poll
        if cache_key in found:
            return found[cache_key]
        if claim not in found:  # stored just now, or the claimant failed
            return cache.get(cache_key)
    return None


# --- Reference data the catalogue reads on every request ------------------
# Small, rarely changed, cached as plain tuples (cheap to pickle).

CategoryInfo = namedtuple("CategoryInfo", "id slug name parent_id")
DistrictInfo = namedtuple("DistrictInfo", "id slug name")
VendorInfo = namedtuple("VendorInfo", "id slug name")
CategoryTile = namedtuple("CategoryTile", "name slug url count")


def categories():
    """The visible categories in tree order (position, name): top-level
    ones and subcategories alike, as CategoryInfo."""
    from .models import Category

    def compute():
        rows = Category.objects.visible().order_by("position", "name", "id")
        return [CategoryInfo(*row) for row in rows.values_list("id", "slug", "name", "parent_id")]

    return get_or_compute("categories", compute)


def districts():
    """The districts, as DistrictInfo, in their order."""
    from vendors.models import District

    def compute():
        return [DistrictInfo(*row) for row in District.objects.values_list("id", "slug", "name")]

    return get_or_compute("districts", compute)


def vendor(slug):
    """The active vendor with this slug as VendorInfo, or None."""
    from vendors.models import Vendor

    def compute():
        row = Vendor.objects.active().filter(slug=slug).values_list("id", "slug", "name").first()
        return VendorInfo(*row) if row else False  # False: cached "not found"

    return get_or_compute("vendor", compute, slug[:200]) or None


def category_tiles():
    """The visible top-level categories (in their order) with the number of
    visible products each holds, subcategories included, as CategoryTile.
    Shares its cached counts with the unfiltered catalogue page."""
    from django.urls import reverse

    from .filters import ProductFilter

    return [
        CategoryTile(
            option.label, option.value, reverse("products:category", args=[option.value]), option.count
        )
        for option in ProductFilter().facets()["category"]
    ]
