"""Template helpers for the public catalogue: prices, absolute links,
WhatsApp links and JSON-LD. Presentation only: no queries."""

import functools
import json
from urllib.parse import urlencode, urljoin, urlsplit

from django import template
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import formats, translation
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

# Same escapes as Django's json_script: the JSON cannot close the <script>
# element it sits in, whatever a vendor writes in a product description.
_JSON_SCRIPT_ESCAPES = {">": "\\u003E", "<": "\\u003C", "&": "\\u0026"}


# The thousands separator of each language, read once: Django's
# number_format() looks the format up on every call (~15 µs), and a catalogue
# page formats forty numbers (prices, counts of every filter option).
_SEPARATORS = {}


def thousand_separator(language=None):
    """The thousands separator of ``language`` (the active one by default)."""
    language = language or translation.get_language()
    separator = _SEPARATORS.get(language)
    if separator is None:
        separator = _SEPARATORS[language] = formats.get_format("THOUSAND_SEPARATOR", language, use_l10n=True)
    return separator


def _grouped(amount):
    """``amount`` (an int) grouped by three with the active language's separator."""
    return f"{amount:,}".replace(",", thousand_separator())


@register.filter
def rupiah(value):
    """Whole rupiah grouped for the active language: ``Rp 1.250.000`` in
    Indonesian, ``Rp 1,250,000`` in English. Empty for a missing value."""
    if value is None or value == "":
        return ""
    try:
        amount = int(value)
    except (TypeError, ValueError):
        return ""
    return "Rp " + _grouped(amount)


@register.filter
def number(value):
    """An integer grouped for the active language (1.234 / 1,234)."""
    try:
        return _grouped(int(value))
    except (TypeError, ValueError):
        return ""


def absolute_url(url):
    """``url`` (a path, or already absolute) as an absolute address on SITE_URL."""
    url = str(url or "")
    if url.startswith("/") and not url.startswith("//"):
        # What urljoin() gives for a path from the root (a few times cheaper).
        return _origin(settings.SITE_URL) + url
    return urljoin(settings.SITE_URL + "/", url)


@functools.cache
def _origin(site_url):
    """The scheme and host of ``site_url`` (a path from the root replaces its path)."""
    parts = urlsplit(site_url)
    return f"{parts.scheme}://{parts.netloc}"


@register.filter(name="absolute")
def absolute_filter(url):
    return absolute_url(url)


def whatsapp_url(number, text=""):
    """A wa.me link to a number stored in normal form (``628…``), with a prefilled message."""
    url = f"https://wa.me/{number}"
    return f"{url}?{urlencode({'text': text})}" if text else url


@register.filter
def wa_link(number, text=""):
    """``{{ vendor.whatsapp|wa_link:message }}``."""
    return whatsapp_url(number, text)


@register.simple_tag
def jsonld(data):
    """A ``<script type="application/ld+json">`` element, escaped like json_script."""
    payload = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    # str.replace(): several times faster than str.translate() on a long description.
    for character, escaped in _JSON_SCRIPT_ESCAPES.items():
        payload = payload.replace(character, escaped)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))  # noqa: S308
