"""The product card (products/_card.html), rendered once per product,
catalogue version and language and then served from the cache.

A list page shows 24 cards and the same product shows up on many pages (its
category, sort orders, search results, related products, its vendor's page),
so many cards are found in the cache. Any edit moves the catalogue version
on (products.cache) and with it every card's key; no card is ever stale.
Templates call it as ``{{ product_card(product) }}`` (umkm_directory.templating)."""

from django.core.cache import cache as django_cache
from django.template.loader import get_template
from django.utils.translation import get_language

from . import cache

CARD_TEMPLATE = "products/_card.html"
CARD_CACHE_SECONDS = 60 * 60


def request_version(request):
    """The catalogue version, read once per request (shared with umkm_directory.http)."""
    if request is None:
        return cache.version()
    if not hasattr(request, "_catalogue_version"):
        request._catalogue_version = cache.version()
    return request._catalogue_version


def card_html(request, product):
    """The card of ``product`` (from Product.objects.for_listing()), as HTML."""
    key = f"card:{request_version(request)}:{get_language()}:{product.pk}"
    html = django_cache.get(key)
    if html is None:
        html = get_template(CARD_TEMPLATE).render({"product": product})
        django_cache.set(key, html, CARD_CACHE_SECONDS)
    return html
