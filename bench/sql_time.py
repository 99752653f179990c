#!/usr/bin/env python
"""Database time per statement over a workload's URLs, in-process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/umkm_bench REDIS_URL=redis://127.0.0.1:6379/13 \\
        .venv/bin/python bench/sql_time.py /tmp/umkm-bench/postgresql-1000000/urls-search.txt [--count 2000]

Requests the first --count paths of a URL file written by bench/run.py through
Django's test client (a fresh cache key prefix: nothing cached by an earlier
run helps, as in the cold workloads), times every SQL statement, and prints
the statements that took the most time in all, per request and each
(statements prepared on the server grouped by name). Used for
docs/performance.md.
"""

import argparse
import os
import re
import secrets
import sys
import time
from collections import defaultdict
from pathlib import Path

from _setup import django_setup


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("urls", help="a file of paths, one per line")
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()

    os.environ["CACHE_KEY_PREFIX"] = f"sql-time-{secrets.token_hex(4)}"
    django_setup()
    from django.db import connection
    from django.test import Client

    urls = Path(args.urls).read_text().split()[: args.count]
    spent = defaultdict(lambda: [0, 0.0])

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            key = re.sub(r"\s+", " ", sql).strip()
            key = key.split(" (")[0] if key.startswith("EXECUTE") else key[:100]
            spent[key][0] += 1
            spent[key][1] += time.perf_counter() - started

    client = Client(HTTP_HOST="localhost")
    started = time.perf_counter()
    with connection.execute_wrapper(timed):
        for url in urls:
            status = client.get(url).status_code
            if status != 200:
                sys.exit(f"{url}: status {status}")
    wall = time.perf_counter() - started
    n = len(urls)
    in_sql = sum(seconds for _count, seconds in spent.values())
    print(f"{n} requests: {1000 * wall / n:.2f} ms a request, of which SQL {1000 * in_sql / n:.2f} ms")
    print(f"{'times':>7} {'ms/request':>10} {'ms each':>8}  statement")
    for key, (count, seconds) in sorted(spent.items(), key=lambda item: -item[1][1])[: args.top]:
        print(f"{count:7d} {1000 * seconds / n:10.3f} {1000 * seconds / count:8.3f}  {key}")


if __name__ == "__main__":
    main()
