"""Product cards and pictures: their HTML, written in Python, from the rows
of ``Product.objects.card_rows()`` (one query for any number of cards).

Why Python and not a template: a card is the most repeated piece of HTML on
the site (24 a list page), and a Jinja2 template cost ~0.2 ms a card against
~0.02 ms here; why rows and not model instances: Django makes four model
instances a card (product, vendor, district, picture) and prefetches the
pictures with machinery that cost more than the query. The markup is small
and kept in these functions only (the product page's gallery calls
``picture_html()`` too); tests/products/test_images.py and test_views.py
check it.

Every list (catalogue, category, search, vendor page, home) first finds the
ids of its page, then asks ``cards(ids)``: one prepared query (compiled once
per process, umkm_directory.prepared) for all of them. Templates call
``{{ product_cards(ids) }}`` and ``{{ picture(image, ...) }}``
(umkm_directory.templating)."""

import json
from collections import namedtuple

from django.utils.translation import get_language, override
from markupsafe import Markup, escape

from umkm_directory.links import slug_url
from umkm_directory.prepared import PreparedQuery
from umkm_directory.templating import gettext, static_url

from . import search
from .models import CARD_COLUMNS, Picture, Product
from .templatetags.catalogue import thousand_separator

# One row of Product.objects.card_rows().
CardRow = namedtuple("CardRow", [name.replace("__", "_") for name in CARD_COLUMNS] + ["cover"])


def picture_html(image, alt=None, sizes="100vw", variant="", loading="lazy", language=None):
    """A product picture, or a placeholder when ``image`` is None.

    image: a ProductImage or a Picture; alt: the image's own alt text by
    default, "" for a decorative image; variant: "thumb" for the square
    thumbnail; loading: "eager" for the first picture of a page; language:
    the placeholder's (the active one by default). No query and
    no storage call: rendition names and sizes are kept on the image row.
    Give img a CSS "max-width: 100%; height: auto" so width/height only set
    the aspect ratio."""
    if image is None:
        return _placeholder(language or get_language(), variant == "thumb")
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


_PLACEHOLDERS = {}


def _placeholder(language, thumb):
    """The placeholder of a product without pictures, built once per language
    and size (a list of new products shows a dozen)."""
    found = _PLACEHOLDERS.get((language, thumb))
    if found is None:
        with override(language):
            alt = escape(gettext("Belum ada foto"))
        found = _PLACEHOLDERS[language, thumb] = Markup(  # noqa: S704 - every value below goes through escape()
            f'<img src="{escape(static_url("img/placeholder.svg"))}" width="{160 if thumb else 640}"'
            f' height="{160 if thumb else 480}" alt="{alt}"'
            f' class="picture{" picture--thumb" if thumb else ""} picture--placeholder">'
        )
    return found


CARD_SIZES = "(min-width: 72rem) 14rem, (min-width: 40rem) 30vw, 46vw"
_LABELS = {}


def _labels(language):
    """The card's words in ``language``, escaped (built once per language)."""
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
            "separator": thousand_separator(language),
        }
    return labels


def card_row(row):
    """A CardRow from a row of Product.objects.card_rows() (its cover a
    Picture, or None for a product without pictures)."""
    *columns, cover = row  # CoverJSON: [image, width, height, renditions], or None
    return CardRow(*columns, Picture(*json.loads(cover)) if cover else None)


def card_html(card, language=None):
    """One product in a list, as an ``<li>``, from a CardRow, in ``language``
    (the active one by default). Every value is escaped (markupsafe)."""
    labels = _labels(language or get_language())
    unit = f' <span class="card__unit">/ {escape(card.unit)}</span>' if card.unit else ""
    badges = ""
    if card.halal or card.export_ready:
        badges = (
            '<span class="card__badges">'
            f"{labels['halal'] if card.halal else ''}{labels['export'] if card.export_ready else ''}"
            "</span>"
        )
    verified = labels["verified"] if card.vendor_verified else ""
    availability = labels.get(card.availability, "")
    url = slug_url("products:detail", card.slug)
    price = f"Rp {int(card.price):,}".replace(",", labels["separator"])  # as the rupiah filter writes it
    picture = picture_html(card.cover, alt=card.name, sizes=CARD_SIZES, language=language)
    return Markup(  # noqa: S704 - every value below goes through escape() or is markup built here
        f'<li class="card"><a class="card__link" href="{escape(url)}">'
        f'<span class="card__media">{picture}</span>'
        '<span class="card__body">'
        f'<span class="card__name">{escape(card.name)}</span>'
        f'<span class="card__price"><span class="nowrap">{escape(price)}</span>{unit}</span>'
        f'<span class="card__vendor">{escape(card.vendor_name)}{verified}</span>'
        f'<span class="card__meta">{escape(card.district_name or "")}{availability}</span>'
        f"{badges}</span></a></li>"
    )


def cards_of_rows(rows):
    """The cards of rows of Product.objects.card_rows(), as (id, HTML) pairs, in their order."""
    language = get_language()
    return [(row[0], card_html(card_row(row), language)) for row in rows]


# The cards of some visible products, by id: compiled once per process.
CARDS_BY_ID = PreparedQuery(
    lambda ids: Product.objects.visible().filter(pk__in=search.id_list(ids)).card_rows()
)


def cards(ids):
    """The cards of the visible products among ``ids``, in the order of
    ``ids``, as HTML strings (one query; none for no ids)."""
    ids = list(ids)
    if not ids:
        return []
    found = dict(cards_of_rows(CARDS_BY_ID.fetch(ids=search.id_param(ids))))
    return [found[pk] for pk in ids if pk in found]


def cards_html(ids):
    """The cards of the products ``ids``, as one HTML string."""
    return "".join(cards(ids))
