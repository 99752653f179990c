"""`manage.py backup` and `manage.py restore`, end to end: a catalogue is
backed up while an editor keeps saving, restored into another installation,
and compared row by row and file by file."""

import hashlib
import json
import subprocess
import sys
import tarfile
import threading
import time

import pytest
from django.db import connection

from tests.processes import ROOT, manage, project_env, run_python

CATALOGUE = """
import django
django.setup()
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from tests.factories import CategoryFactory, ProductFactory, UserFactory, VendorFactory, vendor_user

food = CategoryFactory(name="Makanan", slug="makanan")
craft = CategoryFactory(name="Kerajinan", slug="kerajinan")
for n in range(6):
    vendor = VendorFactory(name=f"UMKM Asli {n}", slug=f"umkm-asli-{n}")
    vendor.logo = default_storage.save(f"vendors/logos/logo-{n}.png", ContentFile(bytes([n]) * 2048))
    vendor.save()
    vendor_user(vendor, username=f"penjual{n}")
    for m in range(4):
        ProductFactory(vendor=vendor, category=food if m % 2 else craft, name=f"Produk {n}-{m}",
                       slug=f"produk-{n}-{m}", price=10_000 + 500 * m)
default_storage.save("products/2026/11/amplang.jpg", ContentFile("amplang kepiting \u2764".encode() * 500))
default_storage.save("catatan dengan spasi.txt", ContentFile(b"nama berkas dengan spasi"))
UserFactory(username="admin", is_superuser=True)
"""

# An editor saving a new vendor and its first product in one transaction,
# over and over, until told to stop; prints the number of each committed save.
WRITER = """
import os, sys, time
import django
django.setup()
from django.db import transaction
from products.models import Category
from tests.factories import ProductFactory, VendorFactory

category = Category.objects.get(slug="makanan")
n = 0
while not os.path.exists(sys.argv[1]):
    n += 1
    with transaction.atomic():
        vendor = VendorFactory(name=f"Penulis {n}", slug=f"penulis-{n}")
        ProductFactory(vendor=vendor, category=category, name=f"Tulisan {n}", slug=f"tulisan-{n}", price=n)
    print(n, flush=True)
    time.sleep(0.01)
"""


class Writer:
    """The WRITER script in its own process, its acknowledged saves counted."""

    def __init__(self, env, stop_file):
        self.stop_file = stop_file
        self.acknowledged = 0
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-c", WRITER, str(stop_file)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        threading.Thread(target=self._count, daemon=True).start()

    def _count(self):
        for line in self.process.stdout:
            self.acknowledged = int(line)

    def wait_for(self, count, timeout=60):
        deadline = time.monotonic() + timeout
        while self.acknowledged < count:
            assert self.process.poll() is None, self.process.stderr.read()
            assert time.monotonic() < deadline, "the writer made no progress"
            time.sleep(0.05)

    def stop(self):
        self.stop_file.touch()
        self.process.wait(timeout=60)
        assert self.process.returncode == 0, self.process.stderr.read()


def dumpdata(env):
    output = manage("dumpdata", "--indent", "0", env=env).stdout
    return json.loads(output)


def media_digests(root):
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def without_saves_after(objects, last):
    """`objects` (dumpdata) without the writer's saves numbered above `last`."""
    late_vendors = {
        obj["pk"]
        for obj in objects
        if obj["model"] == "vendors.vendor"
        and obj["fields"]["slug"].startswith("penulis-")
        and int(obj["fields"]["slug"].removeprefix("penulis-")) > last
    }
    return [
        obj
        for obj in objects
        if not (obj["model"] == "vendors.vendor" and obj["pk"] in late_vendors)
        and not (obj["model"] == "products.product" and obj["fields"]["vendor"] in late_vendors)
    ]


def writer_saves(objects):
    """The numbers of the writer's saves found in `objects`, with a check
    that each save is whole: its vendor and its product, or neither."""
    vendors = {
        obj["pk"]: int(obj["fields"]["slug"].removeprefix("penulis-"))
        for obj in objects
        if obj["model"] == "vendors.vendor" and obj["fields"]["slug"].startswith("penulis-")
    }
    products = {obj["fields"]["vendor"] for obj in objects if obj["model"] == "products.product"}
    assert set(vendors) <= products, "a save was torn: a vendor without its product"
    return sorted(vendors.values())


