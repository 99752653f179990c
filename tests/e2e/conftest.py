"""Fixtures for the end-to-end tests: one headless Debian Chromium per session
(Playwright for Python, never `playwright install`), a small catalogue with real
pictures served by pytest-django's live server, and the npm page judges
(axe-core, Lighthouse, Nu Html Checker) installed in this folder with
`npm ci --ignore-scripts`.

Every test module here is marked ``browser`` (`pytest -m "not browser"` leaves them
out); a missing Chromium, node_modules or Java skips a test with the reason (and
fails it under UMKM_STRICT_SERVICES=1, as in CI).
"""

import io
import os
import re
import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from tests.conftest import require_service

E2E_DIR = Path(__file__).resolve().parent
REPO_DIR = E2E_DIR.parent.parent
NODE_MODULES = E2E_DIR / "node_modules"
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"
LIGHTHOUSE_BIN = NODE_MODULES / ".bin" / "lighthouse"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
ARTIFACTS = REPO_DIR / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Headless, as root in a container, and never talking to Google's servers.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}
VENDOR_PASSWORD = "rahasia-123-uji"
NPM_HINT = "run `npm ci --ignore-scripts` in tests/e2e"


def require_node_tool(path, name):
    require_service(path.exists(), f"{name} missing ({path}); {NPM_HINT}")


def require_java():
    require_service(shutil.which("java") is not None, "java missing: the Nu Html Checker needs Java 17+")


# Browser ------------------------------------------------------------------------------------


@pytest.fixture(scope="package")
def browser():
    """One headless Chromium for this folder's tests. Package scope, not session:
    pytest-django runs all transactional tests (these) before the tests without
    a database, and those must not run with Playwright's loop still set."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - requirements-dev.txt has it
        sync_playwright = None
    require_service(sync_playwright is not None, "Playwright for Python is not installed")
    require_service(os.path.exists(CHROMIUM), f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)")
    from django.db import connections

    # While Playwright's loop is set, asgiref keeps Django's connections in a
    # context variable instead of the thread: the tests would get a second
    # connection object, without the test database's serialized contents, and
    # transactional tests would lose the migrations' rows (districts, roles)
    # after the first flush. Hand the same connection objects to that context.
    originals = {alias: connections[alias] for alias in connections}
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        # Playwright's sync API keeps an asyncio loop set in this thread; Django
        # refuses ORM calls (the tests' factories) from such a thread unless told
        # it is safe, which it is: the loop only runs while a Playwright call is
        # in flight, never at the same time as the test's own code.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        for alias, connection in originals.items():
            connections[alias] = connection
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


class ConsoleLog(list):
    """Errors the page reported: console errors (CSP violations among them),
    uncaught exceptions and failed requests."""

    def attach(self, page):
        def add(text):
            self.append(f"{page.url}: {text}")

        page.on("console", lambda msg: msg.type == "error" and add(f"console: {msg.text}"))
        page.on("pageerror", lambda exc: add(f"exception: {exc}"))
        page.on("requestfailed", lambda req: add(f"request failed: {req.url} {req.failure}"))
        page.on(
            "response",
            lambda resp: (
                resp.status >= 400
                and resp.request.resource_type != "document"
                and add(f"HTTP {resp.status}: {resp.url}")
            ),
        )


@pytest.fixture
def new_page(browser):
    """Factory: a page in a fresh context (own cookies) at a viewport, with its error log
    in ``page.errors``. The site's Content-Security-Policy stays enforced."""
    contexts = []

    def make(viewport=PHONE, **kwargs):
        context = browser.new_context(viewport=viewport, locale="id-ID", **kwargs)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.errors = ConsoleLog()
        page.errors.attach(page)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


