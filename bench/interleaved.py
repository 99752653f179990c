#!/usr/bin/env python
"""The 1M / 10k quotient from short, interleaved bursts: both sites served
at once, their rows measured turn about, seconds apart.

    .venv/bin/python bench/interleaved.py --rows search,browse,product,vendor --pairs 6

bench/quotient.py alternates whole runs (a few minutes each), and a shared
machine's load moves in minutes: one day's rounds of the same code gave the
search row 0.57 to 0.99 (docs/performance.md, sixteenth session). Here the
large and the small catalogue are each served by their own gunicorn (the
production config, 2 workers each, their own Redis database), and each
pair is, for every row, a burst of ``--burst`` seconds on one site then on
the other (the first of the two alternating), each between two ceilings of
``--ceiling-seconds``: both sides of a pair meet the same load. An idle
site costs the machine nothing but memory.

Every burst asks its own slice of the row's file of paths (bench/run.py's
urls-ROW.txt), so no address is asked twice and the rows stay cold as in
bench/run.py; the rows' warm-up files run first, as there. Both databases,
their path files and collected static files must come from an earlier
bench/run.py run of each (not --seed-only).

Prints each pair's ratios and quotient, then per row the median quotient
of the pairs and each size's median ratio. A burst that makes more
requests than its slice holds asks addresses again (a page cache may then
answer them): it says so.
"""

import argparse
import secrets
import shutil
import statistics
import sys
import tempfile
from argparse import Namespace
from pathlib import Path

import psycopg
from run import log, machine, prewarm_postgresql, server_env, start_server, stop_server, wrk

SITES = ("large", "small")


def site(args, which):
    products = getattr(args, which)
    workdir = Path(args.workdir) / f"postgresql-{products}"
    if not (workdir / "urls-ceiling.txt").exists():
        sys.exit(f"{workdir}: no path files; run bench/run.py once for {products} products")
    options = Namespace(
        port=args.port + (0 if which == "large" else 1),
        workers=args.workers,
        connections=args.connections,
        pg_port=args.pg_port,
        pg_name=getattr(args, f"{which}_db"),
        redis=getattr(args, f"{which}_redis"),
    )
    url = f"postgres://postgres@127.0.0.1:{args.pg_port}/{options.pg_name}"
    env = server_env(options, url, workdir)
    env["CACHE_KEY_PREFIX"] = f"bench-{which}-{secrets.token_hex(4)}"
    return {"name": which, "products": products, "workdir": workdir, "args": options, "env": env, "url": url}


def prewarm(url):
    """Read a database's files into the operating system's file cache, and
    into the shared buffers too where they hold it all, as bench/run.py
    does before its rows (this machine drops its file cache, ~10 MB/s when
    idle: a 1M row would measure reads from disk); returns what it says."""
    with psycopg.connect(url, autocommit=True) as connection, connection.cursor() as cursor:
        size, where = prewarm_postgresql(cursor)
    return f"{size / 2**20:.0f} MB read into {where}"


def slices(path, count, folder):
    """``count`` files, each holding its own consecutive part of ``path``'s
    lines, as (file, number of lines)."""
    lines = [line for line in path.read_text().splitlines() if line]
    size = len(lines) // count
    if size < 200:
        sys.exit(f"{path}: {len(lines)} paths, too few for {count} bursts")
    files = []
    for number in range(count):
        part = Path(folder) / f"{path.parent.name}-{path.stem}-{number}.txt"
        part.write_text("\n".join(lines[number * size : (number + 1) * size]) + "\n")
        files.append((part, size))
    return files


def burst(args, target, part, ceiling):
    """One measured burst over ``part`` (one of slices(): a file of paths and
    its number of lines): its ratio to the ceilings around it. Exits on an
    error or a non-2xx response; warns when the slice ran out."""
    paths, size = part
    before = wrk(target["args"], ceiling, args.ceiling_seconds)
    row = wrk(target["args"], paths, args.burst)
    after = wrk(target["args"], ceiling, args.ceiling_seconds)
    if row["non2xx"] + row["errors"] + before["non2xx"] + after["non2xx"]:
        sys.exit(f"errors or non-2xx responses in {paths.name} ({target['products']} products)")
    if row["requests"] > size:
        log(f"{paths.name}: {row['requests']} requests, more than its paths: some were asked again")
    return row["rps"] / ((before["rps"] + after["rps"]) / 2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="search,browse,product,vendor")
    parser.add_argument("--pairs", type=int, default=6)
    parser.add_argument("--burst", type=int, default=5, help="seconds a row is measured on one site")
    parser.add_argument("--ceiling-seconds", type=int, default=2)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--large-db", default="umkm_bench")
    parser.add_argument("--large-redis", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--small-db", default="umkm_bench_10k")
    parser.add_argument("--small-redis", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--port", type=int, default=8781, help="the large site's; the small one's is the next"
    )
    parser.add_argument("--workdir", default="/tmp/umkm-bench", help="bench/run.py's work folder")
    parser.add_argument(
        "--pg-port", type=int, default=5432, help="5433: bench/pg_server.py's server, tuned per deploy.md"
    )
    args = parser.parse_args()
    rows = [name for name in args.rows.split(",") if name]

    sites = {which: site(args, which) for which in SITES}
    servers = []
    folder = tempfile.mkdtemp(prefix="umkm-interleaved-")
    try:
        for target in sites.values():
            log(f"{target['products']} products: {prewarm(target['url'])}")
            servers.append(start_server(target["env"], target["args"]))
            ceiling = target["workdir"] / "urls-ceiling.txt"
            wrk(target["args"], ceiling, 3)  # the workers' first requests
            for name in rows:
                warm = target["workdir"] / f"urls-warm-{name}.txt"
                if warm.exists():
                    wrk(target["args"], warm, 3)
            target["slices"] = {
                name: slices(target["workdir"] / f"urls-{name}.txt", args.pairs, folder) for name in rows
            }
        log(", ".join(f"{t['products']} products on port {t['args'].port}" for t in sites.values()))
        print(f"machine: {machine()}")
        results = {name: [] for name in rows}
        print(f"{'pair':<6}{'row':<10}{'large':>8}{'small':>8}{'quotient':>10}", flush=True)
        for number in range(args.pairs):
            order = SITES if number % 2 == 0 else SITES[::-1]
            for name in rows:
                measured = {}
                for which in order:
                    target = sites[which]
                    ceiling = target["workdir"] / "urls-ceiling.txt"
                    measured[which] = burst(args, target, target["slices"][name][number], ceiling)
                large, small = measured["large"], measured["small"]
                results[name].append((large, small))
                print(f"{number + 1:<6}{name:<10}{large:8.3f}{small:8.3f}{large / small:10.2f}", flush=True)
    finally:
        for proc in servers:
            stop_server(proc)
        shutil.rmtree(folder, ignore_errors=True)
    for name in rows:
        quotients = [large / small for large, small in results[name]]
        ratios = {
            which: statistics.median(pair[index] for pair in results[name])
            for index, which in enumerate(SITES)
        }
        print(
            f"{name}: median quotient {statistics.median(quotients):.2f}"
            f" (min {min(quotients):.2f}, max {max(quotients):.2f}, {len(quotients)} pairs;"
            f" median ratios {ratios['large']:.3f} / {ratios['small']:.3f}; target ≥ 0.80)"
        )


if __name__ == "__main__":
    main()
