"""More than one machine: two gunicorn instances share one PostgreSQL database
and one Redis. An edit made through the admin of one instance shows, with
its new facet counts, on the other instance's very next request; the session
made on one is valid on the other. Nothing a request needs lives in a process.

Runs on the PostgreSQL pass of CI (a scratch database is created and
dropped) and needs Redis (database 14, a key prefix of its own)."""

import http.cookiejar
import re
import secrets
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from html import unescape
from html.parser import HTMLParser

import psycopg
import pytest
from django.db import connection

from tests.conftest import redis_available, require_service
from tests.processes import ROOT, manage, project_env

pytestmark = pytest.mark.backend("postgresql")

REDIS_URL = "redis://127.0.0.1:6379/14"

SETUP = """
from django.contrib.auth import get_user_model
from products.models import Category, Product, Status
from vendors.models import District, Vendor

food = Category.objects.create(name="Makanan", slug="makanan", position=1)
craft = Category.objects.create(name="Kerajinan", slug="kerajinan", position=2)
ani = Vendor.objects.create(name="Amplang Bu Ani", slug="amplang-bu-ani",
    district=District.objects.get(slug="balikpapan-barat"), whatsapp="081234567890", active=True)
for name, slug, category in [("Amplang Tenggiri", "amplang-tenggiri", food),
        ("Kue Bingka", "kue-bingka", food), ("Tas Rotan", "tas-rotan", craft)]:
    Product.objects.create(name=name, slug=slug, vendor=ani, category=category, price=25000,
        status=Status.PUBLISHED)
get_user_model().objects.create_superuser("kurator", "kurator@example.com", "rahasia-123-uji")
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def admin_connection(dbname="postgres"):
    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        dbname=dbname,
        autocommit=True,
    )


@pytest.fixture
def scratch_database():
    name = f"umkm_multi_{secrets.token_hex(4)}"
    with admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    settings = connection.settings_dict
    user = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
    host = f"{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
    yield f"postgres://{user}@{host}/{name}"
    with admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def two_instances(scratch_database, tmp_path):
    """Two gunicorn instances (one worker each) on two ports, same database and Redis."""
    require_service(redis_available(REDIS_URL), f"Redis is not reachable at {REDIS_URL}")
    ports = [free_port(), free_port()]
    env = project_env(
        DATABASE_URL=scratch_database,
        REDIS_URL=REDIS_URL,
        CACHE_KEY_PREFIX=f"multi-{secrets.token_hex(6)}",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),  # the same on both, as behind one proxy
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        SECURE_HSTS_SECONDS="0",
        STATIC_ROOT=tmp_path / "static",
        MEDIA_ROOT=tmp_path / "media",
        WEB_CONCURRENCY="1",
        LOG_LEVEL="ERROR",
    )
    manage("migrate", "--verbosity", "0", env=env)
    manage("collectstatic", "--noinput", "--verbosity", "0", env=env)
    manage("shell", "-c", SETUP, env=env)

    processes = []
    try:
        for port in ports:
            processes.append(
                subprocess.Popen(  # noqa: S603
                    [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", "umkm_directory/gunicorn.conf.py"],
                    cwd=ROOT,
                    env={**env, "BIND": f"127.0.0.1:{port}"},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
            )
        for port in ports:
            wait_until_up(port)
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_until_up(port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/robots.txt", timeout=2).read()  # noqa: S310
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"gunicorn on port {port} did not start")


class Browser:
    """A cookie-keeping HTTP client that does not follow redirects."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self):
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), self._NoRedirect
        )

    def request(self, url, data=None, referer=None):
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(url, data=body)  # noqa: S310
        if referer:
            request.add_header("Referer", referer)
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def get(self, url):
        return self.request(url)

    def post(self, url, data):
        return self.request(url, data, referer=url)


