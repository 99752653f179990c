"""Every catalogue list — each filter, each sort order — has an index that
gives its rows in order (migrations 0008 and 0010, docs/performance.md), so
a page never sorts the matching products and a deep page walks index
entries only. Checked on the database's own query plan: sorting is made
prohibitively expensive for the planner (PostgreSQL) or looked for in the
plan (SQLite), and a list must come out of an index without a sort step;
a filter on a rare flag (SNI, BPOM, export-ready) walks that flag's own
index."""

import pytest
from django.db import connection
from django.http import QueryDict

from products.filters import SORT_ORDER, ProductFilter
from products.models import Availability
from tests.factories import CategoryFactory, ProductFactory, VendorFactory, district

pytestmark = pytest.mark.django_db

FILTERS = {
    "none": "",
    "top-level category": "category=makanan",
    "subcategory": "category=amplang",
    "district": "district=balikpapan-kota",
    "top-level category and district": "category=makanan&district=balikpapan-kota",
    "common flags": "cert=halal&in_stock=1",
    "SNI": "cert=sni",
    "BPOM and in stock": "cert=bpom&in_stock=1",
    "export-ready": "export_ready=1",
    "subcategory and BPOM": "category=amplang&cert=bpom",
}
# The flag whose own index a list must walk.
RARE = {"SNI": "sni", "BPOM and in stock": "bpom", "export-ready": "export"}
SORTS = [sort for sort in SORT_ORDER if sort != "relevance"]


@pytest.fixture
def catalogue():
    food = CategoryFactory(name="Makanan", slug="makanan")
    snacks = CategoryFactory(name="Amplang", slug="amplang", parent=food)
    craft = CategoryFactory(name="Kerajinan", slug="kerajinan")
    vendors = [VendorFactory(district=district()), VendorFactory(district=district("balikpapan-barat"))]
    for i in range(300):
        ProductFactory(
            vendor=vendors[i % 2],
            # The food tree a tenth of the catalogue, as a category is in a city's.
            category=snacks if i % 20 == 0 else food if i % 20 == 1 else craft,
            price=1000 + i * 10,
            halal=i % 2 == 0,
            pirt=i % 3 == 0,
            bpom=i % 12 == 0,
            sni=i % 30 == 0,
            export_ready=i % 8 == 0,
            availability=Availability.READY if i % 4 else Availability.PREORDER,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def plan(query, sort, backwards=False):
    """The plan of page 3 of the list ``query`` in ``sort`` order, as text;
    ``backwards``: of page 3 from the end, read in the reverse order (as
    ProductFilter.page_ids() reads the pages nearer the end)."""
    queryset = ProductFilter(QueryDict(f"{query}&sort={sort}")).qs
    queryset = (queryset.reverse() if backwards else queryset).values_list("pk", flat=True)[48:72]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Every plan that sorts costs more than any that does not.
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("SET LOCAL enable_incremental_sort = off")
            cursor.execute("SET LOCAL enable_seqscan = off")
    return queryset.explain()


def problems(name, sort, backwards=False):
    """What is wrong with the plan of one list (nothing: an empty list)."""
    shown = plan(FILTERS[name], sort, backwards)
    found = []
    if connection.vendor == "postgresql":
        if "Sort" in shown or "Index Only Scan" not in shown:
            found.append("not an index-only walk in order")
    elif "TEMP B-TREE" in shown or "INDEX product_vis_" not in shown:
        found.append("not a walk of a catalogue index in order")
    if name in RARE and f"product_vis_{RARE[name]}_" not in shown:
        found.append(f"not the index of {RARE[name]}")
    way = " from the end" if backwards else ""
    return [f"{name}, {sort}{way}: {problem}\n{shown}" for problem in found]


@pytest.mark.parametrize("backwards", [False, True], ids=["from the start", "from the end"])
def test_every_list_comes_in_order_from_an_index(catalogue, backwards):
    found = [problem for name in FILTERS for sort in SORTS for problem in problems(name, sort, backwards)]
    assert not found, "\n\n".join(found)
