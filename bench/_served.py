"""What the scripts that time pages through gunicorn share
(bench/deep_pages.py, bench/filter_pages.py): their database arguments, the
site set up as bench/run.py serves it, a warm start, and a timed request."""

import contextlib
import os
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

from _setup import django_setup
from run import manage, pg_url, server_env, start_server, stop_server


def add_arguments(parser, port):
    """The database (one bench/run.py seeded) and the server's port."""
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument("--pg-name", default="umkm_bench")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--redis", default="")
    parser.add_argument("--workdir", default="/tmp/umkm-bench")
    parser.add_argument("--port", type=int, default=port)


def set_up(args):
    """The production settings of bench/run.py for that database, in this
    process too (Django set up, for reading the data), its static files
    collected; returns the server's environment."""
    workdir = Path(args.workdir) / f"{args.db}-{args.products}"
    database_url = f"sqlite:///{workdir / 'bench.sqlite3'}" if args.db == "sqlite" else pg_url(args)
    env = server_env(SimpleNamespace(**vars(args), workers=2), database_url, workdir)
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    os.environ.update(env)
    django_setup()
    return env


@contextlib.contextmanager
def served(env, args):
    """gunicorn running (the production config, 2 workers), both workers past
    their first requests (imports, the catalogue's aggregates and reference
    data, statements prepared) before anything is timed; yields its base URL."""
    proc = start_server(env, args)
    base = f"http://127.0.0.1:{args.port}"
    try:
        for n in range(20):
            timed(f"{base}/products/?page=2&r=warm{n}")
            timed(f"{base}/vendors/?page=2&r=warm{n}")
        yield base
    finally:
        stop_server(proc)


def timed(url):
    """The time of one GET in ms; any answer but 200 stops the script."""
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (loopback)
        response.read()
        status = response.status
    if status != 200:
        sys.exit(f"{url}: {status}")
    return (time.perf_counter() - started) * 1000
