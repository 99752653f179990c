"""Shared fixtures. Services a test needs (Redis, Chromium) are skipped with a
reason when absent, except under UMKM_STRICT_SERVICES=1 (set by .ci/run),
where a missing service fails the test instead."""

import os
import socket
from urllib.parse import urlsplit

import pytest
import redis
from django.core.cache import cache as django_cache
from django.db import connection

# The Redis database tests may use (.ci/run sets one of its own).
REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")


def require_service(available, reason):
    """Skip (locally) or fail (in CI) a test whose service is missing."""
    if available:
        return
    if os.environ.get("UMKM_STRICT_SERVICES") == "1":
        pytest.fail(f"required service missing in CI: {reason}")
    pytest.skip(reason)


def redis_available(url=REDIS_TEST_URL):
    """Whether a Redis server answers at ``url``."""
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port or 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


class SentCommands:
    """The commands this process sends to Redis, by name (every connection:
    the cache's pool and the tracked reads' own)."""

    def __init__(self, monkeypatch):
        self.names = []
        original = redis.connection.AbstractConnection.send_command

        def counting(connection, *args, **kwargs):
            self.names.append(str(args[0]).upper())
            return original(connection, *args, **kwargs)

        monkeypatch.setattr(redis.connection.AbstractConnection, "send_command", counting)


@pytest.fixture(params=["locmem", "redis"])
def any_cache(request, settings):
    """Each test using it runs on Django's local-memory cache and on Redis."""
    from products import cache

    if request.param == "redis":
        require_service(redis_available(), f"Redis is not reachable at {REDIS_TEST_URL}")
        settings.CACHES = {
            "default": {
                "BACKEND": "umkm_directory.redis_cache.RedisCache",
                "LOCATION": REDIS_TEST_URL,
                "KEY_PREFIX": f"umkm-test-{os.getpid()}-{request.node.name}",
            }
        }
    django_cache.delete(cache.VERSION_KEY)
    yield request.param
    django_cache.delete(cache.VERSION_KEY)  # the rest expires on its own


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


def _restore_seeded_rows():
    """Put back the rows the data migrations seed (districts, role groups)."""
    from importlib import import_module

    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    from vendors.models import District
    from vendors.roles import CURATOR_GROUP, CURATOR_PERMISSIONS, VENDOR_GROUP, VENDOR_PERMISSIONS

    if not District.objects.exists():
        import_module("vendors.migrations.0002_seed_districts").seed(apps, None)
    for name, codes in ((VENDOR_GROUP, VENDOR_PERMISSIONS), (CURATOR_GROUP, CURATOR_PERMISSIONS)):
        group, created = Group.objects.get_or_create(name=name)
        if created:
            # A flush may have emptied the permission table too.
            for app_config in apps.get_app_configs():
                create_permissions(app_config, verbosity=0)
            pairs = (code.split(".") for code in codes)
            group.permissions.set(
                [
                    Permission.objects.get(content_type__app_label=app, codename=codename)
                    for app, codename in pairs
                ]
            )


@pytest.fixture(autouse=True)
def _seeded_rows(request):
    """A transactional test (live server, subprocesses) ends with a flush that
    also empties the tables the data migrations filled; later tests expect
    those rows, so they are put back before each database test."""
    marker = request.node.get_closest_marker("django_db")
    wanted = {"db", "transactional_db", "live_server"} & set(request.fixturenames)
    if marker is None and not wanted:
        return
    for name in sorted(wanted):
        request.getfixturevalue(name)
    _restore_seeded_rows()


@pytest.fixture(scope="session", autouse=True)
def _static_root(tmp_path_factory):
    """An empty folder of collected static files for the whole run: the live
    server's WhiteNoise is set up before any test's settings apply, and warns
    when the folder is missing (tests serve static files from the finders)."""
    from django.conf import settings as django_settings

    previous = django_settings.STATIC_ROOT
    django_settings.STATIC_ROOT = tmp_path_factory.mktemp("static")
    yield
    django_settings.STATIC_ROOT = previous


@pytest.fixture(autouse=True)
def _isolated_settings(settings, tmp_path):
    """Uploads go to a temporary folder; static files need no collectstatic;
    passwords hash fast; each test starts with an empty cache and its own stamp."""
    settings.MEDIA_ROOT = tmp_path / "media"
    # Real hashers cost ~0.5 s a login on this machine; tests check behaviour, not hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # A stamp of its own (products.cache): another test run on this machine
    # using an in-memory database of the same name must not move our version.
    settings.CATALOGUE_STAMP_FILE = str(tmp_path / "catalogue.stamp")
    settings.WHITENOISE_AUTOREFRESH = True  # serve from the finders: no collectstatic in tests
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    from django.core.cache import cache

    from products import cache as catalogue_cache
    from umkm_directory import http

    cache.clear()
    http._SEEN.clear()  # the page cache's marks of addresses asked once, kept per process
    catalogue_cache._LOCAL.clear()  # the values this process read, kept per process
    yield


@pytest.fixture
def vendor_client(client, own_vendor):
    """The test client logged in as a vendor account of ``own_vendor`` (a
    fixture each admin test module defines for its own catalogue)."""
    from tests.factories import vendor_user

    client.force_login(vendor_user(own_vendor))
    return client


@pytest.fixture
def break_bump(monkeypatch):
    """A function making products.cache.bump() raise from then on, as a
    cache that is down would: for checking that a write failing after its
    UPDATE leaves nothing behind."""
    from products import cache

    def broken(counts=True):
        raise RuntimeError("cache down")

    return lambda: monkeypatch.setattr(cache, "bump", broken)


@pytest.fixture
def curator_client(client):
    """The test client logged in as a curator."""
    from tests.factories import curator_user

    client.force_login(curator_user())
    return client
