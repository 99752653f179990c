"""umkm_directory.templating: the template helpers written for speed give
what Django's own give."""

import pytest
from django.template.defaultfilters import truncatechars
from django.template.defaulttags import querystring as django_querystring
from django.test import RequestFactory

from umkm_directory.templating import fast_truncatechars, querystring

QUERIES = [
    "",
    "page=3",
    "q=amplang+pedas&page=2&cert=halal&cert=pirt&sort=price_asc",
    "a=%F0%9F%98%80&b=x%26y&page=",
    "cert=halal&page=5&q=kue",
]
CHANGES = [
    {"page": 4},
    {"page": None},
    {"page": 1, "sort": "name"},
    {"cert": ["sni", "bpom"]},
    {"new": "v a"},
]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("changes", CHANGES)
def test_querystring_writes_what_djangos_tag_writes(query, changes):
    request = RequestFactory().get("/products/?" + query)
    assert querystring(request, **changes) == django_querystring(None, request.GET, **changes)


@pytest.mark.parametrize(
    "value", ["", "amplang", "a" * 200, "a" * 201, "e\u0301" * 150, "kue " * 60, None, 12345]
)
@pytest.mark.parametrize("length", [20, 160, 200])
def test_truncatechars_cuts_as_djangos_filter_does(value, length):
    assert fast_truncatechars(value, length) == truncatechars(value, length)


# --- the templates compiled once per language (CompiledTranslations) ----------

SOURCE = (
    '<a href="/">{{ _("Beranda") }}</a>|{{ _("Kecamatan %(district)s", district=name) }}'
    "|{{ _(label) }}|{{ gettext('Cari') }}|{{ value._('x') if value else '' }}"
)


def render(language, context):
    """SOURCE from the backend's environment of ``language``, rendered in it."""
    from django.template import engines
    from django.utils import translation

    with translation.override(language):
        return engines["jinja2"].environments[language].from_string(SOURCE).render(context)


def test_fixed_strings_are_translated_when_the_template_is_compiled():
    from django.template import engines

    source = engines["jinja2"].environments["en"].compile(SOURCE, raw=True)
    # The English text is part of the compiled template's constant output
    # (Jinja2 folds it with the markup around it): no look-up per page.
    assert "Home</a>|" in source and "Beranda" not in source
    assert "'%(district)s district'" in source and "Kecamatan" not in source

    # Values are escaped as before; a string that is not a literal is still
    # translated when the page is rendered.
    context = {"name": "Balikpapan <Kota>", "label": "Produk", "value": None}
    assert render("en", context) == '<a href="/">Home</a>|Balikpapan &lt;Kota&gt; district|Products|Search|'
    assert render("id", context) == '<a href="/">Beranda</a>|Kecamatan Balikpapan &lt;Kota&gt;|Produk|Cari|'


@pytest.mark.django_db
def test_each_language_gets_its_own_compiled_templates(client, settings):
    """The same page in both languages, from the environment of the active one."""
    from django.template import engines

    backend = engines["jinja2"]
    assert {code for code, _name in settings.LANGUAGES} == set(backend.environments)
    assert 'aria-label="Menu utama"' in client.get("/vendors/").content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get("/vendors/").content.decode()
    assert 'aria-label="Main menu"' in english and "Menu utama" not in english
