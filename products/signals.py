"""Keeping the search index and the catalogue cache version in step with
writes made through the ORM (the admin, forms, scripts). This is the one
accepted use of signals here (see STYLE.md): no business logic.

A product saved bumps the catalogue's counts too only when it may change
one: it is new, or a counted column (filters.CUBE_COLUMNS) was given or, in
a whole save inside a transaction (the admin's forms), differs from the
stored row, read and locked before the save (product_saving()).

Bulk writes send no signals: whoever calls bulk_create/bulk_update/update
calls ``products.search.reindex(ids)`` when names or descriptions changed
and ``products.cache.bump()`` (the importer and seed_demo do).
"""

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save

from vendors.models import Vendor

from . import cache, search
from .filters import CUBE_COLUMNS
from .models import Category, Product, ProductImage

# The product fields the index holds (the vendor's and category's names come through the keys).
INDEXED_FIELDS = {"name", "description", "category", "category_id", "vendor", "vendor_id"}


# The same as field names too (``update_fields`` may hold either).
COUNTED_FIELDS = {*CUBE_COLUMNS, *(column.removesuffix("_id") for column in CUBE_COLUMNS)}


def product_saving(sender, instance, raw=False, update_fields=None, using=None, **kwargs):
    """Before a whole existing product is saved inside a transaction (the
    admin's change form), its counted columns as stored, its row locked
    until the transaction ends (no other write can change them unseen), so
    product_saved() can tell whether any count may change."""
    instance._counted_before = None
    if raw or instance._state.adding or update_fields is not None:
        return
    if transaction.get_connection(using).in_atomic_block:
        stored = Product.objects.using(using).select_for_update().filter(pk=instance.pk)
        instance._counted_before = stored.values_list(*CUBE_COLUMNS).first()


def _counts_may_change(instance, created, update_fields):
    if created:
        return True
    if update_fields is not None:
        return bool(COUNTED_FIELDS & set(update_fields))
    before = getattr(instance, "_counted_before", None)
    return before is None or before != tuple(getattr(instance, column) for column in CUBE_COLUMNS)


def product_saved(sender, instance, created=False, raw=False, update_fields=None, **kwargs):
    # publish()/unpublish() save only status: nothing the index holds.
    if not raw and (update_fields is None or INDEXED_FIELDS & set(update_fields)):
        search.reindex([instance.pk])
    # A price, a name, a description saved: the cached counts stay.
    cache.bump(counts=raw or _counts_may_change(instance, created, update_fields))


def product_deleted(sender, instance, **kwargs):
    search.forget(instance.pk)
    cache.bump()


def vendor_saved(sender, instance, created=False, raw=False, **kwargs):
    # The index holds the vendor's name: a rename reaches all its products
    # in one statement (a new vendor has none yet).
    if not created and not raw:
        search.reindex_vendor(instance.pk)
    cache.bump()


def category_saved(sender, instance, created=False, raw=False, **kwargs):
    if not created and not raw:
        search.reindex_category(instance.pk)
    cache.bump()


def catalogue_changed(sender, **kwargs):
    cache.bump()


def pictures_changed(sender, **kwargs):
    cache.bump(counts=False)  # pictures are on pages, in no count


def connect():
    """Called once from ProductsConfig.ready()."""
    pre_save.connect(product_saving, sender=Product, dispatch_uid="search:product_saving")
    post_save.connect(product_saved, sender=Product, dispatch_uid="search:product_saved")
    post_delete.connect(product_deleted, sender=Product, dispatch_uid="search:product_deleted")
    post_save.connect(vendor_saved, sender=Vendor, dispatch_uid="search:vendor_saved")
    post_save.connect(category_saved, sender=Category, dispatch_uid="search:category_saved")
    for model in (Vendor, Category):
        post_delete.connect(catalogue_changed, sender=model, dispatch_uid=f"search:{model.__name__}_deleted")
    for signal in (post_save, post_delete):
        signal.connect(
            pictures_changed, sender=ProductImage, dispatch_uid=f"search:image_{signal is post_save}"
        )
