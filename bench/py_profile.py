"""Where a page's Python time goes: the site's WSGI application called
in-process (no server, no network) over a file of paths, under cProfile.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/umkm_bench REDIS_URL=redis://127.0.0.1:6379/13 \\
        .venv/bin/python bench/py_profile.py /tmp/umkm-bench/postgresql-1000000/urls-product.txt

Asks ``--requests`` paths to warm the process (compiled templates and
statements, the cached aggregates), times the next ``--requests``, then
profiles the next ones, and prints the mean time a request (with and without
the profiler) and the functions taking most of it. A file of one path (the
ceiling) is asked again and again. The settings come from the environment as
for the site (DEBUG off); every response must be a 200.
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time

from _setup import django_setup


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", help="a file of paths, one a line (a bench/run.py urls-*.txt)")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--sort", default="cumulative", choices=["cumulative", "tottime"])
    parser.add_argument("--callers", default="", help="also print who calls functions matching this")
    parser.add_argument("--slowest", type=int, default=0, help="also print the N slowest timed requests")
    parser.add_argument(
        "--bump-every",
        type=int,
        default=0,
        help="retire the cache as an edit does (products.cache.bump()) before every N-th request",
    )
    args = parser.parse_args()

    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "bench-profile-" + "x" * 40)
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    django_setup(quiet=True)
    from django.core.handlers.wsgi import WSGIHandler

    from products import cache

    app = WSGIHandler()
    asked = 0
    with open(args.paths) as handle:
        paths = [line.strip() for line in handle if line.strip()]

    def call(path):
        nonlocal asked
        asked += 1
        if args.bump_every and asked % args.bump_every == 0:
            cache.bump()
        route, _, query = path.partition("?")
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": route,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "HTTP_HOST": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(),
            "wsgi.errors": sys.stderr,
        }
        status = []
        body = app(environ, lambda s, headers, exc_info=None: status.append(s))
        b"".join(body)
        if hasattr(body, "close"):
            body.close()
        if not status[0].startswith("200"):
            sys.exit(f"{path}: {status[0]}")

    # Three slices of the file: to warm up, to time, to profile (a path asked
    # twice would be stored in the page cache, a third time served from it).
    n = args.requests
    paths = (paths * -(-3 * n // len(paths)))[: 3 * n]
    warm, timed, measured = paths[:n], paths[n : 2 * n], paths[2 * n :]
    for path in warm:
        call(path)
    timings = []
    started = time.perf_counter()
    for path in timed:
        before = time.perf_counter()
        call(path)
        timings.append((time.perf_counter() - before, path))
    plain = (time.perf_counter() - started) / n
    print(f"{n} requests, {plain * 1000:.3f} ms a request")
    if args.slowest:
        ms = sorted(t for t, _ in timings)
        print(
            f"p50 {ms[len(ms) // 2] * 1000:.1f} ms, p90 {ms[int(len(ms) * 0.9)] * 1000:.1f} ms,"
            f" p99 {ms[int(len(ms) * 0.99)] * 1000:.1f} ms; slowest:"
        )
        for seconds, path in sorted(timings, reverse=True)[: args.slowest]:
            print(f"  {seconds * 1000:7.1f} ms  {path}")
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for path in measured:
        call(path)
    profiler.disable()
    elapsed = time.perf_counter() - started
    print(f"{n} requests, {elapsed / n * 1000:.3f} ms a request under the profiler")
    stats = pstats.Stats(profiler)
    stats.sort_stats(args.sort).print_stats(args.top)
    if args.callers:
        stats.print_callers(args.callers)


if __name__ == "__main__":
    main()
