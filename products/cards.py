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
from django.utils.translation import get_language
from markupsafe import Markup, escape

from umkm_directory.templating import gettext, static_url

from . import cache
from .templatetags.catalogue import rupiah

CARD_CACHE_SECONDS = 60 * 60


def picture_html(image, alt=None, sizes="100vw", variant="", loading="lazy"):
    """A product picture, or a placeholder when ``image`` is None.

    alt: the image's own alt text by default, "" for a decorative image;
    variant: "thumb" for the square thumbnail; loading: "eager" for the first
    picture of a page. No query and no storage call: rendition names and sizes
    are kept on the image row. Give img a CSS "max-width: 100%; height: auto"
    so width/height only set the aspect ratio."""
    if image is None:
        thumb = variant == "thumb"
        return Markup(  # noqa: S704 - every value below goes through escape()
            f'<img src="{escape(static_url("img/placeholder.svg"))}" width="{160 if thumb else 640}"'
            f' height="{160 if thumb else 480}" alt="{escape(gettext("Belum ada foto"))}"'
            f' class="picture{" picture--thumb" if thumb else ""} picture--placeholder">'
        )
    text = escape(image.alt_text if alt is None else alt)
    if variant == "thumb":
        size = int(image.thumbnail_size)
        return Markup(  # noqa: S704 - every value below goes through escape() or int()
            f'<img src="{escape(image.thumbnail_url)}" width="{size}" height="{size}"'
            f' loading="{"eager" if loading == "eager" else "lazy"}" decoding="async" alt="{text}"'
            ' class="picture picture--thumb">'
        )
    srcset = image.srcset
    responsive = f' srcset="{escape(srcset)}" sizes="{escape(sizes or "100vw")}"' if srcset else ""
    load = 'loading="eager" fetchpriority="high"' if loading == "eager" else 'loading="lazy"'
    return Markup(  # noqa: S704 - every value below goes through escape() or int()
        f'<img src="{escape(image.src_url)}"{responsive} width="{int(image.src_width)}"'
        f' height="{int(image.src_height)}" {load} decoding="async" alt="{text}" class="picture">'
    )


CARD_SIZES = "(min-width: 72rem) 14rem, (min-width: 40rem) 30vw, 46vw"
_LABELS = {}


def _labels():
    """The card's words in the active language, escaped (built once per language)."""
    language = get_language()
    labels = _LABELS.get(language)
    if labels is None:
        labels = _LABELS[language] = {
            "verified": (
                f' <span class="tick" title="{escape(gettext("Terverifikasi"))}" aria-hidden="true">✓</span>'
                f'<span class="visually-hidden">{escape(gettext("terverifikasi"))}</span>'
            ),
            "preorder": f" · {escape(gettext('Pre-order'))}",
            "soldout": f" · {escape(gettext('Habis'))}",
            "halal": f'<span class="badge badge--halal">{escape(gettext("Halal"))}</span>',
            "export": f'<span class="badge badge--export">{escape(gettext("Siap ekspor"))}</span>',
        }
    return labels


def card_html(product):
    """One product in a list, as an ``<li>``. ``product`` comes from
    Product.objects.for_listing(): vendor, its district and the pictures are
    loaded, so a card costs no query. Every value is escaped (markupsafe)."""
    labels = _labels()
    vendor = product.vendor
    unit = f' <span class="card__unit">/ {escape(product.unit)}</span>' if product.unit else ""
    badges = ""
    if product.halal or product.export_ready:
        badges = (
            '<span class="card__badges">'
            f"{labels['halal'] if product.halal else ''}{labels['export'] if product.export_ready else ''}"
            "</span>"
        )
    verified = labels["verified"] if vendor.verified else ""
    availability = labels.get(product.availability, "")
    return Markup(  # noqa: S704 - every value below goes through escape() or is markup built here
        f'<li class="card"><a class="card__link" href="{escape(product.get_absolute_url())}">'
        f'<span class="card__media">{picture_html(product.cover, alt=product.name, sizes=CARD_SIZES)}</span>'
        '<span class="card__body">'
        f'<span class="card__name">{escape(product.name)}</span>'
        f'<span class="card__price"><span class="nowrap">{escape(rupiah(product.price))}</span>{unit}</span>'
        f'<span class="card__vendor">{escape(vendor.name)}{verified}</span>'
        f'<span class="card__meta">{escape(vendor.district.name)}{availability}</span>'
        f"{badges}</span></a></li>"
    )


def card_list(products):
    """The card of each of ``products`` (from Product.objects.for_listing()), as HTML strings."""
    products = list(products)
    if not products:
        return []
    prefix = f"card:{cache.version()}:{get_language()}:"
    keys = [f"{prefix}{product.pk}" for product in products]
    found = django_cache.get_many(keys)
    missing = {}
    if len(found) < len(keys):
        for key, product in zip(keys, products, strict=True):
            if key not in found:
                missing[key] = found[key] = card_html(product)
        django_cache.set_many(missing, CARD_CACHE_SECONDS)
    return [found[key] for key in keys]


def cards_html(products):
    """The cards of ``products``, as one HTML string."""
    return "".join(card_list(products))
