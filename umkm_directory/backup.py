"""One-file backups of the whole site: the database and every media file.

An archive is a gzipped tar holding

    database/db.sqlite3   SQLite: a copy made with SQLite's online backup API
    database/db.pgdump    PostgreSQL: `pg_dump --format=custom`
    media/<name>          every file of the default storage, by its storage name
    manifest.json         format, backend, time, row count per model, and the
                          size and sha256 of every media file

Both database copies are consistent snapshots taken while the site runs: the
SQLite backup API copies the file in one read transaction, and pg_dump reads
one exported snapshot, the same one the row counts in the manifest come from.
The database is copied before the media, so every file a saved row names is
already there when the files are read.

Used by the `backup` and `restore` management commands.
"""

import hashlib
import json
import os
import posixpath
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from django.apps import apps
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection, connections, transaction

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database/db.sqlite3"
PGDUMP_FILE = "database/db.pgdump"
MEDIA_DIR = "media/"
# Rows a fresh installation does not have: their presence means "in use".
CONTENT_MODELS = ["auth.User", "vendors.Vendor", "products.Category", "products.Product"]


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why."""


def backend():
    """'sqlite' or 'postgresql': the only two this site runs on."""
    vendor = connection.vendor
    if vendor not in {"sqlite", "postgresql"}:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    return vendor


def counted_models():
    """Every table Django manages, including many-to-many tables."""
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    ]


def count_rows(cursor, quote, tables):
    """{name: row count} of every table in `tables`: a model's table under
    the model's label ("products.Product"), any other (the search index)
    as "table:<name>"."""
    labels = {model._meta.db_table: model._meta.label for model in counted_models()}
    counts = {}
    for table in sorted(tables):
        if table.startswith("sqlite_"):
            continue
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608
        counts[labels.get(table, f"table:{table}")] = cursor.fetchone()[0]
    return counts


def sqlite_quote(name):
    return '"' + name.replace('"', '""') + '"'


# -- database ---------------------------------------------------------------


def dump_sqlite(dest):
    """Copy the live database to `dest` with the online backup API and
    return the row counts of that copy."""
    connection.ensure_connection()
    copy = sqlite3.connect(dest)
    try:
        connection.connection.backup(copy)
        # A self-contained file: no -wal beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
        check = copy.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"The database copy failed SQLite's check: {check}")
        tables = {row[0] for row in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return count_rows(copy.cursor(), sqlite_quote, tables)
    finally:
        copy.close()


def pg_environment(settings_dict):
    """libpq environment variables for pg_dump/pg_restore from Django's
    connection settings (the password never appears on a command line)."""
    env = os.environ.copy()
    for key, var in [("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")]:
        if settings_dict.get(key):
            env[var] = str(settings_dict[key])
    options = settings_dict.get("OPTIONS") or {}
    if options.get("sslmode"):
        env["PGSSLMODE"] = options["sslmode"]
    env["PGDATABASE"] = settings_dict["NAME"]
    return env


def pg_tool(name):
    path = shutil.which(name)
    if not path:
        raise BackupError(
            f"{name} was not found on PATH. Install the PostgreSQL client of the server's major "
            "version (Debian: apt-get install postgresql-client)."
        )
    return path


def dump_postgresql(dest):
    """pg_dump one exported snapshot to `dest` and count the rows of that
    same snapshot."""
    tool = pg_tool("pg_dump")
    connection.ensure_connection()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        tables = set(connection.introspection.table_names(cursor))
        counts = count_rows(cursor, connection.ops.quote_name, tables)
        # pg_dump can use the snapshot only while this transaction is open.
        result = subprocess.run(  # noqa: S603 (fixed program, no shell)
            [
                tool,
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                "--file",
                dest,
            ],
            env=pg_environment(connection.settings_dict),
            capture_output=True,
            text=True,
        )
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    return counts


# -- media ------------------------------------------------------------------


def media_names(storage=default_storage, path=""):
    """Every file name in `storage`, walking its folders."""
    try:
        dirs, files = storage.listdir(path)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield posixpath.join(path, name) if path else name
    for name in sorted(dirs):
        yield from media_names(storage, posixpath.join(path, name) if path else name)


def sha256_of(fileobj):
    digest = hashlib.sha256()
    for chunk in iter(lambda: fileobj.read(1024 * 1024), b""):
        digest.update(chunk)
    return digest.hexdigest()


def add_media(tar, storage=default_storage):
    """Add every media file to `tar`; return their manifest entries. Each
    file is first read whole into a spooled copy, so a file replaced while
    it is read cannot tear the archive."""
    entries = []
    for name in media_names(storage):
        with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
            try:
                with storage.open(name, "rb") as source:
                    shutil.copyfileobj(source, spool)
            except FileNotFoundError:
                continue  # deleted after it was listed: no longer part of the site
            size = spool.tell()
            spool.seek(0)
            digest = sha256_of(spool)
            spool.seek(0)
            info = tarfile.TarInfo(MEDIA_DIR + name)
            info.size = size
            info.mtime = int(datetime.now(UTC).timestamp())
            tar.addfile(info, spool)
        entries.append({"name": name, "size": size, "sha256": digest})
    return entries


# -- backup -----------------------------------------------------------------


def archive_path(dest, now):
    """DEST is the archive itself when it ends in .tar.gz or .tgz, else a
    folder that gets a time-stamped archive."""
    dest = Path(dest)
    if dest.name.endswith((".tar.gz", ".tgz")):
        return dest
    return dest / f"etalase-umkm-{now:%Y%m%d-%H%M%S}.tar.gz"


def create_backup(dest):
    """Write one archive of the database and media; return its path."""
    kind = backend()
    now = datetime.now(UTC)
    path = archive_path(dest, now)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="umkm-backup-") as work:
        if kind == "sqlite":
            database_member = SQLITE_FILE
            copy = os.path.join(work, "db.sqlite3")
            counts = dump_sqlite(copy)
        else:
            database_member = PGDUMP_FILE
            copy = os.path.join(work, "db.pgdump")
            counts = dump_postgresql(copy)
        # Written next to its final place and renamed, so an interrupted
        # backup never leaves a truncated archive under the final name.
        partial = path.with_name(path.name + ".partial")
        try:
            with tarfile.open(partial, "w:gz") as tar:
                tar.add(copy, arcname=database_member)
                media = add_media(tar)
                manifest = {
                    "format": FORMAT_VERSION,
                    "backend": kind,
                    "created_at": now.isoformat(),
                    "database": database_member,
                    "counts": counts,
                    "media": media,
                }
                data = json.dumps(manifest, indent=2, sort_keys=True).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size = len(data)
                info.mtime = int(now.timestamp())
                with tempfile.TemporaryFile() as buffer:
                    buffer.write(data)
                    buffer.seek(0)
                    tar.addfile(info, buffer)
            os.replace(partial, path)
        finally:
            if partial.exists():
                partial.unlink()
    return path, manifest


# -- restore ----------------------------------------------------------------


def read_archive(archive, work):
    """Unpack `archive` into `work` (safely: no links or paths outside it)
    and return its manifest."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(work, filter="data")
    except (OSError, tarfile.TarError) as error:
        raise BackupError(f"{archive} is not a readable backup archive: {error}") from error
    try:
        manifest = json.loads(Path(work, MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise BackupError(f"{archive} has no valid {MANIFEST}.") from error
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"Unknown backup format {manifest.get('format')!r}; expected {FORMAT_VERSION}.")
    return manifest


def installation_in_use():
    """True when the configured database holds accounts or catalogue rows."""
    for label in CONTENT_MODELS:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        try:
            if model._default_manager.exists():
                return True
        except DatabaseError:
            return False  # no tables yet: a fresh database
    return False


def restore_sqlite(copy):
    """Replace the configured SQLite database's content with `copy` through
    the backup API, which writes it in one transaction under SQLite's locks
    (safer than swapping the file under a -wal/-shm pair)."""
    target = Path(connection.settings_dict["NAME"])
    connections.close_all()
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(copy)
    destination = sqlite3.connect(target, timeout=20)
    try:
        source.backup(destination)
    finally:
        destination.close()
        source.close()


def restore_postgresql(dump):
    """pg_restore the dump into the configured database, dropping the
    objects it holds first, all in one transaction."""
    tool = pg_tool("pg_restore")
    connections.close_all()
    result = subprocess.run(  # noqa: S603 (fixed program, no shell)
        [
            tool,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
            connection.settings_dict["NAME"],
            dump,
        ],
        env=pg_environment(connection.settings_dict),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()}")


def restore_media(work, manifest, storage=default_storage):
    for entry in manifest["media"]:
        name = entry["name"]
        if storage.exists(name):
            storage.delete(name)
        with open(Path(work, MEDIA_DIR, name), "rb") as fh:
            saved = storage.save(name, File(fh, name=posixpath.basename(name)))
        if saved != name:
            raise BackupError(f"Media file {name} was stored as {saved}.")


def verify(manifest, storage=default_storage):
    """Compare the installation with the manifest; return the differences."""
    problems = []
    connections.close_all()
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        counts = count_rows(cursor, connection.ops.quote_name, tables)
    for label, expected in sorted(manifest["counts"].items()):
        found = counts.get(label)
        if found != expected:
            problems.append(f"{label}: {found} rows, the backup has {expected}")
    for entry in manifest["media"]:
        try:
            with storage.open(entry["name"], "rb") as fh:
                digest = sha256_of(fh)
        except FileNotFoundError:
            problems.append(f"media file {entry['name']} is missing")
            continue
        if digest != entry["sha256"]:
            problems.append(f"media file {entry['name']} differs from the backup")
    return problems


def restore_backup(archive, *, force=False):
    """Bring this installation back to the state saved in `archive`."""
    kind = backend()
    with tempfile.TemporaryDirectory(prefix="umkm-restore-") as work:
        manifest = read_archive(archive, work)
        if manifest["backend"] != kind:
            raise BackupError(
                f"The archive holds a {manifest['backend']} database; this installation uses {kind}. "
                "Restore into the same kind of database."
            )
        if not force and installation_in_use():
            raise BackupError(
                "This database already holds accounts or catalogue data. Restore into a fresh "
                "installation, or add --force to replace everything in it."
            )
        database = str(Path(work, manifest["database"]))
        if kind == "sqlite":
            restore_sqlite(database)
        else:
            restore_postgresql(database)
        restore_media(work, manifest)
    problems = verify(manifest)
    if problems:
        raise BackupError("The restored site differs from the backup:\n" + "\n".join(problems))
    return manifest
