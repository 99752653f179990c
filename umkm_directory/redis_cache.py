"""Django's Redis cache backend, keeping its redis-py client objects, and
with a tracked read for the few keys every request asks.

``django.core.cache.backends.redis.RedisCache`` builds a new ``redis.Redis``
client object for every operation (its connection pool is kept). With
redis-py 8 building one costs ~0.1–0.2 ms of CPU, more than the round trip
itself, and a catalogue page makes three to five cache operations. This
backend is the standard one with two changes:

- a client is made once per connection pool and reused. A client holds no
  per-call state (it takes a connection from the pool for each command and
  gives it back), so sharing it between the operations of a process is what
  redis-py intends;
- ``get_tracked(key)``: ``get()`` for a key read on every request and
  rarely written (the catalogue version), answered from this process's
  memory while Redis has not said that the key changed. It reads through a
  connection of its own with server-assisted client-side caching (RESP3
  ``CLIENT TRACKING ON``): Redis remembers the keys that connection read and
  pushes an invalidation to it as soon as any client writes one of them
  (queued while the write runs, sent in the same turn of Redis's event
  loop as the writer's reply, so it may arrive a few microseconds after
  the writer has its answer); each tracked read first
  takes the pushes waiting on the connection (a non-blocking read), so a
  write anywhere is seen by the next request everywhere, without a round
  trip per request. A write through this backend forgets its own process's
  copies of the keys it wrote at once, and a copy older than
  ``TRACKED_MAX_AGE`` seconds is read again whatever the pushes said (a bound for a connection that died
  silently). Any error on that connection closes it, and reads go to
  Redis as a plain ``get()`` would for the next ``TRACKED_MAX_AGE`` seconds
  (a server that refuses ``CLIENT TRACKING`` costs no reconnection a read).

  redis-py's own client-side caching does the same for every read but
  needs Redis 7.4; tracking itself is Redis 6's, and only the few tracked
  keys are kept (never the pages and tables the rest of the cache holds).

settings.CACHES uses it when REDIS_URL is set.
"""

import os
import threading
import time

import redis
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

# Seconds a tracked copy is trusted without asking Redis, pushes or not.
TRACKED_MAX_AGE = 5.0


class NotTracking(Exception):
    """The tracked read is unavailable for now: read as get() does."""


class _Tracker:
    """One RESP3 connection with tracking on, and the values it read (by key,
    with the time of the read). Per process (a forked worker opens its own);
    its calls are serialised by a lock (the development server's threads)."""

    def __init__(self, url, options):
        self.url, self.options = url, options
        self.lock = threading.Lock()
        self.values = {}
        self.connection = None
        self.pid = None
        self.retry_at = 0.0  # after a failure, plain reads until then

    def forget(self, keys=None):
        """Drop the copies of ``keys`` (all when None)."""
        if keys is None:
            self.values = {}
        else:
            for key in keys:
                self.values.pop(key, None)

    def _invalidated(self, _message):
        # ["invalidate", [keys]] or ["invalidate", None] (the database was
        # flushed): few keys are tracked, so every copy goes.
        self.values = {}

    def _connect(self):
        pool = redis.ConnectionPool.from_url(self.url, **{**self.options, "protocol": 3})
        connection = pool.make_connection()
        connection.connect()
        # redis-py sets the push handler on its parser (as its own
        # client-side cache does); the parser is made by connect().
        connection._parser.set_invalidation_push_handler(self._invalidated)
        connection.send_command("CLIENT", "TRACKING", "ON")
        if connection.read_response() not in (b"OK", "OK"):
            raise redis.ConnectionError("CLIENT TRACKING ON refused")
        self.connection = connection

    def _close(self):
        connection, self.connection, self.values = self.connection, None, {}
        self.retry_at = time.monotonic() + TRACKED_MAX_AGE
        if connection is not None:
            connection.disconnect()

    def get(self, key):
        """The raw value of ``key`` (bytes or None)."""
        with self.lock:
            if self.pid != os.getpid():  # forked: the parent's socket is not ours
                self.connection, self.values, self.retry_at = None, {}, 0.0
                self.pid = os.getpid()
            if self.connection is None and time.monotonic() < self.retry_at:
                raise NotTracking  # it failed a moment ago (a server refusing CLIENT, say)
            try:
                if self.connection is None:
                    self._connect()
                connection = self.connection
                while connection.can_read(timeout=0):  # the pushes waiting
                    try:
                        connection.read_response(push_request=True, timeout=0, disconnect_on_error=False)
                    except redis.TimeoutError:
                        break
                found = self.values.get(key)
                now = time.monotonic()
                if found is not None and now - found[1] < TRACKED_MAX_AGE:
                    return found[0]
                connection.send_command("GET", key)
                value = connection.read_response()  # (a push before it goes to _invalidated)
                if value is not None:
                    self.values[key] = (value, now)
                return value
            except (redis.RedisError, OSError):
                self._close()
                raise


class ReusedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, servers, **options):
        super().__init__(servers, **options)
        self._clients = {}
        self._tracker = _Tracker(servers[0], self._pool_options)

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def get_tracked(self, key, default):
        try:
            value = self._tracker.get(key)
        except (NotTracking, redis.RedisError, OSError):
            return self.get(key, default)  # as a plain read would (and fail as it would)
        return default if value is None else self._serializer.loads(value)

    # A write through this process forgets its tracked copies of the keys it
    # wrote as soon as it is done (Redis's push may still be on its way).
    def add(self, key, value, timeout):
        try:
            return super().add(key, value, timeout)
        finally:
            self._tracker.forget([key])

    def set(self, key, value, timeout):
        try:
            return super().set(key, value, timeout)
        finally:
            self._tracker.forget([key])

    def delete(self, key):
        try:
            return super().delete(key)
        finally:
            self._tracker.forget([key])

    def incr(self, key, delta):
        try:
            return super().incr(key, delta)
        finally:
            self._tracker.forget([key])

    def set_many(self, data, timeout):
        try:
            return super().set_many(data, timeout)
        finally:
            self._tracker.forget(data)

    def delete_many(self, keys):
        try:
            return super().delete_many(keys)
        finally:
            self._tracker.forget(keys)

    def clear(self):
        try:
            return super().clear()
        finally:
            self._tracker.forget()


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient

    def get_tracked(self, key, default=None, version=None):
        """``get()`` answered from this process's memory while Redis has not
        pushed a change of ``key`` (see the module docstring): for a key
        every request reads and few write."""
        key = self.make_and_validate_key(key, version=version)
        return self._cache.get_tracked(key, default)
