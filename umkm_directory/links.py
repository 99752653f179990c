"""Addresses of the catalogue's pages, cheaply.

A list page links to dozens of products, vendors and categories; Django's
reverse() costs ~30 µs a call, so each address pattern is reversed once per
process (and script prefix) and the slug put in its place."""

from django.urls import get_script_prefix, reverse

_PLACEHOLDER = "0slug0"
_PATTERNS = {}


def slug_url(name, slug):
    """``reverse(name, kwargs={"slug": slug})`` for a URL taking one slug."""
    if not slug.isascii():  # reverse() would percent-encode it
        return reverse(name, kwargs={"slug": slug})
    key = (get_script_prefix(), name)
    parts = _PATTERNS.get(key)
    if parts is None:
        parts = _PATTERNS[key] = reverse(name, kwargs={"slug": _PLACEHOLDER}).split(_PLACEHOLDER)
    return slug.join(parts)
