#!/usr/bin/env python
"""CPU time per request of each process group — gunicorn, PostgreSQL, Redis —
while wrk drives one workload's URL file against a running server.

    .venv/bin/python bench/cpu_split.py /tmp/umkm-bench/postgresql-1000000/urls-product.txt \\
        [--seconds 20] [--port 8777]

Start the server first (for instance the one bench/run.py starts, or gunicorn
with the same environment). The URL files are those bench/run.py writes in
its work folder. Reads each process's user + system time from /proc before
and after the run (Linux only): where a page's cost goes, which wrk's
requests/s alone does not tell (used for docs/performance.md).
"""

import argparse
import json
import os
import subprocess
from pathlib import Path

LUA = Path(__file__).resolve().parent / "rotate.lua"
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_by_group():
    """{pid: (group, seconds of CPU so far)} for the processes of interest."""
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            command = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        seconds = (int(fields[11]) + int(fields[12])) / TICKS
        if "gunicorn" in command:
            found[pid] = ("gunicorn", seconds)
        elif name.startswith("postgres"):
            found[pid] = ("postgresql", seconds)
        elif "redis" in name:
            found[pid] = ("redis", seconds)
    return found


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("urls", help="a file of paths, one per line")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--port", type=int, default=8777)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    before = cpu_by_group()
    command = [
        "wrk",
        "-t2",
        f"-c{args.connections}",
        f"-d{args.seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
    ]
    command += [f"http://127.0.0.1:{args.port}", "--", args.urls, "2"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    after = cpu_by_group()
    result = json.loads([line for line in output.splitlines() if line.startswith("{")][-1])
    requests = result["requests"]
    rate = requests / (result["duration_us"] / 1e6)
    totals = {}
    for pid, (group, seconds) in after.items():
        totals[group] = totals.get(group, 0.0) + seconds - before.get(pid, (group, 0.0))[1]
    print(f"{requests} requests, {rate:.1f} req/s, non-2xx {result.get('non2xx', '?')}")
    for group, seconds in sorted(totals.items()):
        print(f"  {group:<11} {1000 * seconds / requests:.3f} ms CPU a request")
    print(f"  {'in all':<11} {1000 * sum(totals.values()) / requests:.3f} ms")


if __name__ == "__main__":
    main()
