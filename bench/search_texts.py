#!/usr/bin/env python
"""What a new search text costs the database, over the texts of a search URL
file (bench/run.py's urls-search.txt): for each distinct text, the
candidates (``products.search._backend().candidates()``) and the search's
table (``SEARCH_ROWS`` over those candidates), each timed once with the
cache bypassed, then both together as the site asks them
(``products.search.find_columns()``: one statement on PostgreSQL), after a
warm-up over the file's last texts.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/umkm_bench \\
        .venv/bin/python bench/search_texts.py /tmp/umkm-bench/postgresql-1000000/urls-search.txt

Prints the mean number of products a text brings (the table's rows), how
many texts match nothing, and the mean, p50, p90, p99 and max in ms of each
step, so the same file on databases of different sizes shows how the cost
follows the matches; then the same for one-word and for longer texts
apart.
"""

import argparse
import statistics
import time

from _setup import django_setup, search_texts


def summary(name, values):
    ordered = sorted(values)
    n = len(ordered)
    return (
        f"{name:<12} mean {statistics.mean(ordered):6.2f}  p50 {ordered[n // 2]:6.2f}"
        f"  p90 {ordered[int(n * 0.9)]:6.2f}  p99 {ordered[int(n * 0.99)]:6.2f}  max {ordered[-1]:6.1f} ms"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", help="a file of search paths (/products/?q=...)")
    parser.add_argument("--texts", type=int, default=400, help="distinct texts to time (default 400)")
    parser.add_argument("--warm", type=int, default=100, help="texts to warm up with (default 100)")
    args = parser.parse_args()
    django_setup(quiet=True)
    from products import search
    from products.filters import SEARCH_ROWS

    texts = search_texts(args.paths)
    timed, warm = texts[: args.texts], texts[args.texts :][-args.warm :]
    backend = search._backend()

    def cost(words):
        started = time.perf_counter()
        ids = sorted({pk for pk, _tier in backend.candidates(list(words))})
        found = time.perf_counter()
        rows = SEARCH_ROWS.fetch(ids=search.id_param(ids)) if ids else []
        fetched = time.perf_counter()
        search.find_columns(words, SEARCH_ROWS)
        together = (time.perf_counter() - fetched) * 1000
        return (found - started) * 1000, (fetched - found) * 1000, len(rows), together

    for words in warm:
        cost(words)
    results = [cost(words) for words in timed]
    print(
        f"{len(results)} texts: {statistics.mean(r[2] for r in results):.0f} products a text on average"
        f" (at most {2 * search.MAX_CANDIDATES}), {sum(1 for r in results if not r[2])} matching nothing"
    )
    print(summary("candidates", [r[0] for r in results]))
    print(summary("table", [r[1] for r in results]))
    print(summary("together", [r[3] for r in results]))
    # One word against several: a text of two common words that rarely meet
    # goes through every bucket of their postings (16 at 1,000,000 products,
    # one at 10,000), and most of the benchmark's new texts are two words.
    for label, several in (("one word", False), ("more words", True)):
        part = [r for words, r in zip(timed, results, strict=True) if (len(words) > 1) == several]
        if part:
            print(
                f"{label:<12} {len(part)} texts, {statistics.mean(r[2] for r in part):.0f} products a text,"
                f" {sum(1 for r in part if not r[2])} matching nothing;"
                f" candidates mean {statistics.mean(r[0] for r in part):.2f} ms,"
                f" together mean {statistics.mean(r[3] for r in part):.2f} ms"
            )


if __name__ == "__main__":
    main()
