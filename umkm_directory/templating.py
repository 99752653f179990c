"""The Jinja2 environment of the public pages (settings.TEMPLATES).

Why Jinja2 for the public pages: they are the site's hot path, and Django's
template language cost 15–30 ms a page here (a node per tag, a context lookup
per variable, an include per card) against a 0.6 ms ceiling for the cheapest
response; Jinja2 compiles a template to Python and renders the same page
several times faster (docs/performance.md). The admin, the forms' widgets and
django-axes' lockout page keep Django's templates (second engine).

The templates are compiled once per language (``Jinja2`` below, the backend
settings.TEMPLATES names): a fixed string ``_("Beranda")`` is translated when
the template is compiled, not each time a page is rendered
(``CompiledTranslations``).

What the templates get besides their context:
- ``_``/``gettext``/``ngettext``: Django's translations with named values
  (``_("Produk asli UMKM %(city)s", city=CITY_NAME)``: the values are escaped;
  the msgids are those Django's ``{% blocktranslate %}`` produced, so the
  existing catalogue keeps working; ``manage.py makemessages`` reads them
  through umkm_directory/management/commands/makemessages.py). Plain functions
  rather than Jinja2's i18n extension: a page calls them dozens of times and
  the extension's wrappers tripled the cost of each call;
- ``url(name, *args)``, ``static(path)``, ``querystring(request, **changes)``;
- ``language()``: the active language code; ``other_languages()``: the
  languages the switch offers;
- ``SITE_NAME``, ``CITY_NAME``;
- the catalogue's helpers (products.templatetags.catalogue) as filters, and
  ``product_cards(ids)``, the cards of these products (one query), and
  ``picture(image, alt=..., sizes=..., variant=..., loading=...)`` (products.cards).
Django's backend adds ``request``, ``csrf_input`` and ``csrf_token``.
"""

import functools
from collections.abc import Iterable
from urllib.parse import urlencode

from django.conf import settings
from django.template.backends.jinja2 import Jinja2 as DjangoJinja2
from django.template.defaultfilters import truncatechars, truncatewords
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from django.utils import translation
from django.utils.html import linebreaks
from jinja2 import Environment, pass_context
from jinja2.ext import Extension
from jinja2.lexer import Token
from markupsafe import Markup, escape

# Per-process memos. A page asks for the same few addresses, static files and
# interface strings on every request; reverse(), the static files manifest and
# the translation machinery cost 10–40 µs a call, a dict lookup far less. All
# three answers are fixed for the life of a process (URLconf, manifest and
# compiled catalogues are read at start-up); the language and script prefix
# are part of the keys.
_URLS = {}
_STATIC = {}
_MESSAGES = {}


def url(name, *args):
    """``{{ url("products:category", slug) }}``: Django's reverse(), memoised."""
    key = (get_script_prefix(), name, *args)
    found = _URLS.get(key)
    if found is None:
        found = reverse(name, args=args or None)
        if len(_URLS) < 10_000:  # bounded: slugs are many
            _URLS[key] = found
    return found


def static_url(path):
    """``{{ static("css/site.css") }}``: the hashed file's address, memoised."""
    found = _STATIC.get(path)
    if found is None:
        found = _STATIC[path] = static(path)
    return found


def gettext(message, **variables):
    """``{{ _("Produk asli UMKM %(city)s", city=CITY_NAME) }}``: Django's gettext,
    memoised per language (the catalogues are read once per process); the
    values are escaped, the translation is trusted like Django's templates trust it."""
    return _translated(translation.get_language(), message, variables)


@pass_context
def template_gettext(context, message, **variables):
    """gettext() for templates (``_``), the language read from the request
    being rendered (the one SiteLanguageMiddleware activated; Django's own
    look-up of the active language costs ~2 µs and a page asks dozens of
    times); without a request, from Django."""
    language = getattr(context.get("request"), "LANGUAGE_CODE", None) or translation.get_language()
    return _translated(language, message, variables)


def _translated(language, message, variables):
    key = (language, message)
    found = _MESSAGES.get(key)
    if found is None:
        with translation.override(language):
            found = _MESSAGES[key] = translation.gettext(message)
    if variables:
        return _format(found, **variables)
    return found  # escaped on output, as {% translate %} is


def ngettext(singular, plural, count, **variables):
    """``{{ ngettext("%(number)s produk", "%(number)s produk", n, number=n|number) }}``."""
    variables.setdefault("num", count)
    return _format(translation.ngettext(singular, plural, count), **variables)


def fast_truncatechars(value, length):
    """Django's truncatechars, without its cost for the usual case: a value
    already short enough (a search box's text, most descriptions) is returned
    as it is; a longer one is cut by Django's Truncator as before."""
    if isinstance(value, str) and len(value) <= int(length):
        return value
    return truncatechars(value, length)


def _escaped(variables):
    return {name: escape(value) for name, value in variables.items()}


