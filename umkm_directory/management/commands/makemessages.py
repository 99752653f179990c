"""``manage.py makemessages``, also reading the Jinja2 templates.

Django's makemessages understands its own template language only: run on the
public pages (Jinja2, see umkm_directory/templating.py) it would miss every
``_("…", name=value)`` and ``ngettext(…)`` call and mark their translations
obsolete. Here each Jinja2 template is turned, for xgettext, into Python lines
holding the same calls at the same line numbers (Jinja2's own extractor finds
them), so the catalogue keeps one entry per string with its template and line.
Everything else is Django's command unchanged."""

from pathlib import Path

from django.conf import settings
from django.core.management.commands import makemessages
from jinja2 import Environment

GETTEXT_FUNCTIONS = ("_", "gettext", "ngettext")


def jinja2_dirs():
    return [
        Path(directory).resolve()
        for engine in settings.TEMPLATES
        if engine["BACKEND"].endswith(".Jinja2")
        for directory in engine.get("DIRS", [])
    ]


def template_messages(source):
    """(line, msgid, msgid_plural or None) of each translatable call in a Jinja2 template."""
    # Parsing only, nothing is rendered: autoescaping does not apply.
    extractor = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    for lineno, function, message in extractor.extract_translations(source, GETTEXT_FUNCTIONS):
        # A call with named values comes as a tuple (message, None, ...).
        strings = message if isinstance(message, tuple) else (message,)
        if function == "ngettext" and len(strings) >= 2 and strings[0] and strings[1]:
            yield lineno, strings[0], strings[1]
        elif function != "ngettext" and strings[0]:
            yield lineno, strings[0], None


def python_for_xgettext(source):
    """The translatable calls of a Jinja2 template as Python source, on the same lines."""
    lines = {}
    for lineno, singular, plural in template_messages(source):
        call = f"ngettext({singular!r}, {plural!r}, 1)" if plural else f"gettext({singular!r})"
        lines.setdefault(lineno, []).append(call)
    last = max(lines, default=0)
    return "\n".join("; ".join(lines.get(number, [])) for number in range(1, last + 1)) + "\n"


class BuildFile(makemessages.BuildFile):
    def preprocess(self):
        path = Path(self.path).resolve()
        if self.is_templatized and any(path.is_relative_to(directory) for directory in jinja2_dirs()):
            source = path.read_text(encoding="utf-8")
            Path(self.work_path).write_text(python_for_xgettext(source), encoding="utf-8")
            return
        super().preprocess()


class Command(makemessages.Command):
    build_file_class = BuildFile
