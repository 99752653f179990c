"""The health endpoint and the site's behaviour while its database is gone."""

import contextlib
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest
from django.db import OperationalError, connection
from django.db.backends import utils as backend_utils
from django.urls import reverse

from tests.factories import ProductFactory
from tests.processes import ROOT, manage, project_env, random_secret_key

# -- in process ------------------------------------------------------------------


@pytest.fixture
def database_down(monkeypatch):
    """Every query fails as it does when the server has gone away."""

    def unreachable(*args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")

    monkeypatch.setattr(backend_utils.CursorWrapper, "execute", unreachable)
    monkeypatch.setattr(backend_utils.CursorWrapper, "executemany", unreachable)


@pytest.mark.django_db
def test_healthz_is_ok_when_the_database_answers(client):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_answers_head_requests_of_load_balancers(client):
    assert client.head(reverse("healthz")).status_code == 200


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_is_unreachable(client, database_down):
    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["products:list", "vendors:list"])
def test_pages_show_a_friendly_page_when_the_database_is_unreachable(client, database_down, url_name):
    response = client.get(reverse(url_name))

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "Maaf, situs sedang ada gangguan" in page
    assert "Traceback" not in page


@pytest.mark.django_db
def test_a_programming_error_is_not_disguised_as_an_outage(client, monkeypatch):
    """Only a lost connection gives the 503 page; a bug is still a 500."""
    from django.db import ProgrammingError

    def broken(*args, **kwargs):
        raise ProgrammingError("column does not exist")

    monkeypatch.setattr(backend_utils.CursorWrapper, "execute", broken)
    client.raise_request_exception = False
    assert client.get(reverse("products:list")).status_code == 500


# -- a real server -------------------------------------------------------------------


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url, timeout=10):
    """(status, body) of a GET, whatever the status."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    """Collected static files, as a production server has them."""
    root = tmp_path_factory.mktemp("static")
    env = project_env(DEBUG="0", SECRET_KEY=random_secret_key(), STATIC_ROOT=root)
    manage("collectstatic", "--noinput", "-v", "0", env=env)
    return root


class Gunicorn:
    """gunicorn with the project's config file, on a free loopback port."""

    def __init__(self, database_url, static_root):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = project_env(
            DEBUG="0",
            SECRET_KEY=random_secret_key(),
            ALLOWED_HOSTS="127.0.0.1",
            DATABASE_URL=database_url,
            STATIC_ROOT=static_root,
            # A private plain-HTTP test: the HTTPS protections are turned off
            # under their own names, as docs/deploy.md describes.
            SECURE_SSL_REDIRECT="0",
            SESSION_COOKIE_SECURE="0",
            CSRF_COOKIE_SECURE="0",
            BIND=f"127.0.0.1:{self.port}",
            WEB_CONCURRENCY="2",
        )
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "gunicorn", "-c", "umkm_directory/gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                fetch(self.base + "/healthz", timeout=2)
                return
            except OSError:
                if self.process.poll() is not None:
                    raise AssertionError("gunicorn exited: " + self.process.stderr.read().decode()) from None
                time.sleep(0.2)
        self.stop()
        raise AssertionError("gunicorn did not start within 30 seconds")

    def get(self, path):
        return fetch(self.base + path)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.mark.backend("sqlite")  # the PostgreSQL half runs the fuller test below
def test_a_server_whose_database_is_unreachable_says_so(static_root):
    """Nothing listens on the database port: the health check and the pages
    answer 503 at once, with no traceback."""
    server = Gunicorn(f"postgres://postgres@127.0.0.1:{free_port()}/umkm", static_root)
    try:
        status, body = server.get("/healthz")
        assert status == 503
        assert json.loads(body)["status"] == "unavailable"

        status, body = server.get("/products/amplang-kepiting/")  # a page that reads the database
        assert status == 503
        assert "Maaf, situs sedang ada gangguan" in body
    finally:
        server.stop()


class TcpProxy:
    """A TCP relay in front of the database server that a test can cut and
    restore, to play a database outage without touching the real server."""

    def __init__(self, target):
        self.target = target
        self.port = free_port()
        self._listener = None
        self._sockets = []
        self._lock = threading.Lock()

    def start(self):
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def stop(self):
        """Refuse new connections and cut the open ones."""
        listener, self._listener = self._listener, None
        if listener is not None:
            self._close(listener)
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            self._close(sock)

    @staticmethod
    def _close(sock):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


@pytest.mark.backend("postgresql")
@pytest.mark.django_db(transaction=True)
def test_the_site_recovers_by_itself_when_the_database_returns(static_root):
    product_page = ProductFactory().get_absolute_url()  # committed: the server sees it
    # A page no worker has rendered yet: a page already in the cache may still be served during
    # an outage (and that is fine), this one needs the database.
    unseen_page = ProductFactory().get_absolute_url()
    settings_dict = connection.settings_dict
    proxy = TcpProxy((settings_dict["HOST"] or "127.0.0.1", int(settings_dict["PORT"] or 5432)))
    proxy.start()
    credentials = settings_dict["USER"] + (
        f":{settings_dict['PASSWORD']}" if settings_dict["PASSWORD"] else ""
    )
    server = Gunicorn(f"postgres://{credentials}@127.0.0.1:{proxy.port}/{settings_dict['NAME']}", static_root)
    try:
        assert server.get("/healthz")[0] == 200
        assert server.get(product_page)[0] == 200

        proxy.stop()  # the database goes away, open connections included
        for _ in range(4):  # every worker notices
            status, body = server.get("/healthz")
            assert status == 503
            status, body = server.get(unseen_page)
            assert status == 503
            assert "Maaf, situs sedang ada gangguan" in body

        proxy.start()  # ... and comes back: no restart, no operator
        for _ in range(4):
            assert server.get("/healthz") == (200, '{"status": "ok"}')
            assert server.get(product_page)[0] == 200
            assert server.get(unseen_page)[0] == 200
    finally:
        server.stop()
        proxy.stop()
