"""Django set up for the bench scripts, run as ``python bench/<script>.py``
from the repository (this folder is then first on ``sys.path``)."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_setup(*, quiet=True):
    """Import the project's settings (from the environment, as the site does)
    and set Django up; ``quiet`` keeps the site's logging to errors."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "umkm_directory.settings")
    if quiet:
        os.environ.setdefault("LOG_LEVEL", "ERROR")
    import django

    django.setup()


def search_texts(path):
    """The distinct search texts of a search URL file (bench/run.py's
    urls-search.txt), in file order, each as its tuple of searchable words
    (``products.search.tokens``); texts without any word are left out.
    Call after ``django_setup()``."""
    from urllib.parse import parse_qs, urlsplit

    from products import search

    texts = {}
    with open(path) as handle:
        for line in handle:
            words = tuple(search.tokens(parse_qs(urlsplit(line.strip()).query).get("q", [""])[0]))
            if words:
                texts.setdefault(words, None)
    return list(texts)
