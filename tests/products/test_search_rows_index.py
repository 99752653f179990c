"""A search's table (products.filters.SEARCH_ROWS, read by
products.search.find_columns()) and its name order (NAME_ORDER) can come
from migration 0013's covering index on PostgreSQL alone: an index-only
scan, no visit to the products table per candidate. Whether the planner
prefers it depends on the table's size (a few hundred test rows fit in a
page or two); on the 1,000,000-product benchmark database it does for the
table (docs/performance.md, with its plan), and for the name order once
the prepared statement's generic plan is taken."""

import re

import pytest
from django.db import connection

from products.filters import NAME_ORDER, SEARCH_ROWS

pytestmark = [pytest.mark.backend("postgresql"), pytest.mark.django_db]

INDEX = "product_vis_rows"
COLUMN = re.compile(r'"products_product"\."(\w+)"')


def index_definition():
    """(the columns the index holds, its condition as SQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ARRAY(SELECT a.attname::text FROM pg_attribute AS a"
            "   WHERE a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)),"
            " pg_get_expr(i.indpred, i.indrelid)"
            " FROM pg_index AS i WHERE i.indexrelid = %s::regclass",
            [INDEX],
        )
        columns, condition = cursor.fetchone()
    return set(columns), condition


@pytest.mark.parametrize(
    ("query", "needed"),
    [
        (SEARCH_ROWS, {"id", "price", "created_at", "district_id", "export_ready"}),
        (NAME_ORDER, {"id", "name"}),
    ],
    ids=["table", "name-order"],
)
def test_the_index_holds_every_column_the_search_table_reads(query, needed):
    text, _names = query.server_sql(ids="$1")
    select, where = text.split(" WHERE ", 1)
    columns, condition = index_definition()
    shown = set(COLUMN.findall(select)) | set(COLUMN.findall(where.split(" ORDER BY ")[0]))
    ordered = set(COLUMN.findall(where.split(" ORDER BY ")[1]))
    assert needed <= shown | ordered
    # What the query shows, filters on (besides the visibility rule, the
    # index's condition) and orders by is in the index.
    rule = {"status", "vendor_active", "category_visible"}
    assert (shown | ordered) - rule <= columns
    # The index's condition is the query's visibility rule.
    assert set(re.findall(r"\b(\w+)\b", condition)) >= rule
    for part in ("category_visible", "vendor_active", "'published'"):
        assert part in condition and part in where