class FormFields(HTMLParser):
    """The values a browser would submit from the form with id ``form_id``
    (text, hidden, checked boxes, selected options, text areas; no files)."""

    def __init__(self, form_id):
        super().__init__()
        self.form_id, self.inside, self.values = form_id, False, []
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside or "name" not in attrs and tag != "option":
            return
        if tag == "input":
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.values.append((attrs["name"], attrs.get("value", "on")))
            elif kind not in ("file", "submit", "button", "image"):
                self.values.append((attrs["name"], attrs.get("value", "")))
        elif tag == "select":
            self._select = attrs["name"]
        elif tag == "option" and self._select and "selected" in attrs:
            self.values.append((self._select, attrs.get("value", "")))
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.values.append((self._textarea, ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            name, value = self.values[-1]
            self.values[-1] = (name, value + data)


def form_fields(html, form_id):
    parser = FormFields(form_id)
    parser.feed(html)
    return parser.values


def csrf_token(html):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def catalogue_figures(browser, base):
    """(total shown, {category slug: facet count}, product names) of /products/."""
    status, html = browser.get(f"{base}/products/")
    assert status == 200
    total = int(re.sub(r"\D", "", re.search(r'id="results-count">\s*([\d.,]+)', html).group(1)))
    select = re.search(r'<select id="f-category".*?</select>', html, re.S).group(0)
    facets = {
        slug: int(n) for slug, n in re.findall(r'<option value="([a-z-]+)"[^>]*>[^<(]+\((\d+)\)', select)
    }
    names = [unescape(n) for n in re.findall(r'class="card__name">([^<]+)<', html)]
    return total, facets, names


def test_an_edit_through_one_instance_shows_on_the_other(two_instances):
    a, b = two_instances
    shopper = Browser()

    # Instance B computes and caches the figures before the edit.
    assert catalogue_figures(shopper, b) == (
        3,
        {"makanan": 2, "kerajinan": 1},
        ["Tas Rotan", "Kue Bingka", "Amplang Tenggiri"],
    )
    assert shopper.get(f"{b}/products/amplang-tenggiri/")[0] == 200

    # A curator logs in on instance A...
    curator = Browser()
    login = f"{a}/admin/login/"
    _, html = curator.get(login)
    status, _ = curator.post(
        login,
        {"csrfmiddlewaretoken": csrf_token(html), "username": "kurator", "password": "rahasia-123-uji"},
    )
    assert status == 302
    # ...and the session made on A is valid on B (sessions live in Redis and PostgreSQL).
    assert curator.get(f"{b}/admin/")[0] == 200

    # Rename a product through A's admin change form.
    _, html = curator.get(f"{a}/admin/products/product/?q=kue-bingka")
    change = f"{a}" + re.search(r'href="(/admin/products/product/\d+/change/)[^"]*"', html).group(1)
    _, html = curator.get(change)
    fields = [(k, "Kue Bingka Pandan" if k == "name" else v) for k, v in form_fields(html, "product_form")]
    status, body = curator.post(change, fields)
    assert status == 302, body[:3000]

    # Unpublish another through A's changelist action.
    changelist = f"{a}/admin/products/product/"
    _, html = curator.get(changelist + "?q=amplang-tenggiri")
    product_id = re.search(r'name="_selected_action" value="(\d+)"', html).group(1)
    status, _ = curator.post(
        changelist,
        {
            "csrfmiddlewaretoken": csrf_token(html),
            "action": "unpublish",
            "_selected_action": product_id,
            "index": "0",
        },
    )
    assert status == 302

    # B shows both changes, and the new facet counts, on the next request.
    assert catalogue_figures(shopper, b) == (
        2,
        {"makanan": 1, "kerajinan": 1},
        ["Tas Rotan", "Kue Bingka Pandan"],
    )
    assert shopper.get(f"{b}/products/amplang-tenggiri/")[0] == 404
    status, html = shopper.get(f"{b}/products/?q=pandan")
    assert status == 200 and "Kue Bingka Pandan" in html  # the search index moved too
    status, html = shopper.get(f"{b}/")
    assert "Kue Bingka Pandan" in html and "Amplang Tenggiri" not in html
