"""umkm_directory.templating: the template helpers written for speed give
what Django's own give."""

import pytest
from django.template.defaultfilters import truncatechars
from django.template.defaulttags import querystring as django_querystring
from django.test import RequestFactory

from umkm_directory.templating import fast_truncatechars, querystring

QUERIES = [
    "",
    "page=3",
    "q=amplang+pedas&page=2&cert=halal&cert=pirt&sort=price_asc",
    "a=%F0%9F%98%80&b=x%26y&page=",
    "cert=halal&page=5&q=kue",
]
CHANGES = [
    {"page": 4},
    {"page": None},
    {"page": 1, "sort": "name"},
    {"cert": ["sni", "bpom"]},
    {"new": "v a"},
]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("changes", CHANGES)
def test_querystring_writes_what_djangos_tag_writes(query, changes):
    request = RequestFactory().get("/products/?" + query)
    assert querystring(request, **changes) == django_querystring(None, request.GET, **changes)


@pytest.mark.parametrize(
    "value", ["", "amplang", "a" * 200, "a" * 201, "e\u0301" * 150, "kue " * 60, None, 12345]
)
@pytest.mark.parametrize("length", [20, 160, 200])
def test_truncatechars_cuts_as_djangos_filter_does(value, length):
    assert fast_truncatechars(value, length) == truncatechars(value, length)
