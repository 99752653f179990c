#!/usr/bin/env python
"""Load benchmark: seed a fresh database, serve it with the production gunicorn
config, drive it with wrk on loopback, print one table of ratios to the ceiling.

    .venv/bin/python bench/run.py --db sqlite --products 100000
    .venv/bin/python bench/run.py --db postgresql --products 1000000 --duration 30

Workloads (all in the same run, against the same server):
  ceiling   /robots.txt: the cheapest response through the full middleware stack
  search    cold: q + two filters, every request a different URL (facet counts included)
  browse    cold: category/catalogue pages without q, varied sort, district and deep pages
  product   cold: product pages, every request a different product while the
            catalogue has enough, then the same pages again under addresses of
            their own (a parameter r=1, r=2, ...), so no page cache serves them
  vendor    cold: vendor pages, the same way (and browse pages, when a small
            catalogue has fewer listing pages than the row asks)
  home      /
  mix       shoppers' mix: Zipf-like popularity over a few thousand URLs, measured
            after --warmup seconds of the same traffic (caches warm, as in production)
Before each row is measured, its workers are warmed for --row-warmup seconds
with traffic of the same kind on URLs the row never asks (other search words,
products, vendors, category pages; for home, / itself): the row measures a
running site's work per request, not the first requests of freshly started
workers (importing, reading the catalogue's aggregates once, planning
statements), which are a one-off cost shown by --row-warmup 0
(docs/performance.md).
Ratios (req/s of a row / req/s of the ceiling) are the figures that count: the
machine is shared and noisy. Each row's ratio is taken against the ceiling
measured right before and right after it (--ceiling-seconds each, their mean),
so a change in the machine's load during the run moves both sides of a ratio
together; the first row is the ceiling measured on its own for --duration.
Before the rows the database's files are read once into the operating
system's file cache, as a running server has them (--no-prewarm: not).
--edits-every S: during the rows, a product is saved every S seconds as the
admin saves it (bench/_editor.py; the values unchanged), each save retiring
every cached page (the counts stay: no count changed): the site while
vendors edit.
Needs `wrk` (Debian: apt-get install wrk).
"""

import argparse
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from _setup import django_setup

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
LUA = Path(__file__).with_name("rotate.lua")
GUNICORN_CONF = ROOT / "umkm_directory" / "gunicorn.conf.py"
# URLs of each cold row's warm-up (at most).
WARM = 1000
# The rows meant to ask every path once (the mix repeats paths on purpose).
COLD_ROWS = ("search", "browse", "product", "vendor")


def log(message):
    print(message, file=sys.stderr, flush=True)


def prepare_database(args, workdir):
    if args.db == "sqlite":
        path = workdir / "bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    server = ["-h", "127.0.0.1", "-p", str(args.pg_port), "-U", "postgres"]
    subprocess.run(["dropdb", *server, "--if-exists", args.pg_name], check=True)
    subprocess.run(["createdb", *server, args.pg_name], check=True)
    return pg_url(args)


def pg_url(args):
    return f"postgres://postgres@127.0.0.1:{args.pg_port}/{args.pg_name}"


def server_env(args, database_url, workdir):
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SITE_URL=f"http://127.0.0.1:{args.port}",
        # A private plain-HTTP test: the HTTPS protections are turned off.
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        SECURE_HSTS_SECONDS="0",
        MEDIA_ROOT=str(workdir / "media"),
        STATIC_ROOT=str(workdir / "static"),
        WEB_CONCURRENCY=str(args.workers),
        BIND=f"127.0.0.1:{args.port}",
        PORT=str(args.port),
    )
    if args.redis:
        env["REDIS_URL"] = args.redis
        # A prefix of its own: nothing cached by an earlier run may warm this one.
        env["CACHE_KEY_PREFIX"] = f"bench-{secrets.token_hex(4)}"
    return env


def manage(env, *argv, **kwargs):
    return subprocess.run([PYTHON, str(ROOT / "manage.py"), *argv], env=env, cwd=ROOT, check=True, **kwargs)


