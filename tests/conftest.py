"""Shared fixtures. Services a test needs (Redis, Chromium) are skipped with a
reason when absent, except under UMKM_STRICT_SERVICES=1 (set by .ci/run),
where a missing service fails the test instead."""

import os

import pytest
from django.db import connection


def require_service(available, reason):
    """Skip (locally) or fail (in CI) a test whose service is missing."""
    if available:
        return
    if os.environ.get("UMKM_STRICT_SERVICES") == "1":
        pytest.fail(f"required service missing in CI: {reason}")
    pytest.skip(reason)


def pytest_collection_modifyitems(config, items):
    """Deselect tests marked for the other database backend (not a skip:
    CI runs the suite once per backend and each half runs there)."""
    vendor = connection.vendor
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("backend")
        (drop if marker and marker.args[0] != vendor else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(autouse=True)
def _isolated_settings(settings, tmp_path):
    """Uploads go to a temporary folder; static files need no collectstatic;
    passwords hash fast; each test starts with an empty cache."""
    settings.MEDIA_ROOT = tmp_path / "media"
    # Real hashers cost ~0.5 s a login on this machine; tests check behaviour, not hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.WHITENOISE_AUTOREFRESH = True  # serve from the finders: no collectstatic in tests
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    from django.core.cache import cache

    cache.clear()
    yield
