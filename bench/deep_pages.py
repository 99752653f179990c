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
import statistics

from _served import add_arguments, served, set_up, timed

PER_PAGE = 24


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser, port=8778)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    env = set_up(args)
    from products.models import Product
    from vendors.models import Vendor

    products = Product.objects.visible().count()
    lists = {
        "/products/?sort=newest": products,
        "/products/?sort=price_asc": products,
        "/vendors/?": Vendor.objects.active().count(),
    }
    with served(env, args) as base:
        print(f"{'page':<42}{'first ms':>10}{'median ms':>11}{'min':>8}{'max':>8}")
        for path, count in lists.items():
            last = math.ceil(count / PER_PAGE)
            for page in dict.fromkeys([1, last // 2, max(1, last - 1000), last]):
                url = f"{base}{path}&page={page}"
                first = timed(url + "&r=first")
                times = [timed(f"{url}&r={n}") for n in range(args.repeat)]
                label = f"{path}&page={page}" + (" (last)" if page == last else "")
                print(
                    f"{label:<42}{first:>10.1f}{statistics.median(times):>11.1f}"
                    f"{min(times):>8.1f}{max(times):>8.1f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
