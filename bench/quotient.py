#!/usr/bin/env python
"""The 1M / 10k quotient of a row's ratio, from alternating runs: one
run's pair moves by ±0.1 on this shared machine (the 10k search row alone
gave 0.140, 0.157 and 0.181 in three runs of the same code and database),
so a single pair cannot tell 0.75 from 0.85.

    .venv/bin/python bench/quotient.py --rows search,product --rounds 3

Both databases must have been seeded by bench/run.py (run it once for each,
or with --seed-only): this runs ``bench/run.py --reuse --only ROWS`` on the
large database, then on the small one, ``--rounds`` times, and prints each
round's ratios and quotients, then the median quotient of each row (the
median of the rounds' quotients, each from a pair measured minutes apart).
Each round also shows the quotient of the requests a second alone: the
ceilings, measured around each row, move too, and it tells how much of a
round's quotient is theirs.
Extra arguments after ``--`` go to both runs (for instance ``--duration 30``).
"""

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN = [sys.executable, str(ROOT / "bench" / "run.py")]


def ratios(products, pg_name, rows, redis, workdir, extra):
    """One reused run of ``rows``: {row: ratio}, from the run's result.json."""
    command = [
        *RUN, "--db", "postgresql", "--products", str(products), "--pg-name", pg_name,
        "--redis", redis, "--workdir", workdir, "--reuse", "--only", ",".join(rows), *extra,
    ]  # fmt: skip
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    result = json.loads((Path(workdir) / f"postgresql-{products}" / "result.json").read_text())
    if result["args"]["pg_name"] != pg_name or not result["args"]["reuse"]:
        sys.exit(f"result.json of {products} products is not this run's")
    found = result["rows"]
    bad = [name for name in rows if found[name]["errors"] or found[name]["non2xx"]]
    if bad:
        sys.exit(f"errors or non-2xx responses in {', '.join(bad)} at {products} products")
    return {name: (found[name]["ratio"], found[name]["rps"]) for name in rows}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="search", help="comma-separated workloads (default search)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--large", type=int, default=1_000_000, help="products in the large database")
    parser.add_argument("--large-db", default="umkm_bench")
    parser.add_argument("--small", type=int, default=10_000, help="products in the small database")
    parser.add_argument("--small-db", default="umkm_bench_10k")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--workdir", default="/tmp/umkm-bench", help="bench/run.py's work folder")
    parser.add_argument("extra", nargs="*", help="after --: more arguments for bench/run.py")
    args = parser.parse_args()
    rows = [name for name in args.rows.split(",") if name]
    quotients = {name: [] for name in rows}
    print(f"{'round':<6}{'row':<10}{'large':>8}{'small':>8}{'quotient':>10}{'of req/s':>10}", flush=True)
    for number in range(1, args.rounds + 1):
        large = ratios(args.large, args.large_db, rows, args.redis, args.workdir, args.extra)
        small = ratios(args.small, args.small_db, rows, args.redis, args.workdir, args.extra)
        for name in rows:
            (large_ratio, large_rps), (small_ratio, small_rps) = large[name], small[name]
            quotients[name].append(large_ratio / small_ratio)
            # The quotient of the requests a second alone, without the
            # ceilings (which move by a tenth between the rows of one run).
            line = f"{large_ratio:8.3f}{small_ratio:8.3f}{quotients[name][-1]:10.2f}"
            line += f"{large_rps / small_rps:10.2f}"
            print(f"{number:<6}{name:<10}{line}", flush=True)
    for name in rows:
        values = quotients[name]
        print(
            f"{name}: median quotient {statistics.median(values):.2f}"
            f" (min {min(values):.2f}, max {max(values):.2f}, {len(values)} rounds; target ≥ 0.80)"
        )


if __name__ == "__main__":
    main()
