"""Django's PostgreSQL backend with a connection health check that costs no
round trip.

With CONN_HEALTH_CHECKS on, Django checks a kept connection before the first
query of every request with ``is_usable()``: a ``SELECT 1`` sent to the
server and waited for. That is one more round trip than a product page's
own SQL (~5 % of the page on PostgreSQL, docs/performance.md), paid on every
request for the rare one after the database restarted.

An idle connection (autocommit, no transaction open, nothing sent) has
nothing to read: the server only writes to it in answer to a query, or when
it ends the session (a restart or shutdown sends an error and closes the
socket; a cut connection reads as end of file). So the check here asks the
operating system, with a poll of the socket that does not wait, whether
anything arrived:

- nothing: the connection is as the server left it, usable;
- something (the server's goodbye, an end of file), or a connection not
  idle, or psycopg already knowing it broken: the real check, Django's
  ``SELECT 1``, decides (and a connection failing it is replaced).

A connection silently lost without a word from the server (a network cut
without a reset) passes the poll and fails at its first query, as it could
fail just after a ``SELECT 1``: the request gets the friendly 503 page
(umkm_directory.middleware) and the next one a new connection.
tests/test_health.py plays a database outage and its return through
gunicorn; tests/test_postgresql_backend.py checks the poll itself.

settings.DATABASES uses this backend whenever DATABASE_URL names PostgreSQL.
"""

import select

from django.db.backends.postgresql import base
from psycopg import pq

__all__ = ["DatabaseWrapper"]


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        connection = self.connection
        if connection is None or connection.closed:
            return False
        if connection.info.transaction_status == pq.TransactionStatus.IDLE and not _readable(connection):
            return True
        return super().is_usable()


def _readable(connection):
    """Whether the connection's socket holds anything to read (or cannot be polled)."""
    try:
        poller = select.poll()
        poller.register(connection.fileno(), select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError, AttributeError):  # no socket: let the real check say
        return True
