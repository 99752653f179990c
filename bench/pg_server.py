#!/usr/bin/env python
"""A PostgreSQL server of the benchmark's own, set up as docs/deploy.md
advises for a dedicated database server: ``shared_buffers`` a quarter of
the RAM, ``effective_cache_size`` three quarters, autovacuum on (the
rest PostgreSQL's defaults, durability included). The
machine's own server (port 5432) keeps PostgreSQL's defaults (128 MB of
shared buffers), which is what a 1,000,000-product catalogue (~2 GB) does
not fit in; runs against both tell the work from the memory.

    .venv/bin/python bench/pg_server.py start            # port 5433, /tmp/umkm-bench/pg-tuned
    .venv/bin/python bench/run.py --db postgresql --pg-port 5433 --products 1000000 ...
    .venv/bin/python bench/pg_server.py stop
    .venv/bin/python bench/pg_server.py settings         # what it runs with

Needs the server's binaries (Debian: postgresql, /usr/lib/postgresql/N/bin)
and its contrib modules (pg_prewarm, pg_trgm, intarray: the migrations and
the benchmark use them). Run as root, the server runs as the ``postgres``
user, as PostgreSQL refuses to run as root. Trust authentication on
127.0.0.1 only: a throwaway server for a benchmark, never a deployment.
"""

import argparse
import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

DEFAULT_DATA = "/tmp/umkm-bench/pg-tuned"
DEFAULT_PORT = 5433


def binaries():
    """The newest installed server's bin folder."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    sys.exit("no PostgreSQL server binaries found (Debian: apt-get install postgresql)")


def memory_mb():
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    sys.exit("cannot read the RAM size from /proc/meminfo")


def settings(args):
    """deploy.md's advice for a dedicated server, from this machine's RAM."""
    ram = memory_mb()
    return {
        "listen_addresses": "127.0.0.1",
        "port": str(args.port),
        "shared_buffers": f"{ram // 4}MB",
        "effective_cache_size": f"{ram * 3 // 4}MB",
        "maintenance_work_mem": "512MB",
        "work_mem": "16MB",
        "max_connections": "100",
        "autovacuum": "on",
        "max_wal_size": "4GB",
        "unix_socket_directories": str(Path(args.data) / "socket"),
    }


def as_postgres(command):
    """Run ``command`` as the postgres user when root (initdb and the server
    refuse root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def owned(path):
    """``path``, given to the postgres user when root runs this."""
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")
    return path


def start(args):
    data = Path(args.data)
    bin_dir = binaries()
    if not (data / "PG_VERSION").exists():
        data.mkdir(parents=True, exist_ok=True)
        owned(data)
        subprocess.run(
            as_postgres([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth", "trust",
                         "--encoding", "UTF8", "--locale", "C.UTF-8"]),
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    (data / "socket").mkdir(exist_ok=True)
    owned(data / "socket")
    conf = "\n".join(f"{name} = '{value}'" for name, value in settings(args).items())
    (data / "postgresql.auto.conf").write_text(f"# bench/pg_server.py\n{conf}\n")
    owned(data / "postgresql.auto.conf")
    log = str(data / "server.log")
    pg_ctl = [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", log, "-w", "start"]
    subprocess.run(as_postgres(pg_ctl), check=True, stdout=subprocess.DEVNULL)  # -w: until it accepts
    show(args)


def stop(args):
    bin_dir = binaries()
    if (Path(args.data) / "postmaster.pid").exists():
        subprocess.run(
            as_postgres([str(bin_dir / "pg_ctl"), "-D", args.data, "-m", "fast", "stop"]), check=True
        )


def show(args):
    sql = (
        "SELECT string_agg(name || '=' || current_setting(name), ', ') FROM unnest("
        "ARRAY['shared_buffers', 'effective_cache_size', 'work_mem', 'autovacuum']) AS name"
    )
    out = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", str(args.port), "-U", "postgres", "-Atc", sql],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    print(f"postgres on 127.0.0.1:{args.port}: {out.stdout.strip()}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["start", "stop", "settings"])
    parser.add_argument("--data", default=DEFAULT_DATA, help="the server's data folder")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args()
    {"start": start, "stop": stop, "settings": show}[args.action](args)


if __name__ == "__main__":
    main()
