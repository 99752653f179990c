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