# The relations of the catalogue's database, their TOAST tables included.
RELATIONS = """
    FROM pg_class AS c WHERE c.relkind IN ('r', 'i', 't', 'm') AND c.relpersistence = 'p'
        AND c.relnamespace IN ('public'::regnamespace, 'pg_toast'::regnamespace)
"""
PREWARM = "SELECT coalesce(sum(pg_prewarm(c.oid::regclass, %s)), 0) " + RELATIONS
# Their size, and the server's shared buffers, in bytes.
SIZES = (
    "SELECT (SELECT sum(pg_relation_size(c.oid)) " + RELATIONS + "),"  # noqa: S608 (constant SQL)
    " (SELECT setting::bigint * 8192 FROM pg_settings WHERE name = 'shared_buffers')"
)


def prewarm(env):
    """Read the database's files once, as a running server has them: into
    the operating system's file cache, and into PostgreSQL's shared buffers
    too where they hold it all (a server tuned as deploy.md advises,
    bench/pg_server.py; a running one keeps its buffers over a restart with
    pg_prewarm's autoprewarm). At 1,000,000 products the database (~2 GB)
    is larger than PostgreSQL's default 128 MB of shared buffers, and on a
    machine that has dropped its file cache a row would otherwise measure
    the first reads of its pages from disk, which a small catalogue never
    pays."""
    started = time.perf_counter()
    if env["DATABASE_URL"].startswith("sqlite:"):
        path = Path(env["DATABASE_URL"].removeprefix("sqlite:///"))
        with path.open("rb") as file:
            while file.read(1 << 22):
                pass
        size = path.stat().st_size
        where = "the file cache"
    else:
        from django.db import connection  # Django is set up: make_urls() ran first

        with connection.cursor() as cursor:
            size, where = prewarm_postgresql(cursor)
    seconds = time.perf_counter() - started
    log(f"  database read into {where}: {size / 2**20:.0f} MB in {seconds:.1f} s")


def prewarm_postgresql(cursor):
    """prewarm() on PostgreSQL, through ``cursor`` (Django's or psycopg's):
    the database's files read into the file cache, and into the shared
    buffers where they hold it all. Returns the bytes read and where to."""
    cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
    cursor.execute(SIZES)
    total, buffers = (int(n) for n in cursor.fetchone())
    cursor.execute(PREWARM, ["read"])
    size = int(cursor.fetchone()[0]) * 8192
    if total < buffers * 0.9:
        cursor.execute(PREWARM, ["buffer"])
        return size, "the file cache and the shared buffers"
    return size, "the file cache"


