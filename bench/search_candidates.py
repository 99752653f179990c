#!/usr/bin/env python
"""Time the search backend's candidates() for many distinct search texts.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/umkm_search \\
        .venv/bin/python bench/search_candidates.py [--per-kind 100] [--seed 1]

Texts are built from the index's known words (products_search_words on
PostgreSQL, the names' words on SQLite), in five kinds: a known word
(``word``), a prefix of one of 4+ letters (``prefix``), two adjacent words of
a real product name (``pair``), two known words at random, which often match
nothing together (``any2``), and a misspelt word of 5+ letters, one letter
changed, dropped or swapped (``typo``). Each text
is timed once through ``products.search._backend().candidates()`` (the
cache is bypassed: every search text is a new one), after a warm-up over a
different set of texts so the timings are those of a warm database. Prints
p50/p95/max in ms per kind and overall, and the slowest texts. On
PostgreSQL ``--steps`` times the GIN steps of migration 0009 instead of the
postings of 0011 (the way a search takes when a word is a prefix match).
"""

import argparse
import os
import random
import statistics
import time

from _setup import django_setup


def known_words():
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT word FROM products_search_words ORDER BY word")
            return [w for (w,) in cursor.fetchall()]
        cursor.execute("SELECT name FROM products_product ORDER BY id DESC LIMIT 20000")
        from products.search import tokens

        return sorted({w for (name,) in cursor.fetchall() for w in tokens(name) if len(w) >= 3})


def name_pairs(rng, count):
    """Two adjacent words of the names of random products."""
    from django.db.models import Max

    from products.models import Product
    from products.search import tokens

    top = Product.objects.aggregate(top=Max("id"))["top"] or 0
    ids = [rng.randint(1, top) for _ in range(count * 3)]
    names = Product.objects.filter(id__in=ids).order_by("id").values_list("name", flat=True)
    pairs = []
    for name in names:
        words = [w for w in tokens(name) if len(w) >= 3]
        if len(words) >= 2:
            i = rng.randrange(len(words) - 1)
            pairs.append(f"{words[i]} {words[i + 1]}")
    return pairs


def misspelt(rng, word):
    i = rng.randrange(1, len(word) - 1)
    change = rng.choice(("replace", "drop", "swap"))
    if change == "replace":
        return word[:i] + rng.choice("aeiouknrst".replace(word[i], "")) + word[i + 1 :]
    if change == "drop":
        return word[:i] + word[i + 1 :]
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]


def texts(rng, per_kind):
    words = known_words()
    long_words = [w for w in words if len(w) >= 5]
    kinds = {
        "word": rng.sample(words, min(per_kind, len(words))),
        "prefix": [w[: rng.randint(4, len(w) - 1)] for w in rng.choices(long_words, k=per_kind)],
        "pair": name_pairs(rng, per_kind)[:per_kind],
        "any2": [" ".join(rng.sample(words, 2)) for _ in range(per_kind)],
        "typo": [misspelt(rng, w) for w in rng.choices(long_words, k=per_kind)],
    }
    return {kind: list(dict.fromkeys(items)) for kind, items in kinds.items()}


def time_texts(items, candidates=None):
    """(ms, text, rows) per text; ``candidates`` defaults to the backend's."""
    from products import search

    candidates = candidates or search._backend().candidates
    timings = []
    for text in items:
        words = search.tokens(text)
        start = time.perf_counter()
        rows = candidates(words)
        timings.append(((time.perf_counter() - start) * 1000, text, len(rows)))
    return timings


def summary(timings):
    ms = sorted(t for t, _, _ in timings)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    return f"{len(ms):5d} {statistics.median(ms):8.1f} {p95:8.1f} {ms[-1]:8.1f}"


def report(candidates=None, per_kind=100, seed=1, slowest=8):
    from django.db import connection

    # Warm-up on texts of another seed: the database's pages and the
    # connection are warm, the timed texts are still new to it.
    time_texts([t for items in texts(random.Random(seed + 1000), 25).values() for t in items], candidates)
    by_kind = {
        kind: time_texts(items, candidates) for kind, items in texts(random.Random(seed), per_kind).items()
    }
    everything = [t for timings in by_kind.values() for t in timings]
    print(
        f"{connection.vendor} {connection.settings_dict['NAME']}: candidates() per distinct text, ms"
        f" (load average {os.getloadavg()[0]:.1f}: other work on the machine shows in the figures)"
    )
    print(f"{'kind':8s} {'n':>5s} {'p50':>8s} {'p95':>8s} {'max':>8s}")
    for kind, timings in by_kind.items():
        print(f"{kind:8s} {summary(timings)}")
    print(f"{'all':8s} {summary(everything)}")
    worst = sorted(everything, reverse=True)[:slowest]
    print("slowest:", ", ".join(f"{text!r} {ms:.1f} ({rows} rows)" for ms, text, rows in worst))


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--per-kind", type=int, default=100, help="texts of each kind (default 100)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--slowest", type=int, default=8, help="list this many slowest texts")
    parser.add_argument(
        "--steps",
        action="store_true",
        help="PostgreSQL: time the GIN steps of migration 0009 instead of the postings (0011)",
    )
    args = parser.parse_args()
    django_setup()
    if args.steps:
        from products import search

        search._postgresql.MAX_DIRTY = -1  # never the postings' way
    report(per_kind=args.per_kind, seed=args.seed, slowest=args.slowest)


if __name__ == "__main__":
    main()
