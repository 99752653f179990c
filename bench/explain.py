#!/usr/bin/env python
"""The SQL behind public pages, with PostgreSQL's EXPLAIN ANALYZE for each query
(on SQLite: EXPLAIN QUERY PLAN and the query timed once more, warm).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/umkm_bench \\
        .venv/bin/python bench/explain.py [--cached] [URL ...]

Each URL is requested once through Django's test client with an empty cache
(so the aggregate queries run too, unless --cached), every SQL statement is
captured, and each is explained with its timing. Without URLs, a standard set
is used (search with two filters, category pages 1 and 200, each sort order,
district and certification filters, a product and a vendor page), with a real
product, vendor and category picked from the database. Used for the plans in
docs/performance.md.
"""

import argparse
import os
import re
import time

from _setup import django_setup


def standard_urls():
    from django.db.models import Count

    from products.models import Category, Product
    from vendors.models import Vendor

    visible = Product.objects.visible()
    product = visible.order_by("-id").values_list("slug", flat=True).first()
    vendor = (
        Vendor.objects.active()
        .filter(products__isnull=False)
        .order_by("-id")
        .values_list("slug", flat=True)
        .first()
    )
    biggest = (
        Category.objects.visible()
        .filter(parent__isnull=False)
        .annotate(n=Count("products"))
        .order_by("-n")
        .values_list("slug", flat=True)
        .first()
    )
    top = Category.objects.visible().filter(parent__isnull=True).values_list("slug", flat=True).first()
    # A word of a halal product of a vendor in Balikpapan Barat, so the search has results.
    word = (
        visible.filter(halal=True, vendor__district__slug="balikpapan-barat")
        .order_by("-id")
        .values_list("name", flat=True)
        .first()
        .split()[0]
        .lower()
    )
    return [
        ("search + 2 filters", f"/products/?q={word}&district=balikpapan-barat&cert=halal"),
        ("category newest p1", f"/categories/{biggest}/"),
        ("category newest p200", f"/categories/{biggest}/?page=200"),
        ("top category name p3", f"/categories/{top}/?sort=name&page=3"),
        ("price_asc p200", "/products/?sort=price_asc&page=200"),
        ("price_desc", "/products/?sort=price_desc"),
        ("name p200", "/products/?sort=name&page=200"),
        ("district filter", "/products/?district=balikpapan-utara&page=2"),
        ("district price_asc p200", "/products/?district=balikpapan-utara&sort=price_asc&page=200"),
        ("top category + district p200", f"/categories/{top}/?district=balikpapan-utara&sort=name&page=200"),
        ("cert filter", "/products/?cert=bpom&in_stock=1"),
        ("cert filter p200", "/products/?cert=bpom&in_stock=1&page=200"),
        ("rare flags by price p100", "/products/?cert=sni&export_ready=1&sort=price_asc&page=100"),
        ("product detail", f"/products/{product}/"),
        ("vendor detail", f"/vendors/{vendor}/"),
    ]


class _Listed:
    status_code = "list"


def list_queries(url):
    """The SQL of a catalogue or category page as the list view runs it (the
    filters, the counts, the ids of the page of 24, their cards), without the
    template."""
    from urllib.parse import urlsplit

    from django.http import QueryDict
    from django.urls import resolve

    from products.cards import cards
    from products.filters import ProductFilter
    from products.models import Category
    from products.views import FilterPaginator

    parts = urlsplit(url)
    match = resolve(parts.path)
    category = None
    if "slug" in match.kwargs:
        category = Category.objects.visible().select_related("parent").get(slug=match.kwargs["slug"])
    data = QueryDict(parts.query)
    filterset = ProductFilter(data, category=category)
    paginator = FilterPaginator(filterset, 24, count=filterset.count())
    filterset.facets()
    page = paginator.page(min(int(data.get("page", 1)), paginator.num_pages))
    cards(page.object_list)
    return _Listed()


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("urls", nargs="*")
    parser.add_argument(
        "--cached", action="store_true", help="explain the queries of a request whose aggregates are cached"
    )
    parser.add_argument("--set", action="append", default=[], help="a session setting, e.g. jit=off")
    parser.add_argument("--no-analyze", action="store_true", help="plans only, without running the queries")
    parser.add_argument(
        "--list-only",
        action="store_true",
        help="catalogue and category URLs only: run the list view's queries (counts, the page of "
        "ids, its rows) without rendering the page",
    )
    args = parser.parse_args()
    os.environ.setdefault("ALLOWED_HOSTS", "localhost")
    django_setup()

    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    import umkm_directory.http

    umkm_directory.http.PAGE_CACHE_SECONDS = 0  # measure the view, not the page cache
    client = Client(HTTP_HOST="localhost")
    urls = [(url, url) for url in args.urls] or standard_urls()
    explain = "EXPLAIN (COSTS OFF)" if args.no_analyze else "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING ON)"
    for setting in args.set:
        name, value = setting.split("=", 1)
        with connection.cursor() as cursor:
            cursor.execute(f"SET {name} = %s", [value])
    get = list_queries if args.list_only else client.get
    for label, url in urls:
        cache.clear()
        if args.cached:
            get(url)
        statements = []

        def record(execute, sql, params, many, context, statements=statements):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                statements.append((sql, params, time.perf_counter() - started))

        with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(record):
            started = time.perf_counter()
            response = get(url)
            elapsed = (time.perf_counter() - started) * 1000
        summary = f"status {response.status_code}, {len(captured)} queries, {elapsed:.0f} ms in all"
        print(f"\n## {label}: {url}\n{summary}")
        for number, (query, (raw, params, seconds)) in enumerate(
            zip(captured.captured_queries, statements, strict=True), 1
        ):
            sql = query["sql"]
            shown = sql[:600] + (" …" if len(sql) > 600 else "")
            print(f"\n### query {number} ({seconds * 1000:.1f} ms)\n{shown}")
            verb = sql.lstrip().split(None, 1)[0].upper()
            if verb not in ("SELECT", "EXECUTE"):
                continue
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    # Statements prepared on this connection
                    # (umkm_directory.prepared), one or several sent in one
                    # round trip (fetch_together()): each with its text.
                    # (Split at "; EXECUTE": their arguments are ids, slugs
                    # and numbers, never text holding that.)
                    parts = re.split(r";\s*(?=EXECUTE\s)", sql) if verb == "EXECUTE" else [sql]
                    for part in parts:
                        if verb == "EXECUTE":
                            name = part.split()[1]
                            cursor.execute(
                                "SELECT statement FROM pg_prepared_statements WHERE name = %s", [name]
                            )
                            text = " ".join(cursor.fetchone()[0].split())
                            print(f"  = {text[:600]}" + (" …" if len(text) > 600 else ""))
                        cursor.execute(f"{explain} {part}")
                        print("\n".join("    " + row[0] for row in cursor.fetchall()))
                    continue
                # SQLite: the query plan, then the same statement (same bound
                # parameters) run again, warm, and timed.
                cursor.execute(f"EXPLAIN QUERY PLAN {raw}", params)
                print("\n".join(f"    {row[1]:>3} {row[3]}" for row in cursor.fetchall()))
                if not args.no_analyze:
                    started = time.perf_counter()
                    cursor.execute(raw, params)
                    cursor.fetchall()
                    print(f"    (run again: {(time.perf_counter() - started) * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
