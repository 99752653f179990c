#!/usr/bin/env python
"""Time the admin's list pages as a curator sees them, in-process (Django's
test client, DEBUG off), on a database bench/run.py seeded:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/umkm_bench REDIS_URL=redis://127.0.0.1:6379/13 \\
        STATIC_ROOT=/tmp/umkm-bench/postgresql-1000000/static .venv/bin/python bench/admin_pages.py

Logs in as a curator account of its own (``bench-curator``, created in the
bench database when missing), then asks each page twice and prints both
times, the number of queries of the second and its slowest statement: the
first request counts the list, the second finds the count kept under the
catalogue version. Extra arguments: paths to time instead of the defaults.
"""

import os
import secrets
import sys
import time

from _setup import django_setup

PAGES = [
    "/admin/products/product/",
    "/admin/products/product/?q=amplang",
    "/admin/products/product/?q=sarung+endang",
    "/admin/products/product/?q=zzqx",
    "/admin/products/product/?status__exact=draft",
    "/admin/products/product/?vendor__district__id__exact=1",
    "/admin/products/product/?p=1000",
    "/admin/products/product/?o=5",
    "/admin/vendors/vendor/",
    "/admin/vendors/vendor/?q=daeng",
]


def main():
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "bench-admin-" + secrets.token_urlsafe(40))
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
        os.environ.setdefault(name, "0")
    os.environ["CACHE_KEY_PREFIX"] = f"bench-admin-{secrets.token_hex(4)}"  # nothing cached before
    django_setup(quiet=True)
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    user, _created = get_user_model().objects.get_or_create(username="bench-curator")
    user.is_staff = user.is_superuser = True
    user.save()
    client = Client()
    client.force_login(user)
    print(f"{'first ms':>9}{'second ms':>10}{'queries':>8}{'slowest ms':>11}  page")
    for path in sys.argv[1:] or PAGES:
        times = []
        for _ in range(2):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                sys.exit(f"{path}: {response.status_code}")
        slowest = max(float(query["time"]) for query in captured.captured_queries) * 1000
        print(f"{times[0]:>9.1f}{times[1]:>10.1f}{len(captured.captured_queries):>8}{slowest:>11.1f}  {path}")


if __name__ == "__main__":
    main()
