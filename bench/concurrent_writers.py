"""Many readers and several admin-style writers on one SQLite file, at once.

    .venv/bin/python bench/concurrent_writers.py [--readers 16] [--writers 4]
        [--seconds 20] [--rate 4] [--database-url URL] [--json]

Each reader is a process (like a gunicorn worker) listing the visible
catalogue, counting and opening products, as fast as it can. Each writer is a
process that, a few times a second, saves as the admin does: in one
transaction it adds a product to its own vendor and changes the price of
another of its products. A write counts as acknowledged once its transaction
has committed. At the end every acknowledged write is looked up: a product
that is missing, or a price that is not the last one saved, is a lost write.

Prints reads, writes, errors and lost writes; exits 1 unless errors and lost
writes are both zero. Uses the project's settings (WAL, IMMEDIATE
transactions, busy timeout) on a new temporary SQLite file unless
--database-url names another database.
"""

import argparse
import json
import multiprocessing
import os
import queue
import random
import sys
import tempfile
import time

from _setup import django_setup

OWNED_PRODUCTS = 3  # products each writer keeps updating


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readers", type=int, default=16)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rate", type=float, default=4, help="writes per second per writer")
    parser.add_argument("--database-url", help="default: a new temporary SQLite file")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    return parser.parse_args(argv)


def setup_django(database_url):
    os.environ["DATABASE_URL"] = database_url
    django_setup(quiet=False)


def prepare(writers):
    """Migrate, then give each writer a vendor with its own products."""
    from django.core.management import call_command

    from products.models import Category, Product, Status
    from vendors.models import District, Vendor

    call_command("migrate", verbosity=0)
    category = Category.objects.create(name="Bench", slug="bench")
    district = District.objects.first()
    owned = []
    for w in range(writers):
        vendor = Vendor.objects.create(
            name=f"Bench {w}", slug=f"bench-{w}", district=district, whatsapp=f"0812{w:08d}", active=True
        )
        owned.append(
            [
                Product.objects.create(
                    vendor=vendor,
                    category=category,
                    name=f"Bench {w}-{p}",
                    slug=f"bench-{w}-{p}",
                    price=0,
                    status=Status.PUBLISHED,
                ).pk
                for p in range(OWNED_PRODUCTS)
            ]
        )
    return category.pk, owned


def reader(deadline, results):
    from products.cards import cards
    from products.models import Product
    from vendors.models import Vendor

    reads, errors = 0, []
    while time.monotonic() < deadline:
        try:
            page = list(Product.objects.visible().values_list("pk", flat=True)[:24])
            cards(page)
            Product.objects.visible().count()
            Vendor.objects.active().count()
            if page:
                Product.objects.visible().select_related("vendor").get(pk=random.choice(page))
            reads += 1
        except Exception as error:  # counted and reported, never fatal
            errors.append(repr(error))
    results.put({"role": "reader", "reads": reads, "errors": errors})


def writer(number, category_pk, owned, deadline, rate, results):
    from django.db import transaction

    from products.models import Product, Status

    vendor_pk = Product.objects.get(pk=owned[0]).vendor_id
    created, last_price, errors, waits = [], {}, [], []
    n = 0
    while time.monotonic() < deadline:
        n += 1
        started = time.monotonic()
        slug = f"w{number}-{n}"
        target = owned[n % len(owned)]
        try:
            with transaction.atomic():
                Product.objects.create(
                    vendor_id=vendor_pk,
                    category_id=category_pk,
                    name=f"Tulisan {number}-{n}",
                    slug=slug,
                    price=n,
                    status=Status.PUBLISHED,
                )
                product = Product.objects.get(pk=target)
                product.price = n
                product.save()
        except Exception as error:
            errors.append(repr(error))
        else:  # committed: acknowledged to the "user"
            created.append(slug)
            last_price[target] = n
        elapsed = time.monotonic() - started
        waits.append(elapsed)
        time.sleep(max(0.0, 1 / rate - elapsed) * random.uniform(0.5, 1.5))
    results.put(
        {"role": "writer", "created": created, "last_price": last_price, "errors": errors, "waits": waits}
    )


def verify(outcomes):
    """Acknowledged writes that are not in the database."""
    from products.models import Product

    lost = []
    for outcome in outcomes:
        if outcome["role"] != "writer":
            continue
        found = set(Product.objects.filter(slug__in=outcome["created"]).values_list("slug", flat=True))
        lost += [f"product {slug} missing" for slug in outcome["created"] if slug not in found]
        prices = dict(Product.objects.filter(pk__in=outcome["last_price"]).values_list("pk", "price"))
        lost += [
            f"product {pk} has price {prices.get(pk)}, last saved {price}"
            for pk, price in outcome["last_price"].items()
            if prices.get(pk) != price
        ]
    return lost


def run(args):
    workdir = None
    database_url = args.database_url
    if not database_url:
        workdir = tempfile.TemporaryDirectory(prefix="umkm-writers-")
        database_url = f"sqlite:///{workdir.name}/bench.sqlite3"
    setup_django(database_url)
    from django.db import connections

    category_pk, owned = prepare(args.writers)
    connections.close_all()  # each process opens its own connection

    context = multiprocessing.get_context("fork")
    results = context.Queue()
    deadline = time.monotonic() + args.seconds
    processes = [context.Process(target=reader, args=(deadline, results)) for _ in range(args.readers)]
    processes += [
        context.Process(target=writer, args=(w, category_pk, owned[w], deadline, args.rate, results))
        for w in range(args.writers)
    ]
    for process in processes:
        process.start()
    outcomes = []
    for _ in processes:
        try:
            outcomes.append(results.get(timeout=args.seconds + 120))
        except queue.Empty:
            break  # a process died without reporting: counted below
    for process in processes:
        process.join()

    lost = verify(outcomes)
    errors = [error for outcome in outcomes for error in outcome["errors"]]
    crashed = max(len(processes) - len(outcomes), sum(process.exitcode != 0 for process in processes))
    waits = sorted(wait for outcome in outcomes for wait in outcome.get("waits", []))
    reads = sum(outcome.get("reads", 0) for outcome in outcomes)
    writes = sum(len(outcome.get("created", [])) for outcome in outcomes)
    result = {
        "database": connections["default"].vendor,
        "readers": args.readers,
        "writers": args.writers,
        "seconds": args.seconds,
        "reads": reads,
        "reads_per_second": round(reads / args.seconds, 1),
        "writes": writes,
        "writes_per_second": round(writes / args.seconds, 1),
        "write_p50_ms": round(1000 * waits[len(waits) // 2], 1) if waits else None,
        "write_max_ms": round(1000 * waits[-1], 1) if waits else None,
        "errors": len(errors) + crashed,
        "lost_writes": len(lost),
        "first_problems": (errors + lost)[:5],
    }
    connections.close_all()
    if workdir:
        workdir.cleanup()
    return result


def main(argv=None):
    args = parse_args(argv)
    result = run(args)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>18}: {value}")
    return 0 if result["errors"] == 0 and result["lost_writes"] == 0 and result["writes"] > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
