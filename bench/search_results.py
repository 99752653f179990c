#!/usr/bin/env python
"""What filtering, counting and sorting a cached search table costs in
Python (``ProductFilter._search_results``), for searches without filters:
the distinct texts of a search URL file (bench/run.py's urls-search.txt),
each table computed first, then each text's results timed, three rounds.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/umkm_bench \\
        .venv/bin/python bench/search_results.py /tmp/umkm-bench/postgresql-1000000/urls-search.txt

Prints the mean and median ms a request of each round; a table holds up to
~1,000 rows, 515 a text on average at 1,000,000 products, 190 at 10,000.
"""

import argparse
import statistics
import time

from _setup import django_setup, search_texts


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", help="a file of search paths (/products/?q=...)")
    parser.add_argument("--texts", type=int, default=300, help="distinct texts (default 300)")
    args = parser.parse_args()
    django_setup(quiet=True)
    from django.http import QueryDict

    from products.filters import ProductFilter

    texts = [" ".join(words) for words in search_texts(args.paths)[: args.texts]]

    def searching(text):
        data = QueryDict(mutable=True)
        data["q"] = text
        return ProductFilter(data)

    for text in texts:  # each table computed and cached
        searching(text)._search_results  # noqa: B018
    for round_number in range(1, 4):
        times = []
        for text in texts:
            filterset = searching(text)
            filterset._resolved  # noqa: B018 (the form read before the clock starts)
            started = time.perf_counter()
            filterset._search_results  # noqa: B018
            times.append((time.perf_counter() - started) * 1000)
        print(
            f"round {round_number}: {len(times)} searches without filters, table cached:"
            f" mean {statistics.mean(times):.3f} ms, median {statistics.median(times):.3f} ms"
        )


if __name__ == "__main__":
    main()
