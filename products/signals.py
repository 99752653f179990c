"""Keeping the search index and the catalogue cache version in step with
writes made through the ORM (the admin, forms, scripts). This is the one
accepted use of signals here (see STYLE.md): no business logic.

Bulk writes send no signals: whoever calls bulk_create/bulk_update/update
calls ``products.search.reindex(ids)`` when names or descriptions changed
and ``products.cache.bump()`` (the importer and seed_demo do).
"""

from django.db.models.signals import post_delete, post_save

from vendors.models import Vendor

from . import cache, search
from .models import Category, Product, ProductImage

# The product fields the index holds (the vendor's and category's names come through the keys).
INDEXED_FIELDS = {"name", "description", "category", "category_id", "vendor", "vendor_id"}


def product_saved(sender, instance, raw=False, update_fields=None, **kwargs):
    # publish()/unpublish() save only status: nothing the index holds.
    if not raw and (update_fields is None or INDEXED_FIELDS & set(update_fields)):
        search.reindex([instance.pk])
    cache.bump()


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


def connect():
    """Called once from ProductsConfig.ready()."""
    post_save.connect(product_saved, sender=Product, dispatch_uid="search:product_saved")
    post_delete.connect(product_deleted, sender=Product, dispatch_uid="search:product_deleted")
    post_save.connect(vendor_saved, sender=Vendor, dispatch_uid="search:vendor_saved")
    post_save.connect(category_saved, sender=Category, dispatch_uid="search:category_saved")
    for model in (Vendor, Category):
        post_delete.connect(catalogue_changed, sender=model, dispatch_uid=f"search:{model.__name__}_deleted")
    for signal in (post_save, post_delete):
        signal.connect(
            catalogue_changed, sender=ProductImage, dispatch_uid=f"search:image_{signal is post_save}"
        )