def round_trip(tmp_path, env_a, env_b):
    """Back up installation A while its writer runs, restore into B, compare."""
    manage("migrate", "-v", "0", env=env_a)
    manage("migrate", "-v", "0", env=env_b)  # a fresh installation
    run_python(["-c", CATALOGUE], env_a, check=True)

    writer = Writer(env_a, tmp_path / "stop-writing")
    try:
        writer.wait_for(3)
        archive = manage("backup", str(tmp_path / "backups"), env=env_a).stdout.strip()
        written_during_backup = writer.acknowledged
        writer.wait_for(written_during_backup + 3)  # the site went on after the backup
    finally:
        writer.stop()

    assert archive.endswith(".tar.gz")
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    assert "media/products/2026/11/amplang.jpg" in names
    assert {entry["name"] for entry in manifest["media"]} == set(media_digests(tmp_path / "media-a"))

    restored = manage("restore", archive, env=env_b)
    assert "all verified" in restored.stdout

    rows_a, rows_b = dumpdata(env_a), dumpdata(env_b)
    saves = writer_saves(rows_b)
    # The copy is one moment of the live site: every save up to some point,
    # none after it, none torn.
    assert saves == list(range(1, len(saves) + 1))
    assert 3 <= len(saves) <= writer.acknowledged - 3
    assert rows_b == without_saves_after(rows_a, len(saves))
    assert manifest["counts"]["vendors.Vendor"] == 6 + len(saves)

    assert media_digests(tmp_path / "media-b") == media_digests(tmp_path / "media-a")

    # B is in use now: a second restore must be asked for explicitly.
    refused = manage("restore", archive, env=env_b, check=False)
    assert refused.returncode != 0
    assert "--force" in refused.stderr
    manage("restore", archive, "--force", env=env_b)
    assert dumpdata(env_b) == rows_b


@pytest.mark.backend("sqlite")
def test_backup_while_writing_and_restore_on_sqlite(tmp_path):
    env_a = project_env(DATABASE_URL=f"sqlite:///{tmp_path / 'a.sqlite3'}", MEDIA_ROOT=tmp_path / "media-a")
    env_b = project_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'restored' / 'b.sqlite3'}", MEDIA_ROOT=tmp_path / "media-b"
    )
    (tmp_path / "restored").mkdir()
    round_trip(tmp_path, env_a, env_b)


@pytest.fixture
def scratch_postgresql_databases():
    """Two empty databases beside the test database, dropped afterwards."""
    import psycopg

    settings_dict = connection.settings_dict
    names = [f"{settings_dict['NAME']}_backup_a", f"{settings_dict['NAME']}_backup_b"]
    params = {
        "host": settings_dict["HOST"] or "127.0.0.1",
        "port": settings_dict["PORT"] or 5432,
        "user": settings_dict["USER"],
        "password": settings_dict["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
    }

    def recreate(create):
        with psycopg.connect(**params) as admin:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                if create:
                    admin.execute(f'CREATE DATABASE "{name}"')

    recreate(create=True)
    credentials = settings_dict["USER"] + (
        f":{settings_dict['PASSWORD']}" if settings_dict["PASSWORD"] else ""
    )
    server = f"{params['host']}:{params['port']}"
    yield [f"postgres://{credentials}@{server}/{name}" for name in names]
    recreate(create=False)


@pytest.mark.backend("postgresql")
@pytest.mark.django_db
def test_backup_while_writing_and_restore_on_postgresql(tmp_path, scratch_postgresql_databases):
    url_a, url_b = scratch_postgresql_databases
    env_a = project_env(DATABASE_URL=url_a, MEDIA_ROOT=tmp_path / "media-a")
    env_b = project_env(DATABASE_URL=url_b, MEDIA_ROOT=tmp_path / "media-b")
    round_trip(tmp_path, env_a, env_b)


def test_restore_refuses_an_archive_that_is_not_a_backup(tmp_path):
    env = project_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", MEDIA_ROOT=tmp_path / "media")
    bogus = tmp_path / "not-a-backup.tar.gz"
    bogus.write_bytes(b"hello")

    result = manage("restore", str(bogus), env=env, check=False)

    assert result.returncode != 0
    assert "not a readable backup archive" in result.stderr
    assert "Traceback" not in result.stderr
