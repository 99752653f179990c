"""The vendor directory's name search can use migration 0004's trigram
index on PostgreSQL: its queries (the page and its count) filter on the
very expression the index holds, for the active vendors it covers.

Whether the planner prefers the index depends on the table's size and on
what else it could read; on the benchmark database's 100,000 vendors it does
(docs/performance.md). Here, on a few rows, the directory's other indexes
are dropped inside the test's transaction (rolled back after it) and
sequential scans turned off: the index is then the one way left, and the
plan shows whether the queries can take it."""

import pytest
from django.db import connection
from django.http import QueryDict

from tests.factories import VendorFactory
from vendors.models import Vendor
from vendors.views import VendorFilterForm

pytestmark = [pytest.mark.backend("postgresql"), pytest.mark.django_db]

INDEX = "vendor_active_name_trgm"


def searched_by_index(queryset):
    """Whether the plan of ``queryset`` looks its text up in the index (an
    Index Cond of the LIKE), not merely reads the whole index for its
    condition (``active``) and filters every row."""
    lines = plan(queryset).splitlines()
    found = [n for n, line in enumerate(lines) if f"Bitmap Index Scan on {INDEX}" in line]
    return bool(found) and "Index Cond" in lines[found[0] + 1] and " ~~ " in lines[found[0] + 1]


def plan(queryset):
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexrelid::regclass::text FROM pg_index AS i"
            " WHERE i.indrelid = 'vendors_vendor'::regclass AND NOT i.indisunique"
            " AND i.indexrelid <> %s::regclass",
            [INDEX],
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize("text", ["daeng", "Amp", "bu ani"])
def test_the_directory_search_can_use_the_trigram_index(text):
    VendorFactory(name="Amplang Daeng Bu Ani")
    VendorFactory(name="Toko Serba Ada")
    queryset = VendorFilterForm(QueryDict(f"q={text}")).filter(Vendor.objects.active())
    assert [v.name for v in queryset] == ["Amplang Daeng Bu Ani"]
    assert searched_by_index(queryset)  # the page
    assert searched_by_index(queryset.values("pk").order_by())  # what its count reads
