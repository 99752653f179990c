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
"""

import hashlib
import json
import time
from collections import namedtuple

from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "catalogue:version"


def version():
    """The current catalogue version (an integer)."""
    current = cache.get(VERSION_KEY)
    if current is None:
        # Start from the clock, not from 1: a version key evicted from the
        # cache must not come back as a number whose entries still exist.
        cache.add(VERSION_KEY, time.time_ns() // 1000, timeout=None)
        current = cache.get(VERSION_KEY)
    return current


def _increment():
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # the key was missing or evicted
        cache.add(VERSION_KEY, time.time_ns() // 1000, timeout=None)


def bump():
    """Retire every cached aggregate: now and when the current transaction commits."""
    _increment()
    transaction.on_commit(_increment)


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


def get_or_compute(name, compute, params=None, *, catalogue_version=None):
    """The cached value for ``name``/``params`` under the current version,
    computing and storing it on a miss."""
    cache_key = key(name, params, catalogue_version=catalogue_version)
    value = cache.get(cache_key)
    if value is None:
        value = compute()
        cache.set(cache_key, value)
    return value


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
