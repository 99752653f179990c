"""umkm_directory.redis_cache: Django's Redis backend with its client objects
reused behaves as the standard backend does, and makes no client per call."""

import os

import pytest
import redis
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache

from tests.conftest import REDIS_TEST_URL, redis_available, require_service
from umkm_directory.redis_cache import RedisCache


@pytest.fixture
def caches():
    require_service(redis_available(), f"Redis is not reachable at {REDIS_TEST_URL}")
    params = {"KEY_PREFIX": f"umkm-test-redis-cache-{os.getpid()}"}
    ours, django = RedisCache(REDIS_TEST_URL, params), DjangoRedisCache(REDIS_TEST_URL, params)
    yield ours, django
    ours.clear()


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
