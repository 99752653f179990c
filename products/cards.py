"""Product cards (products/_card.html), rendered once per product, catalogue
version and language and then served from the cache.

A list page shows 24 cards and the same product shows up on many pages (its
category, sort orders, search results, related products, its vendor's page),
so many cards are found in the cache. Any edit moves the catalogue version
on (products.cache) and with it every card's key; no card is ever stale.

All the cards of a list are read with one ``get_many`` and the missing ones
written with one ``set_many``: on Redis that is two round trips a page, not
two per card. Templates call ``{{ product_cards(products) }}``
(umkm_directory.templating)."""

from django.core.cache import cache as django_cache
from django.template import engines
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


def _card_template():
    # The Jinja2 template itself: Django's get_template() wrapper would look
    # it up through every engine and build a context for each card.
    return engines["jinja2"].env.get_template(CARD_TEMPLATE)


def card_list(request, products):
    """The card of each of ``products`` (from Product.objects.for_listing()), as HTML strings."""
    products = list(products)
    if not products:
        return []
    prefix = f"card:{request_version(request)}:{get_language()}:"
    keys = [f"{prefix}{product.pk}" for product in products]
    found = django_cache.get_many(keys)
    missing = {}
    if len(found) < len(keys):
        template = _card_template()
        for key, product in zip(keys, products, strict=True):
            if key not in found:
                missing[key] = found[key] = template.render(product=product)
        django_cache.set_many(missing, CARD_CACHE_SECONDS)
    return [found[key] for key in keys]


def cards_html(request, products):
    """The cards of ``products``, as one HTML string."""
    return "".join(card_list(request, products))