def querystring(request, **changes):
    """The request's query string with ``changes`` (None removes a key), as
    Django's ``{% querystring %}`` tag writes it (``?a=1&b=2``, a changed key
    in its place), without its deep copy of the QueryDict for every link (a
    page of results has ten)."""
    params = dict(request.GET.lists())
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        elif isinstance(value, Iterable) and not isinstance(value, str):
            params[key] = list(value)
        else:
            params[key] = [value]
    if not params and not request.GET:
        return ""
    return "?" + urlencode([(key, value) for key, values in params.items() for value in values])


def other_languages():
    """The languages the switch offers: every configured one but the active one,
    as (code, name in that language)."""
    return _other_languages(translation.get_language())


@functools.cache
def _other_languages(active):
    return [
        (code, translation.get_language_info(code)["name_local"])
        for code, _name in settings.LANGUAGES
        if code != active
    ]


def product_cards(ids):
    """The cards of the products ``ids`` (products.cards), as HTML."""
    # Imported here: umkm_directory is wired to the apps, not the reverse.
    from products.cards import cards_html

    # HTML built (and escaped) by products.cards.card_html.
    return Markup(cards_html(ids))  # noqa: S704


def product_cards_of_rows(rows):
    """The cards of rows of Product.objects.card_rows() (products.cards), as
    HTML: for a view that read its page's cards in its own query."""
    from products.cards import cards_of_rows

    # HTML built (and escaped) by products.cards.card_html.
    return Markup("".join(html for _pk, html in cards_of_rows(rows)))  # noqa: S704


class CompiledTranslations(Extension):
    """Translate the interface's fixed strings when a template is compiled.

    In an environment made for one language (``Jinja2`` below gives each
    configured language its own), ``_("Beranda")`` becomes the string
    literal of its translation, and ``_("Kecamatan %(district)s",
    district=...)`` a call of ``_format`` with the translated pattern: a page
    no longer looks each of its thirty-odd strings up, in the active language,
    through a call that passes the template's context. The rewrite is on the
    template's tokens: a ``_`` or ``gettext`` call whose first argument is a
    single string literal; anything else is left to the runtime function."""

    NAMES = frozenset({"_", "gettext"})

    def filter_stream(self, stream):
        language = getattr(self.environment, "site_language", None)
        if language is None:
            yield from stream
            return
        tokens = list(stream)
        index = 0
        while index < len(tokens):
            token = tokens[index]
            window = tokens[index : index + 4]
            if (
                token.type == "name"
                and token.value in self.NAMES
                and len(window) == 4
                and window[1].type == "lparen"
                and window[2].type == "string"
                and window[3].type in ("rparen", "comma")
                and (index == 0 or tokens[index - 1].type != "dot")
            ):
                translated = _translated(language, window[2].value, {})
                if window[3].type == "rparen":  # no values: the translation itself
                    yield Token(token.lineno, "string", translated)
                else:  # values follow: _format(translated pattern, name=value, ...)
                    yield Token(token.lineno, "name", "_format")
                    yield window[1]
                    yield Token(window[2].lineno, "string", translated)
                    yield window[3]
                index += 4
                continue
            yield token
            index += 1


def _format(pattern, **variables):
    """A translated pattern with its values, as {% blocktranslate %} gives it:
    the values escaped, the translation trusted (``_()`` with values, and the
    calls CompiledTranslations writes)."""
    return Markup(pattern % _escaped(variables))  # noqa: S704


class Jinja2(DjangoJinja2):
    """Django's Jinja2 backend with the templates compiled once per language
    (settings.LANGUAGES), their fixed strings translated at compile time
    (CompiledTranslations); a template is taken from the active language's
    environment. The language environments are overlays of Django's: they
    share its loader, globals and filters, and keep their own compiled
    templates. A language not configured gets Django's environment, whose
    ``_`` translates when the page is rendered."""

    def __init__(self, params):
        self.environments = {}
        super().__init__(params)  # sets self.env: Django's environment
        for code, _name in settings.LANGUAGES:
            overlay = self._env.overlay(extensions=[CompiledTranslations])
            overlay.site_language = code
            self.environments[code] = overlay

    @property
    def env(self):
        """The active language's environment: Django's get_template() and
        from_string() read it."""
        return self.environments.get(translation.get_language(), self._env)

    @env.setter
    def env(self, environment):
        self._env = environment


def environment(**options):
    from products.cards import picture_html
    from products.templatetags import catalogue

    # Django's backend passes autoescape=True; it is never turned off here.
    options.pop("autoescape", None)
    env = Environment(autoescape=True, **options)
    env.globals.update(
        _=template_gettext,
        gettext=template_gettext,
        _format=_format,
        ngettext=ngettext,
        url=url,
        static=static_url,
        querystring=querystring,
        language=translation.get_language,
        other_languages=other_languages,
        product_cards=product_cards,
        product_cards_of_rows=product_cards_of_rows,
        picture=picture_html,
        SITE_NAME=settings.SITE_NAME,
        CITY_NAME=settings.CITY_NAME,
    )
    env.filters.update(
        rupiah=catalogue.rupiah,
        number=catalogue.number,
        absolute=catalogue.absolute_url,
        wa_link=catalogue.whatsapp_url,
        jsonld=catalogue.jsonld,
        truncatechars=fast_truncatechars,
        truncatewords=truncatewords,
        linebreaks=lambda value: linebreaks(value, autoescape=True),
    )
    return env