def make_urls(env, workdir, rng, count):
    """Write one file of paths per workload, drawn from the seeded data."""
    os.environ.update(env)
    django_setup(quiet=False)
    from django.db import connection

    from products.models import Availability, Category, Certification, Product
    from vendors.models import District, Vendor

    # Fresh statistics after a bulk load: without them PostgreSQL plans the
    # catalogue's joins blind (seconds instead of milliseconds at 1M rows).
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    log(f"  ANALYZE: {time.perf_counter() - started:.1f} s")

    visible = Product.objects.visible()
    total = visible.count()
    # Twice count: the fastest cold rows make more than count requests.
    ids = list(visible.order_by("?").values_list("slug", flat=True)[: 2 * max(count, 1) + WARM])
    names = list(visible.order_by("?").values_list("name", flat=True)[:3000])
    vendors = list(Vendor.objects.active().order_by("?").values_list("slug", flat=True)[: 2 * count + WARM])
    categories = list(Category.objects.visible().values_list("slug", flat=True))
    districts = list(District.objects.values_list("slug", flat=True))
    certs = list(Certification.values)
    words = sorted({w.lower() for n in names for w in n.split() if len(w) >= 4 and w.isalpha()})
    sorts = ["newest", "price_asc", "price_desc", "name"]
    log(f"  {total} visible products, {len(vendors)} vendors sampled, {len(words)} search words")

    def filters(k):
        options = [
            ("district", lambda: rng.choice(districts)),
            ("category", lambda: rng.choice(categories)),
            ("cert", lambda: rng.choice(certs)),
            ("price_max", lambda: rng.choice([25000, 50000, 100000, 250000])),
            ("in_stock", lambda: "1"),
            ("export_ready", lambda: "1"),
        ]
        return {key: make() for key, make in rng.sample(options, k)}

    def search_url():
        word = rng.choice(words)
        q = word[: rng.randint(4, len(word))] if rng.random() < 0.3 else word
        if rng.random() < 0.3:
            q += " " + rng.choice(words)
        params = {"q": q, **filters(2)}
        if rng.random() < 0.3:
            params["sort"] = rng.choice(sorts)
        return "/products/?" + urlencode(params)

    per_page = 24
    # Real page counts, so every browse URL exists (a 404 would be a non-2xx):
    # per category (top-level ones include their subcategories) and per district.
    from django.db.models import Count

    by_category = dict(visible.values_list("category_id").annotate(n=Count("pk")).order_by())
    tree = list(Category.objects.visible().values_list("id", "slug", "parent_id"))
    category_pages = {}
    for pk, slug, _parent in tree:
        n = by_category.get(pk, 0) + sum(by_category.get(c, 0) for c, _, p in tree if p == pk)
        if n:
            category_pages[slug] = -(-n // per_page)
    by_district = dict(visible.values_list("vendor__district__slug").annotate(n=Count("pk")).order_by())
    district_pages = {slug: -(-n // per_page) for slug, n in by_district.items() if n}
    all_pages = -(-total // per_page)
    # The flag filters (a certification, export-ready, in stock), each with its real page count.
    flag_filters = {
        (f"cert={code}" if code in certs else f"{code}=1"): visible.filter(**lookup).count()
        for code, lookup in [
            *((c, {c: True}) for c in certs),
            ("export_ready", {"export_ready": True}),
            ("in_stock", {"availability": Availability.READY}),
        ]
    }
    flag_pages = {query: -(-n // per_page) for query, n in flag_filters.items() if n}
    log(f"  {all_pages} catalogue pages; largest category {max(category_pages.values())} pages")

    def page_in(pages):
        """Page 1-3, a random page up to 200, or page 200 (or the last page if fewer).
        Shoppers go deep, but not to page 5,000: past page 200 a listing is
        narrowed with filters (docs/performance.md)."""
        deepest = min(200, pages)
        return rng.choice([1, 1, 2, 3, rng.randint(1, deepest), deepest])

    def browse_url():
        params = {"sort": rng.choice(sorts)}
        kind = rng.random()
        if kind < 0.45:
            slug = rng.choice(list(category_pages))
            page = page_in(category_pages[slug])
            path = f"/categories/{slug}/?"
        elif kind < 0.7:
            slug = rng.choice(list(district_pages))
            params["district"] = slug
            page = page_in(district_pages[slug])
            path = "/products/?"
        elif kind < 0.85:
            query = rng.choice(list(flag_pages))
            page = page_in(flag_pages[query])
            path = f"/products/?{query}&"
        else:
            page = page_in(all_pages)
            path = "/products/?"
        if page > 1:
            params["page"] = page
        return path + urlencode(params)

    def unique(make, n):
        seen = []
        found = set()
        for _ in range(n * 5):
            url = make()
            if url not in found:
                found.add(url)
                seen.append(url)
            if len(seen) >= n:
                break
        return seen

    # Each cold row's URLs, and its warm-up's (WARM of them), none of which
    # the row asks; a search's warm-up shares no text with the row (a text's
    # candidates are cached, whatever its filters).
    def text(url):
        return parse_qs(urlsplit(url).query)["q"][0]

    searches = unique(search_url, count + 4 * WARM)
    texts = sorted({text(url) for url in searches})
    warm_texts = set(rng.sample(texts, len(texts) // 5))

    def split(urls, limit=count):
        # The last URLs (at most WARM, a tenth when there are few) warm up.
        n = min(WARM, len(urls) // 10)
        return urls[: len(urls) - n][:limit], urls[len(urls) - n :]

    def rounds(urls):
        """``urls`` up to twice ``count``: each half of them (wrk's two
        threads start at the file's first line and at its middle), then
        that half again as often as needed, shuffled, each address with a
        parameter of its own (``r=1``, ``r=2``…) that the pages ignore. A
        catalogue with fewer pages of a kind than a row makes requests (10k
        products: ~9,000 product pages, ~1,000 vendor pages, ~5,000 listing
        pages within the browse row's reach) would otherwise ask the same
        addresses again, and the page cache would serve them: every request
        still asks a different address, as a cold row must, and each thread
        asks its own half's pages before any page again."""
        listed = []
        for half in (urls[: len(urls) // 2], urls[len(urls) // 2 :]):
            part, turn = list(half), 0
            while half and len(part) < count:
                turn += 1
                again = [f"{url}{'&' if '?' in url else '?'}r={turn}" for url in half]
                rng.shuffle(again)
                part += again[: count - len(part)]
            listed += part
        return listed

    files, warm = {"ceiling": ["/robots.txt"], "home": ["/"]}, {"home": ["/"]}
    files["browse"], warm["browse"] = split(unique(browse_url, 2 * count + WARM), 2 * count)
    files["product"], warm["product"] = split([f"/products/{slug}/" for slug in ids], 2 * count)
    files["vendor"], warm["vendor"] = split([f"/vendors/{slug}/" for slug in vendors], 2 * count)
    files["search"] = [url for url in searches if text(url) not in warm_texts][:count]
    warm["search"] = [url for url in searches if text(url) in warm_texts][:WARM]
    pool = (
        rng.sample(files["product"], min(1500, len(files["product"])))
        + rng.sample(files["browse"], min(700, len(files["browse"])))
        + rng.sample(files["search"], min(500, len(files["search"])))
        + rng.sample(files["vendor"], min(300, len(files["vendor"])))
        + ["/", "/products/", "/vendors/"]
    )
    rng.shuffle(pool)
    weights = [1 / (rank + 1) for rank in range(len(pool))]  # Zipf, s = 1
    files["mix"] = rng.choices(pool, weights=weights, k=count * 2)
    # After the mix is drawn, which keeps the addresses as they are.
    for name in ("browse", "product", "vendor"):
        files[name] = rounds(files[name])

    paths = {}
    for name, urls in files.items():
        paths[name] = workdir / f"urls-{name}.txt"
        paths[name].write_text("\n".join(urls) + "\n")
    for name, urls in warm.items():
        if not urls:
            continue
        paths[f"warm-{name}"] = workdir / f"urls-warm-{name}.txt"
        paths[f"warm-{name}"].write_text("\n".join(urls) + "\n")
    return paths, total


def start_server(env, args):
    if not GUNICORN_CONF.exists():
        sys.exit(f"missing {GUNICORN_CONF}")
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", args.port)) == 0:
            sys.exit(f"port {args.port} is already in use: stop that server or pass --port")
    cmd = [str(Path(PYTHON).with_name("gunicorn")), "-c", str(GUNICORN_CONF), "umkm_directory.wsgi"]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{args.port}/robots.txt", timeout=2).read()  # noqa: S310
            return proc
        except OSError:
            time.sleep(0.2)
    stop_server(proc)
    sys.exit("gunicorn did not start")


def stop_server(proc):
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def start_editor(env, args):
    """bench/_editor.py, saving a random product every ``--edits-every``
    seconds through the server's database and cache, or None."""
    if not args.edits_every:
        return None
    editor = ROOT / "bench" / "_editor.py"
    return subprocess.Popen(
        [PYTHON, str(editor), str(args.edits_every)], env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True
    )


def stop_editor(editor):
    """(edits made, mean ms a save) of a running editor, stopped."""
    if editor is None:
        return None
    editor.terminate()
    out, _err = editor.communicate(timeout=30)
    count, mean = out.split()
    return int(count), float(mean)


def machine():
    """The CPU model, its count and the memory of this machine: ratios move
    from one machine to another (docs/performance.md), so each run says
    where it ran."""
    cpuinfo, meminfo = Path("/proc/cpuinfo"), Path("/proc/meminfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    model = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "?")
    memory = ""
    if meminfo.exists():
        total = meminfo.read_text().split("MemTotal:", 1)[1].split()[0]
        memory = f", {int(total) / 2**20:.0f} GB"
    return f"{model}, {os.cpu_count()} CPUs{memory}"


def worker_rss_mb(proc):
    """Resident memory of each gunicorn worker (children of the master), in MB:
    (all of it, its anonymous part). The difference is file-backed: shared
    libraries and, on SQLite, the memory-mapped database file (mmap_size),
    which the kernel shares between workers and reclaims under pressure."""
    result = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if int(fields.get("PPid", "0")) == proc.pid and "VmRSS" in fields:
            anon = fields.get("RssAnon", fields["VmRSS"])
            result.append((int(fields["VmRSS"].split()[0]) / 1024, int(anon.split()[0]) / 1024))
    return result


def wrk(args, path_file, duration):
    cmd = [
        "wrk",
        "-t2",
        f"-c{args.connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(LUA),
        f"http://127.0.0.1:{args.port}",
        "--",
        str(path_file),
        "2",  # wrk threads (-t2), for rotate.lua's offsets
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    line = [x for x in out.splitlines() if x.startswith("{")][-1]
    data = json.loads(line)
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    return data


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--products", type=int, default=10000)
    parser.add_argument("--duration", type=int, default=20, help="seconds per workload")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8777)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--redis", default="", help="REDIS_URL for the cache (default: local memory)")
    parser.add_argument("--pg-name", default="umkm_bench")
    parser.add_argument(
        "--pg-port",
        type=int,
        default=5432,
        help="the PostgreSQL server's port on 127.0.0.1 (5433: bench/pg_server.py's, tuned per deploy.md)",
    )
    parser.add_argument("--workdir", default="/tmp/umkm-bench")
    parser.add_argument("--reuse", action="store_true", help="keep the database seeded by the last run")
    parser.add_argument("--only", default="", help="comma-separated workloads to run")
    parser.add_argument("--warmup", type=int, default=10, help="seconds of unmeasured mix before the mix row")
    parser.add_argument(
        "--row-warmup",
        type=int,
        default=3,
        help="seconds of unmeasured traffic on other URLs of the same kind before each cold row (0: none)",
    )
    parser.add_argument(
        "--ceiling-seconds", type=int, default=5, help="seconds of ceiling before and after each row"
    )
    parser.add_argument(
        "--edits-every",
        type=float,
        default=0,
        help="seconds between admin-style saves of a random product during the rows (0: none):"
        " the site while vendors edit, every save retiring the cached pages",
    )
    parser.add_argument("--seed-only", action="store_true", help="create and seed the database, then stop")
    parser.add_argument(
        "--no-prewarm",
        dest="prewarm",
        action="store_false",
        help="do not read the database's files into the file cache before the rows",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")

    workdir = Path(args.workdir) / f"{args.db}-{args.products}"
    workdir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)

    if args.reuse:
        database_url = f"sqlite:///{workdir / 'bench.sqlite3'}" if args.db == "sqlite" else pg_url(args)
    else:
        database_url = prepare_database(args, workdir)
    env = server_env(args, database_url, workdir)
    # A reused database gets the migrations added since it was seeded.
    manage(env, "migrate", "--verbosity", "0")
    if not args.reuse:
        log(f"seeding {args.products} products on {args.db}…")
        started = time.perf_counter()
        manage(env, "seed_demo", "--products", str(args.products), "--seed", str(args.seed))
        seed_seconds = time.perf_counter() - started
        log(f"seed_demo --products {args.products}: {seed_seconds:.1f} s")
    else:
        manage(env, "migrate", "--verbosity", "0")  # new indexes reach a reused database
        seed_seconds = None
    if args.seed_only:
        return
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    paths, total = make_urls(env, workdir, rng, count=20000)
    if args.prewarm:
        prewarm(env)
    server = args.db
    if args.db == "postgresql":
        from django.db import connection  # Django is set up: make_urls() ran first

        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('server_version'), current_setting('shared_buffers')")
            version, buffers = cursor.fetchone()
        server = f"postgresql {version} on port {args.pg_port} (shared_buffers {buffers})"

    proc = start_server(env, args)
    rows = []
    editor = edits = None
    try:
        order = ["ceiling", "search", "browse", "product", "vendor", "home", "mix"]
        if args.only:
            order = ["ceiling"] + [w for w in args.only.split(",") if w != "ceiling"]
        wrk(args, paths["ceiling"], 3)  # warm up the workers
        editor = start_editor(env, args)
        for name in order:
            if name == "mix" and args.warmup:
                # The mix measures a site in its steady state, caches warm.
                log(f"  mix warm-up ({args.warmup} s, not measured)…")
                wrk(args, paths[name], args.warmup)
            if f"warm-{name}" in paths and args.row_warmup:
                log(f"  {name} warm-up ({args.row_warmup} s, not measured)…")
                wrk(args, paths[f"warm-{name}"], args.row_warmup)
            log(f"  {name}…")
            if name == "ceiling":
                row = wrk(args, paths[name], args.duration)
                row["ceiling_rps"] = row["rps"]
            else:
                before = wrk(args, paths["ceiling"], args.ceiling_seconds)
                row = wrk(args, paths[name], args.duration)
                after = wrk(args, paths["ceiling"], args.ceiling_seconds)
                row["ceiling_rps"] = (before["rps"] + after["rps"]) / 2
            rows.append((name, row))
        rss = worker_rss_mb(proc)
    finally:
        if editor is not None:
            edits = stop_editor(editor)
        stop_server(proc)

    print(
        f"\n{server}, {total} visible products ({args.products} seeded), {args.workers} workers, "
        f"{args.connections} connections, {args.duration} s per row "
        f"(ceiling {args.ceiling_seconds} s before and after each; "
        f"cold rows after {args.row_warmup} s of warm-up on other URLs)"
    )
    where = machine()
    print(f"machine: {where}")
    if edits is not None:
        count, mean = edits
        print(f"edits: a product saved every {args.edits_every:g} s, {count} in all ({mean:.1f} ms a save)")
    if seed_seconds is not None:
        print(f"seed_demo: {seed_seconds:.1f} s")
    print(
        f"{'workload':<10}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'errors':>8}"
        f"{'ceiling':>9}{'ratio':>8}"
    )
    for name, r in rows:
        r["ratio"] = r["rps"] / r["ceiling_rps"]
        print(
            f"{name:<10}{r['rps']:>9.1f}{r['p50_us'] / 1000:>9.1f}{r['p99_us'] / 1000:>9.1f}"
            f"{r['non2xx']:>9}{r['errors']:>8}{r['ceiling_rps']:>9.1f}{r['ratio']:>8.3f}"
        )
    # A cold row asks each path once only while its file holds more paths
    # than the row makes requests (a small catalogue has fewer products and
    # vendors than that): past it, paths are asked again, and the page cache
    # stores a page on its second request and serves it from the third.
    for name, r in rows:
        if name in COLD_ROWS:
            r["distinct_paths"] = len(set(paths[name].read_text().split()))
            if r["requests"] > r["distinct_paths"]:
                print(
                    f"{name}: {r['requests']} requests over {r['distinct_paths']} distinct paths:"
                    " not cold, paths were asked again"
                )
    print(
        "worker RSS after the run (MB, of which anonymous): "
        + ", ".join(f"{total:.0f} ({anon:.0f})" for total, anon in rss)
    )
    out = workdir / "result.json"
    out.write_text(
        json.dumps(
            {
                "args": vars(args),
                "server": server,
                "machine": where,
                "seed_seconds": seed_seconds,
                "edits": edits,
                "rows": dict(rows),
                "rss_mb": rss,
            },
            indent=2,
        )
    )
    for name, r in rows:
        if r.get("first_bad"):
            print(f"{name}: first non-2xx status {r['first_bad']}")
    bad = sum(r["non2xx"] + r["errors"] for _, r in rows)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
