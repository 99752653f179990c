"""umkm_directory.postgresql: the connection health check without a round trip."""

import time

import pytest
from django.db import connection
from django.db.backends.postgresql.base import DatabaseWrapper as DjangoDatabaseWrapper

pytestmark = [pytest.mark.backend("postgresql"), pytest.mark.django_db(transaction=True)]


def terminate(pid):
    """End a session from another connection, as a database restart does."""
    from django.db import connections

    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()


def test_the_sites_postgresql_connections_use_it():
    assert connection.settings_dict["ENGINE"] == "umkm_directory.postgresql"
    assert connection.vendor == "postgresql"


def test_an_idle_connection_is_usable_without_asking_the_server(monkeypatch):
    connection.ensure_connection()
    asked = []
    monkeypatch.setattr(DjangoDatabaseWrapper, "is_usable", lambda self: asked.append(1) or True)

    assert connection.is_usable() is True
    assert asked == []  # no SELECT 1


def test_a_connection_the_server_ended_is_not_usable_and_is_replaced():
    connection.ensure_connection()
    terminate(connection.connection.info.backend_pid)
    deadline = time.monotonic() + 5
    while connection.is_usable() and time.monotonic() < deadline:  # the goodbye is on its way
        time.sleep(0.05)

    assert connection.is_usable() is False
    # What Django does before a request's first query with CONN_HEALTH_CHECKS:
    connection.health_check_enabled, connection.health_check_done = True, False
    connection.close_if_health_check_failed()
    with connection.cursor() as cursor:  # a new connection, no error
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
