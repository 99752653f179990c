#!/usr/bin/env python
"""The admin's edits during a benchmark run (bench/run.py --edits-every S):
every S seconds, a random visible product saved as the admin's form saves
it (``Product.save()``, its signals: the search index written, the
catalogue version bumped, so every cached page is retired; the counts
version stays, as no counted column changed). The values are saved as
they are, so the database stays as seeded. Runs with
the server's environment (its database and cache, its key prefix); on
SIGTERM prints the number of edits made and the mean time of a save.

    .venv/bin/python bench/_editor.py SECONDS
"""

import random
import signal
import sys
import time

from _setup import django_setup


def main():
    every = float(sys.argv[1])
    django_setup(quiet=True)
    from django.db import transaction

    from products.models import Product

    ids = list(Product.objects.visible().values_list("pk", flat=True))
    rng = random.Random(11)
    saves = []
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    while not stopping:
        started = time.perf_counter()
        product = Product.objects.get(pk=rng.choice(ids))
        with transaction.atomic():  # as the admin's change form saves
            product.save()
        saves.append(time.perf_counter() - started)
        pause = every - (time.perf_counter() - started)
        while pause > 0 and not stopping:
            time.sleep(min(pause, 0.1))
            pause -= 0.1
    mean = sum(saves) / len(saves) * 1000 if saves else 0
    print(f"{len(saves)} {mean:.1f}", flush=True)


if __name__ == "__main__":
    main()
