#!/usr/bin/env python
"""Time catalogue pages the load benchmark's rows do not ask, through
gunicorn (the production config, as bench/run.py serves the site), on a
database bench/run.py seeded: price ranges (alone, with a category, a
district or a certification, in several sort orders), a vendor's products,
and the vendor directory searched by name.

    .venv/bin/python bench/filter_pages.py --products 1000000 --redis redis://127.0.0.1:6379/13

Every request is cold: each asks a price range, vendor or name text no
request before it asked, so neither the page cache nor the counts cached
for a set of filters answer it (what the cube and the other aggregates
cached per catalogue version give is warm, as on a running site). Prints,
for each kind of page, the median, 90th percentile and maximum in ms of
``--count`` requests.
"""

import argparse
import random
import statistics

from _served import add_arguments, served, set_up, timed


def kinds(rng, categories, districts, vendors, words):
    """{label: a function giving the next path of that kind}: price bounds
    in whole thousands of rupiah, as shoppers type them, never twice the
    same (the counter ``n`` makes every bound new)."""
    n = iter(range(1, 10**9))

    def low():
        return 1000 * rng.randint(5, 60) + next(n)

    def high():
        return 1000 * rng.randint(40, 400) + next(n)

    return {
        "price_min": lambda: f"/products/?price_min={low()}",
        "price_max, sort=price_asc": lambda: f"/products/?price_max={high()}&sort=price_asc",
        "price range, category": lambda: (
            f"/categories/{rng.choice(categories)}/?price_min={low()}&price_max={high()}"
        ),
        "price_max, district, cert": lambda: (
            f"/products/?district={rng.choice(districts)}&cert=halal&price_max={high()}&sort=name"
        ),
        "price range, page 50": lambda: f"/products/?price_min={low()}&price_max={high()}&page=50",
        "vendor's products": lambda: f"/products/?vendor={rng.choice(vendors)}&r={next(n)}",
        "vendors ?q= (a word)": lambda: f"/vendors/?q={rng.choice(words)}&r={next(n)}",
        "vendors ?q= (3 letters)": lambda: f"/vendors/?q={rng.choice(words)[:3]}&r={next(n)}",
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser, port=8779)
    parser.add_argument("--count", type=int, default=25, help="requests of each kind")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    env = set_up(args)
    from products.models import Category
    from vendors.models import District, Vendor

    rng = random.Random(args.seed)
    categories = list(Category.objects.visible().filter(parent=None).values_list("slug", flat=True))
    districts = list(District.objects.values_list("slug", flat=True))
    vendors = list(Vendor.objects.active().order_by("?").values_list("slug", flat=True)[:2000])
    words = sorted({w for name in Vendor.objects.values_list("name", flat=True)[:5000] for w in name.split()})
    words = [w for w in words if len(w) >= 4 and w.isalpha()]
    paths = kinds(rng, categories, districts, vendors, words)
    with served(env, args) as base:
        print(f"{'page':<30}{'median ms':>10}{'p90':>8}{'max':>8}   e.g.")
        for label, make in paths.items():
            urls = [make() for _ in range(args.count)]
            times = sorted(timed(base + url) for url in urls)
            p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
            figures = f"{statistics.median(times):>10.1f}{p90:>8.1f}{times[-1]:>8.1f}"
            print(f"{label:<30}{figures}   {urls[0]}", flush=True)


if __name__ == "__main__":
    main()