def screenshot(page, name):
    """A full-page PNG in test-artifacts/screenshots/ (git-ignored, kept by CI)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# Data ---------------------------------------------------------------------------------------


def jpeg_bytes(colour=(200, 120, 40), size=(640, 480), label=""):
    """A real JPEG photo-like picture made with Pillow."""
    image = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.ellipse((w * 0.2, h * 0.15, w * 0.8, h * 0.85), fill=tuple(255 - c for c in colour))
    draw.rectangle((0, h * 0.85, w, h), fill=(250, 245, 235))
    if label:
        draw.text((20, h * 0.88), label, fill=(30, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


class Catalogue:
    """Names of the objects the tests look for."""


def build_catalogue(with_pictures=True):
    """A small catalogue: two top-level categories with subcategories, four vendors
    in three districts, ten visible products (some with pictures), one draft and one
    product of an inactive vendor that must never show."""
    from products.images import attach_image
    from products.models import Availability, Status
    from tests.factories import CategoryFactory, ProductFactory, VendorFactory, district, vendor_user

    c = Catalogue()
    food = CategoryFactory(name="Makanan & Minuman", slug="makanan-minuman", position=1)
    c.snacks = CategoryFactory(name="Amplang & Kerupuk", slug="amplang-kerupuk", parent=food)
    drinks = CategoryFactory(name="Kopi & Teh", slug="kopi-teh", parent=food)
    crafts = CategoryFactory(name="Kerajinan", slug="kerajinan", position=2)
    batik = CategoryFactory(name="Batik & Tenun", slug="batik-tenun", parent=crafts)
    c.food = food

    c.vendor = VendorFactory(
        name="Amplang Bu Sari",
        slug="amplang-bu-sari",
        district=district("balikpapan-barat"),
        whatsapp="081234567890",
        description="Amplang ikan tenggiri buatan rumah sejak 2009.",
    )
    c.other_vendor = VendorFactory(
        name="Batik Kuntul Perak", slug="batik-kuntul-perak", district=district("balikpapan-utara")
    )
    coffee = VendorFactory(name="Kopi Teluk", slug="kopi-teluk", district=district("balikpapan-kota"))
    closed = VendorFactory(name="Usaha Tutup", slug="usaha-tutup", active=False)

    def product(vendor, category, name, price, **kwargs):
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        return ProductFactory(vendor=vendor, category=category, name=name, slug=slug, price=price, **kwargs)

    c.amplang = product(
        c.vendor,
        c.snacks,
        "Amplang Ikan Tenggiri",
        25000,
        unit="250 g",
        halal=True,
        pirt=True,
        featured=True,
        description="Amplang renyah dari ikan tenggiri segar, tanpa pengawet.",
    )
    c.amplang_pedas = product(
        c.vendor, c.snacks, "Amplang Pedas Udang", 32000, unit="250 g", halal=True, featured=True
    )
    c.kerupuk = product(c.vendor, c.snacks, "Kerupuk Ikan Pipih", 18000, unit="500 g", halal=False)
    product(c.vendor, c.snacks, "Kerupuk Kulit Ikan Bandeng", 22000, unit="200 g", halal=True, pirt=True)
    product(coffee, drinks, "Kopi Robusta Teluk Balikpapan", 55000, unit="200 g", halal=True, bpom=True)
    product(coffee, drinks, "Teh Daun Bajakah", 40000, unit="100 g", availability=Availability.PREORDER)
    c.batik = product(
        c.other_vendor,
        batik,
        "Batik Tulis Motif Kuntul Perak",
        450000,
        unit="1 lembar",
        sni=True,
        export_ready=True,
        featured=True,
    )
    product(c.other_vendor, batik, "Selendang Tenun Dayak", 275000, unit="1 lembar")
    product(c.other_vendor, crafts, "Tas Anyaman Rotan", 185000, unit="1 buah", export_ready=True)
    product(c.other_vendor, crafts, "Gantungan Kunci Manik", 15000, unit="1 buah")
    c.draft = product(c.vendor, c.snacks, "Amplang Rahasia Draf", 1000, status=Status.DRAFT)
    c.hidden = product(closed, c.snacks, "Amplang Usaha Tutup", 2000)

    if with_pictures:
        for item, colour in [
            (c.amplang, (214, 160, 60)),
            (c.amplang_pedas, (190, 70, 40)),
            (c.kerupuk, (230, 210, 150)),
            (c.batik, (40, 70, 140)),
        ]:
            attach_image(item, jpeg_bytes(colour, label=item.name), alt=f"Foto {item.name}")
    c.vendor_user = vendor_user(c.vendor, username="sari")
    c.other_vendor_user = vendor_user(c.other_vendor, username="kuntul")
    return c


@pytest.fixture
def catalogue(transactional_db, django_db_serialized_rollback, settings):
    """The small catalogue, for a test that uses the live server. Serialized rollback
    brings back what migrations put in the database (districts, account groups),
    which the flush after a transactional test removes."""
    # Pictures are served by the live server too (urls.py serves media only with DEBUG).
    settings.ROOT_URLCONF = "tests.e2e.urls"
    # A fast hasher: the tests log in with a known password, nothing to protect.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build_catalogue()


@pytest.fixture
def site(live_server, catalogue):
    """The live server's base URL, with the catalogue in its database."""
    return live_server.url
