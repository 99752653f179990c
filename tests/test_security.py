"""Security headers, HTTPS redirects and the admin login lockout."""

from html.parser import HTMLParser

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.urls import reverse

from tests.factories import ProductFactory, UserFactory, superuser

PASSWORD = "rahasia-123-uji"  # tests.factories.UserFactory's password


def csp_directives(response):
    """{directive: [sources]} of the Content-Security-Policy header."""
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["healthz", "admin:login"])
def test_pages_send_the_security_headers(client, url_name):
    response = client.get(reverse(url_name))

    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    permissions = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in permissions


@pytest.mark.django_db
def test_content_security_policy_allows_no_inline_script_or_style(client):
    directives = csp_directives(client.get(reverse("admin:login")))

    assert directives["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in directives["style-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]


class InlineCode(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, inline event
    handlers, <style> blocks and style attributes."""

    def __init__(self):
        super().__init__()
        self.blocked = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and not attrs.get("src"):
            self._in_script = attrs.get("type") not in {"application/json", "application/ld+json"}
        if tag == "style":
            self.blocked.append("<style>")
        if "style" in attrs:
            self.blocked.append(f'<{tag} style="{attrs["style"]}">')
        self.blocked += [f"<{tag} {name}>" for name in attrs if name.startswith("on")]

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.blocked.append(f"<script>{data.strip()[:60]}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


def blocked_inline_code(response):
    parser = InlineCode()
    parser.feed(response.content.decode())
    return parser.blocked


@pytest.mark.django_db
def test_admin_pages_work_under_the_policy(client):
    """The policy would break any page with inline code: the admin has none
    on the pages vendors use."""
    product = ProductFactory()
    assert blocked_inline_code(client.get(reverse("admin:login"))) == []
    client.force_login(superuser())
    urls = [
        reverse("admin:index"),
        reverse("admin:products_product_changelist"),
        reverse("admin:products_product_add"),
        reverse("admin:products_product_change", args=[product.pk]),
        reverse("admin:vendors_vendor_changelist"),
        reverse("admin:vendors_vendor_change", args=[product.vendor.pk]),
    ]
    for url in urls:
        client.get(url)  # warm any lazily built admin state
        response = client.get(url)
        assert response.status_code == 200, url
        assert blocked_inline_code(response) == [], url


def test_the_inline_code_finder_finds_inline_code():
    """The check above can fail."""
    parser = InlineCode()
    parser.feed(
        '<script>alert(1)</script><p style="color:red" onclick="x()">x</p><script src="/a.js"></script>'
    )
    assert len(parser.blocked) == 3


# -- HTTPS ---------------------------------------------------------------------


@pytest.mark.django_db
def test_plain_http_is_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31_536_000

    response = client.get(reverse("admin:login"))
    assert response.status_code == 301
    assert response["Location"].startswith("https://")

    secure = client.get(reverse("admin:login"), secure=True)
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.django_db
def test_https_seen_through_the_proxy_header_is_not_redirected(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    assert client.get(reverse("admin:login"), HTTP_X_FORWARDED_PROTO="https").status_code == 200
    assert client.get(reverse("admin:login"), HTTP_X_FORWARDED_PROTO="http").status_code == 301


@pytest.mark.django_db
def test_health_checks_over_plain_http_are_not_redirected(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get(reverse("healthz")).status_code == 200


# -- login lockout ---------------------------------------------------------------


def log_in(client, username, password, ip="203.0.113.10", **extra):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
        REMOTE_ADDR=ip,
        **extra,
    )


def is_logged_in(client):
    return SESSION_KEY in client.session


def fail_until_locked(client, username, **kwargs):
    """Four wrong passwords give the form again; the fifth locks."""
    for _ in range(4):
        response = log_in(client, username, "salah-tebak", **kwargs)
        assert response.status_code == 200
    assert log_in(client, username, "salah-tebak", **kwargs).status_code == 429


@pytest.mark.django_db
def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(client):
    UserFactory(username="penjual")
    fail_until_locked(client, "penjual")

    response = log_in(client, "penjual", PASSWORD)

    assert response.status_code == 429
    assert not is_logged_in(client)
    page = response.content.decode()
    assert "Akun dikunci sementara" in page
    assert "Coba lagi setelah 30 menit" in page
    assert "axes_reset_username penjual" in page


@pytest.mark.django_db
def test_four_wrong_passwords_do_not_lock(client):
    UserFactory(username="penjual")
    for _ in range(4):
        log_in(client, "penjual", "salah-tebak")

    response = log_in(client, "penjual", PASSWORD)

    assert response.status_code == 302
    assert is_logged_in(client)


@pytest.mark.django_db
def test_lockout_is_per_username_and_address(client):
    UserFactory(username="penjual")
    UserFactory(username="kurator")
    fail_until_locked(client, "penjual", ip="203.0.113.10")

    assert log_in(client, "kurator", PASSWORD, ip="203.0.113.10").status_code == 302
    client.logout()
    # The real owner elsewhere is not locked out by someone guessing.
    assert log_in(client, "penjual", PASSWORD, ip="198.51.100.7").status_code == 302


@pytest.mark.django_db
def test_staff_unlock_an_account_with_the_reset_command(client):
    UserFactory(username="penjual")
    fail_until_locked(client, "penjual")
    assert log_in(client, "penjual", PASSWORD).status_code == 429

    call_command("axes_reset_username", "penjual", stdout=None)

    assert log_in(client, "penjual", PASSWORD).status_code == 302
    assert is_logged_in(client)


@pytest.mark.django_db
def test_behind_a_proxy_the_client_address_comes_from_its_header(client, settings):
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_REAL_IP"]
    UserFactory(username="penjual")
    # Every request comes from the proxy's own address.
    fail_until_locked(client, "penjual", ip="127.0.0.1", HTTP_X_REAL_IP="203.0.113.10")

    assert (
        log_in(client, "penjual", PASSWORD, ip="127.0.0.1", HTTP_X_REAL_IP="203.0.113.10").status_code == 429
    )
    assert (
        log_in(client, "penjual", PASSWORD, ip="127.0.0.1", HTTP_X_REAL_IP="198.51.100.7").status_code == 302
    )
