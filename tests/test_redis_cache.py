"""umkm_directory.redis_cache: Django's Redis backend with its client objects
reused behaves as the standard backend does, and makes no client per call."""

import os
import time

import pytest
import redis
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache

from tests.conftest import REDIS_TEST_URL, SentCommands, redis_available, require_service
from umkm_directory.redis_cache import RedisCache


@pytest.fixture
def caches():
    require_service(redis_available(), f"Redis is not reachable at {REDIS_TEST_URL}")
    prefix = f"umkm-test-redis-cache-{os.getpid()}"
    params = {"KEY_PREFIX": prefix}
    ours, django = RedisCache(REDIS_TEST_URL, params), DjangoRedisCache(REDIS_TEST_URL, params)
    yield ours, django
    # This test's tracking connection closed, so that Redis stops pushing
    # to it when a later test writes the same keys; and only this test's
    # keys deleted: clear() would empty the whole Redis database, which
    # REDIS_TEST_URL may share with other data.
    ours._cache._tracker._close()
    raw = redis.Redis.from_url(REDIS_TEST_URL)
    keys = list(raw.scan_iter(match=f"{prefix}:*"))
    if keys:
        raw.delete(*keys)


def test_it_reads_and_writes_what_the_standard_backend_does(caches):
    ours, django = caches
    ours.set("card", {"html": "<li>Amplang</li>"})
    assert django.get("card") == {"html": "<li>Amplang</li>"}  # same keys, same pickles
    django.set_many({"a": 1, "b": [2]})
    assert ours.get_many(["a", "b", "c"]) == {"a": 1, "b": [2]}
    assert ours.add("a", 5) is False and ours.add("new", 5) is True
    assert ours.incr("a") == 2 and django.get("a") == 2
    ours.delete_many(["a", "b"])
    assert django.get("a") is None and ours.get("b", "gone") == "gone"


def test_one_client_serves_every_operation(caches, monkeypatch):
    ours, _django = caches
    made = []
    original = redis.Redis.__init__

    def counting(self, *args, **kwargs):
        made.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", counting)
    for n in range(20):
        ours.set(f"k{n}", n)
        assert ours.get(f"k{n}") == n
    assert len(made) == 1


def pushed(read, expected, seconds=1.0):
    """``read()`` until it returns ``expected``, for at most ``seconds``:
    Redis answers the writer and pushes the invalidation in the same turn
    of its event loop, but on another connection, which may receive it a
    few microseconds after the writer has its answer. A copy kept without
    the push would stay for TRACKED_MAX_AGE (5 s), so this still fails."""
    deadline = time.monotonic() + seconds
    value = read()
    while value != expected and time.monotonic() < deadline:
        time.sleep(0.001)
        value = read()
    return value


def test_a_tracked_read_is_a_plain_read(caches):
    ours, django = caches
    assert ours.get_tracked("version") is None and ours.get_tracked("version", 0) == 0
    django.set("version", 41)
    assert ours.get_tracked("version") == 41
    django.set("card", {"html": "<li>Amplang</li>"})
    assert ours.get_tracked("card") == {"html": "<li>Amplang</li>"}


def test_a_tracked_read_sees_any_client_s_write_once_pushed(caches):
    """Another instance of the site, or any Redis client, writes: Redis
    pushes the change, and the first tracked read after the push returns
    the new value."""
    ours, other_instance = caches

    def read():
        return ours.get_tracked("version")

    other_instance.set("version", 1)
    assert read() == 1
    other_instance.incr("version")
    assert pushed(read, 2) == 2
    raw = redis.Redis.from_url(REDIS_TEST_URL)
    raw.incr(ours.make_and_validate_key("version"))
    assert pushed(read, 3) == 3
    other_instance.delete("version")
    assert pushed(read, None) is None
    other_instance.set("version", 10)
    assert pushed(read, 10) == 10
    ours.incr("version")  # this process's own write
    assert ours.get_tracked("version") == 11


def test_a_tracked_read_asks_redis_only_after_the_key_changed(caches, monkeypatch):
    ours, other_instance = caches
    other_instance.set("version", 7)
    assert ours.get_tracked("version") == 7
    sent = SentCommands(monkeypatch)
    for _ in range(50):
        assert ours.get_tracked("version") == 7
    assert sent.names == []  # fifty reads, no round trip
    other_instance.incr("version")
    sent.names.clear()
    assert pushed(lambda: ours.get_tracked("version"), 8) == 8
    for _ in range(50):
        assert ours.get_tracked("version") == 8
    assert sent.names == ["GET"]  # read again once, after the push


def tracking_clients(raw):
    database = str(raw.connection_pool.connection_kwargs.get("db", 0))
    return [c for c in raw.client_list() if "t" in c["flags"] and c["db"] == database]


def test_a_lost_tracking_connection_falls_back_to_plain_reads_then_reconnects(caches, monkeypatch):
    ours, other_instance = caches
    other_instance.set("version", 1)
    assert ours.get_tracked("version") == 1
    raw = redis.Redis.from_url(REDIS_TEST_URL)
    assert tracking_clients(raw)
    for client in tracking_clients(raw):  # Redis restarted, a proxy dropped it...
        raw.client_kill_filter(_id=client["id"])
    other_instance.set("version", 2)  # the push for it is lost with the connection
    assert ours.get_tracked("version") == 2  # the loss noticed: a plain read
    other_instance.set("version", 3)
    assert ours.get_tracked("version") == 3  # plain reads for a while
    assert not tracking_clients(raw)

    ours._cache._tracker.retry_at = 0.0  # the while has passed
    assert ours.get_tracked("version") == 3
    assert tracking_clients(raw)  # tracked again, on a new connection
    sent = SentCommands(monkeypatch)
    assert ours.get_tracked("version") == 3 and sent.names == []


def test_a_server_refusing_tracking_gets_plain_reads_without_a_reconnection_each(caches, monkeypatch):
    from umkm_directory import redis_cache

    ours, other_instance = caches
    attempts = []

    def refused(tracker):
        attempts.append(1)
        raise redis.ResponseError("unknown command 'CLIENT'")  # a host that disables CLIENT

    monkeypatch.setattr(redis_cache._Tracker, "_connect", refused)
    other_instance.set("version", 5)
    for value in (5, 6, 7):
        assert ours.get_tracked("version") == value
        other_instance.incr("version")
    assert attempts == [1]


def test_a_copy_is_read_again_past_its_age_even_when_no_push_comes(caches, monkeypatch):
    """The bound for a connection that died silently: pushes ignored here."""
    from umkm_directory import redis_cache

    ours, other_instance = caches
    monkeypatch.setattr(redis_cache._Tracker, "_invalidated", lambda tracker, message: None)
    other_instance.set("version", 1)
    assert ours.get_tracked("version") == 1
    other_instance.set("version", 2)
    assert ours.get_tracked("version") == 1  # no push taken: the copy is kept...
    monkeypatch.setattr(redis_cache, "TRACKED_MAX_AGE", 0.0)
    assert ours.get_tracked("version") == 2  # ...until it is older than the bound
