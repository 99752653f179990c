"""Product cards and pictures: their HTML, written in Python, and the cache
of rendered cards (per product, catalogue version and language).

Why Python and not a template: a card is the most repeated piece of HTML on
the site (24 a list page, each rendered anew on a cold page), and a Jinja2
template cost ~0.2 ms a card against ~0.03 ms here. The markup is small and
kept in these two functions only (the product page's gallery calls
``picture()`` too); tests/products/test_images.py and test_views.py check it.

A list page shows 24 cards and the same product shows up on many pages (its
category, sort orders, search results, related products, its vendor's page),
so many cards are found in the cache. Any edit moves the catalogue version
on (products.cache) and with it every card's key; no card is ever stale.

All the cards of a list are read with one ``get_many`` and the missing ones
written with one ``set_many``: on Redis that is two round trips a page, not
two per card. Templates call ``{{ product_cards(products) }}`` and
``{{ picture(image, ...) }}`` (umkm_directory.templating)."""

from django.core.cache import cache as django_cache
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from umkm_directory.templating import gettext, static_url

from . import cache
from .templatetags.catalogue import rupiah

CARD_CACHE_SECONDS = 60 * 60


def request_version(request):
    """The catalogue version, read once per request (shared with umkm_directory.http)."""
    if request is None:
        return cache.version()
    if not hasattr(request, "_catalogue_version"):
        request._catalogue_version = cache.version()
    return request._catalogue_version


def picture_html(image, alt=None, sizes="100vw", variant="", loading="lazy"):
    """A product picture, or a placeholder when ``image`` is None.

    alt: the image's own alt text by default, "" for a decorative image;
    variant: "thumb" for the square thumbnail; loading: "eager" for the first
    picture of a page. No query and no storage call: rendition names and sizes
    are kept on the image row. Give img a CSS "max-width: 100%; height: auto"
    so width/height only set the aspect ratio."""
    if image is not None:
        text = image.alt_text if alt is None else alt
        if variant == "thumb":
            return format_html(
                '<img src="{}" width="{}" height="{}" loading="{}" decoding="async" alt="{}"'
                ' class="picture picture--thumb">',
                image.thumbnail_url,
                image.thumbnail_size,
                image.thumbnail_size,
                "eager" if loading == "eager" else "lazy",
                text,
            )
        srcset = image.srcset
        return format_html(
            '<img src="{}"{} width="{}" height="{}" {} decoding="async" alt="{}" class="picture">',
            image.src_url,
            format_html(' srcset="{}" sizes="{}"', srcset, sizes or "100vw") if srcset else "",
            image.src_width,
            image.src_height,
            _EAGER if loading == "eager" else _LAZY,
            text,
        )
    thumb = variant == "thumb"
    return format_html(
        '<img src="{}" width="{}" height="{}" alt="{}" class="picture{} picture--placeholder">',
        static_url("img/placeholder.svg"),
        160 if thumb else 640,
        160 if thumb else 480,
        gettext("Belum ada foto"),
        " picture--thumb" if thumb else "",
    )


_EAGER = mark_safe('loading="eager" fetchpriority="high"')
_LAZY = mark_safe('loading="lazy"')
CARD_SIZES = "(min-width: 72rem) 14rem, (min-width: 40rem) 30vw, 46vw"


def card_html(product):
    """One product in a list, as an ``<li>``. ``product`` comes from
    Product.objects.for_listing(): vendor, its district and the pictures are
    loaded, so a card costs no query."""
    vendor = product.vendor
    unit = format_html(' <span class="card__unit">/ {}</span>', product.unit) if product.unit else ""
    verified = ""
    if vendor.verified:
        verified = format_html(
            ' <span class="tick" title="{}" aria-hidden="true">✓</span>'
            '<span class="visually-hidden">{}</span>',
            gettext("Terverifikasi"),
            gettext("terverifikasi"),
        )
    availability = {
        "preorder": " · " + gettext("Pre-order"),
        "soldout": " · " + gettext("Habis"),
    }.get(product.availability, "")
    badges = ""
    if product.halal or product.export_ready:
        badges = format_html(
            '<span class="card__badges">{}{}</span>',
            format_html('<span class="badge badge--halal">{}</span>', gettext("Halal"))
            if product.halal
            else "",
            format_html('<span class="badge badge--export">{}</span>', gettext("Siap ekspor"))
            if product.export_ready
            else "",
        )
    return format_html(
        '<li class="card"><a class="card__link" href="{}">'
        '<span class="card__media">{}</span>'
        '<span class="card__body">'
        '<span class="card__name">{}</span>'
        '<span class="card__price"><span class="nowrap">{}</span>{}</span>'
        '<span class="card__vendor">{}{}</span>'
        '<span class="card__meta">{}{}</span>'
        "{}"
        "</span></a></li>",
        product.get_absolute_url(),
        picture_html(product.cover, alt=product.name, sizes=CARD_SIZES),
        product.name,
        rupiah(product.price),
        unit,
        vendor.name,
        verified,
        vendor.district.name,
        availability,
        badges,
    )


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
        for key, product in zip(keys, products, strict=True):
            if key not in found:
                missing[key] = found[key] = card_html(product)
        django_cache.set_many(missing, CARD_CACHE_SECONDS)
    return [found[key] for key in keys]


def cards_html(request, products):
    """The cards of ``products``, as one HTML string."""
    return "".join(card_list(request, products))
