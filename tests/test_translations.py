"""Every interface string of the public pages has its English translation.

The public pages are Jinja2 templates (umkm_directory/templating.py); their
strings reach the catalogue through the project's makemessages command."""

import gettext
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from umkm_directory.management.commands.makemessages import (
    jinja2_dirs,
    python_for_xgettext,
    template_messages,
)

ENGLISH = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.mo"


def all_template_messages():
    """(template, msgid, msgid_plural) of every translatable call in the Jinja2 templates."""
    for directory in jinja2_dirs():
        for path in sorted(directory.rglob("*.html")):
            for _line, singular, plural in template_messages(path.read_text(encoding="utf-8")):
                yield str(path.relative_to(directory)), singular, plural


def test_the_extractor_finds_plain_named_and_plural_strings():
    source = (
        '{{ _("Cari") }} {{ _("Produk asli UMKM %(city)s", city=CITY_NAME) }}\n'
        '{{ ngettext("%(number)s usaha", "%(number)s usaha", n, number=n) }}'
    )
    assert python_for_xgettext(source).splitlines() == [
        "gettext('Cari'); gettext('Produk asli UMKM %(city)s')",
        "ngettext('%(number)s usaha', '%(number)s usaha', 1)",
    ]


def test_every_template_string_has_an_english_translation():
    with ENGLISH.open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)._catalog
    messages = list(all_template_messages())
    assert len(messages) > 100  # the templates were read
    missing = [
        (template, singular)
        for template, singular, plural in messages
        if not catalogue.get((singular, 0) if plural else singular)
    ]
    assert missing == []


@pytest.mark.django_db
def test_the_english_home_page_is_in_english():
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Made by the small businesses of Balikpapan" in html  # a string with a named value
    assert "Search products" in html
    assert "Cari produk" not in html
