#!/usr/bin/env python
"""Time the first, middle and last pages of the longest lists through
gunicorn (the production config, as bench/run.py serves the site), on a
database bench/run.py seeded:

    .venv/bin/python bench/deep_pages.py --products 1000000 --redis redis://127.0.0.1:6379/13

For each page: its first request once the server is warm (the first
middle page of a list then also finds the list's marks, once per catalogue
version), then the median of ``--repeat`` requests, each with a parameter
of its own (``r=``) so that no page cache answers it. The page numbers come from the lists'
counts: page 1, the middle one, one a thousand pages before the end, the
last.
"""

import argparse
import math
import os
import statistics
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

from _setup import django_setup
from run import manage, pg_url, server_env, start_server, stop_server

PER_PAGE = 24


def timed(url):
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (loopback)
        response.read()
        status = response.status
    if status != 200:
        sys.exit(f"{url}: {status}")
    return (time.perf_counter() - started) * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument("--pg-name", default="umkm_bench")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--redis", default="")
    parser.add_argument("--workdir", default="/tmp/umkm-bench")
    parser.add_argument("--port", type=int, default=8778)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    workdir = Path(args.workdir) / f"{args.db}-{args.products}"
    database_url = f"sqlite:///{workdir / 'bench.sqlite3'}" if args.db == "sqlite" else pg_url(args)
    env = server_env(SimpleNamespace(**vars(args), workers=2), database_url, workdir)
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    os.environ.update(env)
    django_setup()
    from products.models import Product
    from vendors.models import Vendor

    products = Product.objects.visible().count()
    lists = {
        "/products/?sort=newest": products,
        "/products/?sort=price_asc": products,
        "/vendors/?": Vendor.objects.active().count(),
    }
    proc = start_server(env, args)
    try:
        # Both workers past their first requests (imports, the catalogue's
        # aggregates, statements prepared) before anything is timed.
        for n in range(20):
            timed(f"http://127.0.0.1:{args.port}/products/?page=2&r=warm{n}")
            timed(f"http://127.0.0.1:{args.port}/vendors/?page=2&r=warm{n}")
        print(f"{'page':<42}{'first ms':>10}{'median ms':>11}{'min':>8}{'max':>8}")
        for path, count in lists.items():
            last = math.ceil(count / PER_PAGE)
            for page in dict.fromkeys([1, last // 2, max(1, last - 1000), last]):
                url = f"http://127.0.0.1:{args.port}{path}&page={page}"
                first = timed(url + "&r=first")
                times = [timed(f"{url}&r={n}") for n in range(args.repeat)]
                label = f"{path}&page={page}" + (" (last)" if page == last else "")
                print(
                    f"{label:<42}{first:>10.1f}{statistics.median(times):>11.1f}"
                    f"{min(times):>8.1f}{max(times):>8.1f}",
                    flush=True,
                )
    finally:
        stop_server(proc)


if __name__ == "__main__":
    main()
