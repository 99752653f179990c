"""Spreadsheet import: CSV files → checked rows → one transaction, in batches.

Everything that writes many catalogue rows goes through this module: the
``import_catalogue`` command (city staff's spreadsheets) and ``seed_demo``
(demo and benchmark data). The format is documented in docs/import.md.

Contract of :func:`import_catalogue`:

- All or nothing. A first pass streams every file and checks every row; any
  problem (file, row, column, reason) aborts the import before anything is
  written, with every problem reported (the first ``MAX_KEPT_PROBLEMS`` kept
  in full, the rest counted). Only then a second pass streams the files again
  and writes them in one transaction.
- Rows are matched by slug: new rows are created, rows that really changed are
  updated, the rest are not touched, so importing the same files twice writes
  nothing (``updated_at`` stays as it was).
- Memory does not grow with the file: rows are streamed and handled in
  batches of ``BATCH_SIZE``; the slugs already seen in a file (to find
  duplicates and to resolve references to the vendors file) are kept in a
  temporary on-disk SQLite database, not in Python objects. Only the
  categories file, which a city curates by hand, is held in memory.
"""

import codecs
import csv
import itertools
import json
import re
import sqlite3
import time
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, reset_queries, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from vendors.models import District, Vendor
from vendors.phone import normalize_whatsapp

from . import search
from .models import Availability, Category, Certification, Product, Status, category_copies

BATCH_SIZE = 2000
MAX_KEPT_PROBLEMS = 1000
MAX_PRICE = 1_000_000_000_000  # one trillion rupiah: beyond any UMKM product, below the column's limit

# The columns of each file: name → required (the header must have it and
# every row must fill it). Optional columns may be left out of the header.
COLUMNS = {
    "categories": {"slug": True, "name": True, "parent": False},
    "vendors": {
        "slug": True,
        "name": True,
        "district": True,
        "whatsapp": True,
        "address": False,
        "description": False,
        "verified": False,
        "active": False,
    },
    "products": {
        "slug": True,
        "vendor": True,
        "category": True,
        "name": True,
        "price": True,
        "unit": False,
        "availability": False,
        "certifications": False,
        "export_ready": False,
        "status": False,
        "description": False,
    },
}
KINDS = tuple(COLUMNS)

_SLUG = re.compile(r"^[-a-zA-Z0-9_]+\Z")  # Django's validate_slug, without its per-call overhead
_CERTIFICATIONS = tuple(Certification.values)
_TRUE = {"yes", "ya", "true", "1"}
_FALSE = {"no", "tidak", "false", "0"}
_PRICE_PLAIN = re.compile(r"^\d+$")
_PRICE_DOTTED = re.compile(r"^\d{1,3}(\.\d{3})+$")  # 25.000 or 1.250.000
_PRICE_COMMAS = re.compile(r"^\d{1,3}(,\d{3})+$")  # 25,000: thousands written the English way
_PRICE_CURRENCY = re.compile(r"^rp\.?\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Problem:
    """One reason a file cannot be imported. ``row`` is the spreadsheet row
    (the header is row 1); None when the problem concerns the whole file."""

    file: str
    row: int | None
    column: str
    reason: str

    def __str__(self):
        where = [self.file]
        if self.row is not None:
            where.append(_("baris %(row)s") % {"row": self.row})
        if self.column:
            where.append(_("kolom %(column)s") % {"column": self.column})
        return f"{', '.join(where)}: {self.reason}"


class ImportFailed(Exception):
    """The files have problems; nothing was written."""

    def __init__(self, problems, total):
        self.problems = problems
        self.total = total
        super().__init__(_("%(total)s masalah; tidak ada data yang disimpan.") % {"total": total})


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other):
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged


@dataclass
class ImportResult:
    counts: dict = field(default_factory=lambda: {kind: Counts() for kind in KINDS})
    seconds: float = 0.0
    dry_run: bool = False


class _Problems:
    """Collects problems, keeping the first ``limit`` and counting all."""

    def __init__(self, limit=MAX_KEPT_PROBLEMS):
        self.limit = limit
        self.kept = []
        self.total = 0

    def add(self, file, row, column, reason):
        self.total += 1
        if len(self.kept) < self.limit:
            self.kept.append(Problem(file, row, column, str(reason)))

    def __bool__(self):
        return self.total > 0


# --------------------------------------------------------------------------
# Reading CSV
# --------------------------------------------------------------------------


class _CsvFile:
    """One CSV file of a given kind, readable as many times as needed.

    Accepts a UTF-8 BOM (Excel writes one) and a comma, semicolon or tab
    separator (Excel in an Indonesian locale writes semicolons), told apart
    from the header line.
    """

    def __init__(self, path, kind):
        self.path = Path(path)
        self.kind = kind
        self.label = self.path.name
        self.header_ok = False

    def rows(self, problems):
        """Yield ``(row_number, {column: stripped text})`` for every non-blank
        row; the header is row 1, as in the spreadsheet. Header, encoding and
        CSV problems go to ``problems``."""
        self.header_ok = False
        try:
            handle = self.path.open("rb")
        except OSError as error:
            problems.add(self.label, None, "", _("berkas tidak bisa dibuka (%(error)s).") % {"error": error})
            return
        lines = _Lines(handle)
        row_number = 1
        with handle:
            try:
                first_line = next(lines, "")
                reader = csv.reader(itertools.chain([first_line], lines), delimiter=_delimiter(first_line))
                columns = self._check_header(next(reader, None), problems)
                if columns is None:
                    return
                self.header_ok = True
                width = len(columns)
                for cells in reader:
                    row_number += 1
                    if not any(cell.strip() for cell in cells):
                        continue  # a blank line, e.g. at the end of an Excel export
                    if len(cells) > width and any(cell.strip() for cell in cells[width:]):
                        problems.add(
                            self.label,
                            row_number,
                            "",
                            _("baris ini punya %(cells)s sel, lebih banyak dari %(columns)s judul kolom.")
                            % {"cells": len(cells), "columns": width},
                        )
                        continue
                    yield (
                        row_number,
                        {
                            name: (cells[i].strip() if i < len(cells) else "")
                            for i, name in enumerate(columns)
                        },
                    )
            except UnicodeDecodeError:
                problems.add(
                    self.label,
                    lines.number,
                    "",
                    _(
                        "berkas ini bukan teks UTF-8. Di Excel pilih Simpan Sebagai › "
                        "“CSV UTF-8 (Comma delimited)”, lalu impor berkas itu."
                    ),
                )
            except csv.Error as error:
                problems.add(
                    self.label,
                    row_number,
                    "",
                    _("baris CSV tidak bisa dibaca (%(error)s).") % {"error": error},
                )

    def _check_header(self, header, problems):
        if not header or not any(cell.strip() for cell in header):
            problems.add(self.label, 1, "", _("berkas kosong: baris pertama harus berisi judul kolom."))
            return None
        expected = COLUMNS[self.kind]
        columns = [cell.strip().lower() for cell in header]
        ok = True
        unknown = [c for c in columns if c not in expected]
        if unknown:
            ok = False
            hint = ""
            if self.path.suffix.lower() in {".xlsx", ".xls", ".ods"}:
                hint = " " + _("Simpan lembar kerja sebagai CSV UTF-8 lebih dulu.")
            problems.add(
                self.label,
                1,
                ", ".join(unknown),
                _("kolom tidak dikenal. Kolom yang diterima: %(columns)s.") % {"columns": ", ".join(expected)}
                + hint,
            )
        repeated = sorted({c for c in columns if columns.count(c) > 1})
        if repeated:
            ok = False
            problems.add(self.label, 1, ", ".join(repeated), _("judul kolom ini muncul lebih dari sekali."))
        missing = [name for name, required in expected.items() if required and name not in columns]
        if missing:
            ok = False
            problems.add(self.label, 1, ", ".join(missing), _("kolom wajib ini tidak ada di baris judul."))
        return columns if ok else None


class _Lines:
    """The lines of a binary file decoded as UTF-8 one by one (a UTF-8 BOM
    skipped), counting them, so a bad byte is reported on its own line."""

    def __init__(self, handle):
        self._handle = handle
        self.number = 0

    def __iter__(self):
        return self

    def __next__(self):
        raw = next(self._handle)
        self.number += 1
        if self.number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        return raw.decode("utf-8")


def _delimiter(line):
    counts = {sep: line.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


# --------------------------------------------------------------------------
# Cleaning one row (no database: lookups are passed in)
# --------------------------------------------------------------------------

_OMIT = object()  # a converter's answer for "leave this field as it is"


def _max_length(model, name):
    return model._meta.get_field(name).max_length


# Control characters other than tab and line breaks: never meant, and PostgreSQL
# refuses NUL outright. (The admin's forms refuse NUL the same way.)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(max_length=None):
    def convert(text):
        if _CONTROL.search(text):
            raise ValueError(_("berisi karakter kontrol (misalnya NUL) yang tidak boleh ada dalam teks."))
        if max_length and len(text) > max_length:
            raise ValueError(
                _("terlalu panjang: %(length)s karakter, paling banyak %(max)s.")
                % {"length": len(text), "max": max_length}
            )
        return text

    return convert


def _slug(max_length=None):
    check_length = _text(max_length)

    def convert(text):
        if not _SLUG.match(text):
            raise ValueError(
                _(
                    "“%(value)s” bukan slug: pakai huruf, angka dan tanda hubung saja, "
                    "misalnya amplang-bu-ani."
                )
                % {"value": text}
            )
        return check_length(text)

    return convert


def _parent(text):
    return _slug()(text) if text else None


def _flag(text):
    """True/False; an empty cell leaves the field as it is (the default for a new row)."""
    value = text.lower()
    if not value:
        return _OMIT
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(_("“%(value)s” bukan ya/tidak. Tulis yes/no atau ya/tidak.") % {"value": text})


def _choice(choices):
    allowed = frozenset(choices.values)

    def convert(text):
        value = text.lower()
        if not value:
            return _OMIT
        if value not in allowed:
            raise ValueError(
                _("“%(value)s” tidak dikenal. Pilihan: %(choices)s.")
                % {"value": text, "choices": "|".join(choices.values)}
            )
        return value

    return convert


def parse_price(text):
    """Whole rupiah from ``25000``, ``25.000`` or ``Rp 25.000``; ValueError with
    a message otherwise (negative, with sen, not a number)."""
    value = _PRICE_CURRENCY.sub("", text.strip()).replace(" ", "")
    if value.startswith("-"):
        raise ValueError(_("“%(value)s”: harga tidak boleh negatif.") % {"value": text})
    if _PRICE_DOTTED.match(value):
        value = value.replace(".", "")
    if not _PRICE_PLAIN.match(value):
        if _PRICE_COMMAS.match(value):
            raise ValueError(
                _("“%(value)s”: tulis ribuan dengan titik (25.000) atau tanpa pemisah (25000).")
                % {"value": text}
            )
        if re.match(r"^[\d.]+,\d+$", value) or re.match(r"^\d+\.\d{1,2}$", value):
            raise ValueError(_("“%(value)s”: harga harus rupiah bulat, tanpa sen.") % {"value": text})
        raise ValueError(
            _("“%(value)s” bukan harga. Tulis angka rupiah, misalnya 25000 atau 25.000.") % {"value": text}
        )
    price = int(value)
    if price > MAX_PRICE:
        raise ValueError(_("“%(value)s”: harga terlalu besar.") % {"value": text})
    return price


def _certifications(text):
    codes = {part.strip().lower().replace("-", "") for part in text.split(";")} - {""}
    unknown = codes.difference(_CERTIFICATIONS)
    if unknown:
        raise ValueError(
            _("sertifikasi “%(value)s” tidak dikenal. Pilihan: %(choices)s, dipisah titik koma.")
            % {"value": ", ".join(sorted(unknown)), "choices": ";".join(Certification.values)}
        )
    return {code: code in codes for code in _CERTIFICATIONS}


def _whatsapp(text):
    try:
        return normalize_whatsapp(text)
    except ValidationError as error:
        raise ValueError(" ".join(error.messages)) from None


def _district(districts):
    """District id from its slug or its name, in any case."""
    lookup = {}
    for district_id, slug, name in districts:
        lookup[slug.casefold()] = district_id
        lookup[name.casefold()] = district_id
    slugs = ", ".join(slug for _id, slug, _name in districts)

    def convert(text):
        try:
            return lookup[text.casefold()]
        except KeyError:
            raise ValueError(
                _("kecamatan “%(value)s” tidak dikenal. Tulis slug atau nama kecamatan: %(choices)s.")
                % {"value": text, "choices": slugs}
            ) from None

    return convert


def _category_spec():
    return [
        ("slug", "slug", _slug(_max_length(Category, "slug"))),
        ("name", "name", _text(_max_length(Category, "name"))),
        ("parent", "parent", _parent),
    ]


def _vendor_spec():
    districts = list(District.objects.values_list("id", "slug", "name"))
    return [
        ("slug", "slug", _slug(_max_length(Vendor, "slug"))),
        ("name", "name", _text(_max_length(Vendor, "name"))),
        ("district", "district_id", _district(districts)),
        ("whatsapp", "whatsapp", _whatsapp),
        ("address", "address", _text(_max_length(Vendor, "address"))),
        ("description", "description", _text()),
        ("verified", "verified", _flag),
        ("active", "active", _flag),
    ]


def _product_spec():
    return [
        ("slug", "slug", _slug(_max_length(Product, "slug"))),
        ("vendor", "vendor", _slug()),
        ("category", "category", _slug()),
        ("name", "name", _text(_max_length(Product, "name"))),
        ("price", "price", parse_price),
        ("unit", "unit", _text(_max_length(Product, "unit"))),
        ("availability", "availability", _choice(Availability)),
        ("certifications", None, _certifications),  # None: the converter gives several fields
        ("export_ready", "export_ready", _flag),
        ("status", "status", _choice(Status)),
        ("description", "description", _text()),
    ]


def _clean(kind, spec, cells):
    """``(values, errors)`` for one row: the clean values of the cells that
    passed, and ``(column, reason)`` for each that did not. A column left out
    of the header leaves its field as it is."""
    required = COLUMNS[kind]
    values, errors = {}, []
    for column, target, convert in spec:
        if column not in cells:
            continue
        text = cells[column]
        if not text and required[column]:
            errors.append((column, _("wajib diisi.")))
            continue
        try:
            value = convert(text)
        except ValueError as error:
            errors.append((column, str(error)))
            continue
        if value is _OMIT:
            continue
        if target is None:
            values.update(value)
        else:
            values[target] = value
    return values, errors


# --------------------------------------------------------------------------
# Slugs seen in a file, kept on disk
# --------------------------------------------------------------------------


class _SlugLedger:
    """The slugs seen in one file with the row they first appeared on, kept
    in a temporary on-disk SQLite database so that memory stays flat however
    long the file is."""

    def __init__(self):
        # An empty name gives a private temporary database on disk, deleted on close.
        self._db = sqlite3.connect("")
        self._db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
            "CREATE TABLE seen (slug TEXT PRIMARY KEY, row INTEGER) WITHOUT ROWID;"
        )

    def first_rows(self, slugs):
        """{slug: row} for those of ``slugs`` already seen."""
        if not slugs:
            return {}
        cursor = self._db.execute(
            "SELECT slug, row FROM seen WHERE slug IN (SELECT value FROM json_each(?))",
            (json.dumps(list(slugs)),),
        )
        return dict(cursor.fetchall())

    def add(self, pairs):
        """Record ``(slug, row)`` pairs; return ``(slug, row, first_row)`` for
        each slug seen before (earlier in the file or earlier in ``pairs``)."""
        duplicates, fresh = [], {}
        for slug, row in pairs:
            if slug in fresh:
                duplicates.append((slug, row, fresh[slug]))
            else:
                fresh[slug] = row
        earlier = self.first_rows(fresh)
        duplicates.extend((slug, row, earlier[slug]) for slug, row in fresh.items() if slug in earlier)
        self._db.executemany(
            "INSERT OR IGNORE INTO seen VALUES (?, ?)", [(s, r) for s, r in fresh.items() if s not in earlier]
        )
        return duplicates

    def close(self):
        self._db.close()


def _batches(iterable, size):
    batch = []
    for item in iterable:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# --------------------------------------------------------------------------
# Checking pass
# --------------------------------------------------------------------------


class _Checker:
    """The first pass: streams every file and records every problem."""

    def __init__(self, files, problems, batch_size):
        self.files = files
        self.problems = problems
        self.batch_size = batch_size
        self.db_categories = dict(Category.objects.values_list("slug", "parent__slug"))
        self.file_categories = {}  # slug -> parent slug or None (the categories file is small)
        self.vendor_ledger = None
        # When a file's header is unusable its slugs are unknown: references
        # to it are not reported, the header problem is.
        self.categories_known = True
        self.vendors_known = True

    def run(self):
        try:
            if "categories" in self.files:
                self._check_categories(self.files["categories"])
            if "vendors" in self.files:
                self.vendor_ledger = _SlugLedger()
                self._check_vendors(self.files["vendors"])
            if "products" in self.files:
                self._check_products(self.files["products"])
        finally:
            if self.vendor_ledger:
                self.vendor_ledger.close()

    def _rows(self, source, spec):
        """``(row, values)`` for every row, reporting its problems; ``values``
        holds the cells that passed, so references are checked even on a
        row with another problem."""
        for row_number, cells in source.rows(self.problems):
            values, errors = _clean(source.kind, spec, cells)
            for column, reason in errors:
                self.problems.add(source.label, row_number, column, reason)
            yield row_number, values

    def _report_duplicate(self, source, slug, row, first):
        self.problems.add(
            source.label,
            row,
            "slug",
            _("slug “%(slug)s” sudah dipakai di baris %(first)s berkas ini.")
            % {"slug": slug, "first": first},
        )

    def _check_batch_slugs(self, source, ledger, batch):
        pairs = [(values["slug"], row) for row, values in batch if "slug" in values]
        for slug, row, first in ledger.add(pairs):
            self._report_duplicate(source, slug, row, first)

    def _check_categories(self, source):
        rows = {}  # slug -> (row, effective parent)
        for row, values in self._rows(source, _category_spec()):
            slug = values.get("slug")
            if not slug:
                continue
            if slug in rows:
                self._report_duplicate(source, slug, row, rows[slug][0])
                continue
            rows[slug] = (row, values.get("parent", self.db_categories.get(slug)))
        self.categories_known = source.header_ok
        self.file_categories = {slug: parent for slug, (_row, parent) in rows.items()}
        tree = {**self.db_categories, **self.file_categories}
        has_children = {parent for parent in tree.values() if parent}
        for slug, (row, parent) in rows.items():
            reason = None
            if parent is None:
                continue
            if parent == slug:
                reason = _("kategori tidak bisa menjadi induk dirinya sendiri.")
            elif parent not in tree:
                reason = _("kategori induk “%(parent)s” tidak ada di berkas ini maupun di database.") % {
                    "parent": parent
                }
            elif tree[parent] is not None:
                reason = _("“%(parent)s” sendiri sebuah subkategori; pohon kategori hanya dua tingkat.") % {
                    "parent": parent
                }
            elif slug in has_children:
                reason = _(
                    "kategori ini punya subkategori, jadi harus tetap kategori utama (kosongkan parent)."
                )
            if reason:
                self.problems.add(source.label, row, "parent", reason)

    def _check_vendors(self, source):
        for batch in _batches(self._rows(source, _vendor_spec()), self.batch_size):
            self._check_batch_slugs(source, self.vendor_ledger, batch)
        self.vendors_known = source.header_ok

    def _check_products(self, source):
        ledger = _SlugLedger()
        categories = set(self.db_categories) | set(self.file_categories)
        try:
            for batch in _batches(self._rows(source, _product_spec()), self.batch_size):
                self._check_batch_slugs(source, ledger, batch)
                self._check_references(source, batch, categories)
        finally:
            ledger.close()

    def _check_references(self, source, batch, categories):
        vendor_slugs = {values["vendor"] for _row, values in batch if "vendor" in values}
        known = set(self.vendor_ledger.first_rows(vendor_slugs)) if self.vendor_ledger else set()
        known |= set(Vendor.objects.filter(slug__in=vendor_slugs - known).values_list("slug", flat=True))
        for row, values in batch:
            vendor, category = values.get("vendor"), values.get("category")
            if vendor and vendor not in known and self.vendors_known:
                self.problems.add(
                    source.label,
                    row,
                    "vendor",
                    _("usaha “%(slug)s” tidak ada di berkas usaha maupun di database.") % {"slug": vendor},
                )
            if category and category not in categories and self.categories_known:
                self.problems.add(
                    source.label,
                    row,
                    "category",
                    _("kategori “%(slug)s” tidak ada di berkas kategori maupun di database.")
                    % {"slug": category},
                )


# --------------------------------------------------------------------------
# Writing: the one batch writer
# --------------------------------------------------------------------------


class BatchWriter:
    """Writes rows of one model, matched by slug, in batches.

    Each row is a dict of field attnames to clean values (str, int, bool or
    None), including ``slug``. New slugs are inserted (with ``create_defaults``,
    then the model's defaults, for the fields a row leaves out); existing rows
    are compared field by field and only those that really changed are
    updated (``updated_at`` moves only for them). A field a row leaves out is
    not touched on an existing record. ``on_batch(created_ids, updated_ids)``
    runs after each batch is written.

    Like ``bulk_create``, this writes no ``save()`` and sends no signals: the
    values are already clean, and the caller keeps the search index in step.
    """

    def __init__(
        self, model, *, batch_size=BATCH_SIZE, create_defaults=None, match_existing=True, on_batch=None
    ):
        self.model = model
        self.batch_size = batch_size
        self.create_defaults = create_defaults or {}
        self.match_existing = match_existing
        self.on_batch = on_batch
        self.counts = Counts()
        self._pending = []
        self._fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self._timestamps = [
            f for f in self._fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        ]
        self._has_updated_at = any(f.attname == "updated_at" for f in self._fields)

    def add(self, values):
        self._pending.append(values)
        if len(self._pending) >= self.batch_size:
            self.flush()

    def write(self, rows):
        for values in rows:
            self.add(values)
        self.flush()
        return self.counts

    def flush(self):
        rows, self._pending = self._pending, []
        if not rows:
            return
        existing = self._existing(rows) if self.match_existing else {}
        new, changed, changed_fields = [], [], set()
        for values in rows:
            current = existing.get(values["slug"])
            if current is None:
                new.append(values)
                continue
            diff = [name for name, value in values.items() if current[name] != value]
            if diff:
                changed.append(self.model(**{**current, **values}))
                changed_fields.update(diff)
        created_ids = self._insert(new) if new else []
        if changed:
            if self._has_updated_at:
                now = timezone.now()
                for obj in changed:
                    obj.updated_at = now
                changed_fields.add("updated_at")
            self.model._default_manager.bulk_update(changed, sorted(changed_fields))
        self.counts.created += len(new)
        self.counts.updated += len(changed)
        self.counts.unchanged += len(rows) - len(new) - len(changed)
        if self.on_batch:
            self.on_batch(created_ids, [obj.pk for obj in changed])
        _forget_queries()

    def _existing(self, rows):
        """{slug: {attname: value, "id": id}} of the rows already stored."""
        names = {name for values in rows for name in values}
        queryset = self.model._default_manager.filter(slug__in=[values["slug"] for values in rows])
        return {current["slug"]: current for current in queryset.values("id", *names)}

    def _insert(self, rows):
        """Insert new rows with one executemany; return their ids when
        ``on_batch`` needs them. (``bulk_create`` spends most of a large
        write preparing every field of every object; these values are
        already clean, so only the defaults and timestamps are prepared.)"""
        now = timezone.now()
        defaults = {f.attname: f.get_db_prep_save(f.get_default(), connection) for f in self._fields}
        defaults.update({f.attname: f.get_db_prep_save(now, connection) for f in self._timestamps})
        defaults.update(self.create_defaults)
        names = [f.attname for f in self._fields]
        quote = connection.ops.quote_name
        sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names from the model, values as parameters
            quote(self.model._meta.db_table),
            ", ".join(quote(f.column) for f in self._fields),
            ", ".join(["%s"] * len(names)),
        )
        with connection.cursor() as cursor:
            cursor.executemany(
                sql, [tuple(values.get(name, defaults[name]) for name in names) for values in rows]
            )
        if not self.on_batch:
            return []
        slugs = [values["slug"] for values in rows]
        return list(self.model._default_manager.filter(slug__in=slugs).values_list("id", flat=True))


def write_catalogue(
    *,
    categories=(),
    vendors=(),
    products=(),
    batch_size=BATCH_SIZE,
    match_existing=True,
    reindex=True,
    progress: Callable[[int], None] | None = None,
):
    """Write clean rows in one transaction, in batches; return the counts
    per kind. Rows are dicts of field values as the cleaners above give them,
    with references by slug: ``parent`` (categories), ``vendor`` and
    ``category`` (products). Rows may be generators: they are read once.

    ``match_existing=False`` skips looking up existing slugs (for a caller
    that knows the tables are empty). ``reindex`` keeps the search index in
    step batch by batch; a caller filling empty tables may pass False and
    reindex everything once at the end. ``progress(n)`` is called with the
    number of product rows written so far.
    """
    counts = {}
    with transaction.atomic():
        counts["categories"] = _write_categories(
            list(categories), batch_size=batch_size, match_existing=match_existing, reindex=reindex
        )
        vendor_writer = BatchWriter(
            Vendor,
            batch_size=batch_size,
            match_existing=match_existing,
            on_batch=_reindex_products_of("vendor") if reindex else None,
        )
        counts["vendors"] = vendor_writer.write(vendors)
        counts["products"] = _write_products(
            products,
            batch_size=batch_size,
            match_existing=match_existing,
            reindex=reindex,
            progress=progress,
        )
    return counts


def _write_categories(rows, *, batch_size, match_existing, reindex):
    """Top-level categories first, so that every parent exists when its
    subcategories are written."""
    writer = BatchWriter(
        Category,
        batch_size=batch_size,
        match_existing=match_existing,
        on_batch=_reindex_products_of("category") if reindex else None,
    )
    top, sub = [], []
    for values in rows:
        values = dict(values)
        parent = values.pop("parent", _OMIT)
        if parent is None:
            values["parent_id"] = None
        if parent in (None, _OMIT):
            top.append(values)
        else:
            sub.append((values, parent))
    writer.write(top)
    ids = dict(Category.objects.values_list("slug", "id"))
    return writer.write({**values, "parent_id": ids[parent]} for values, parent in sub)


def _write_products(rows, *, batch_size, match_existing, reindex, progress):
    writer = BatchWriter(
        Product,
        batch_size=batch_size,
        create_defaults={"status": Status.PUBLISHED.value},
        match_existing=match_existing,
        on_batch=_reindex_written if reindex else None,
    )
    category_ids = dict(Category.objects.values_list("slug", "id"))
    categories = category_copies()
    done = 0
    for batch in _batches(rows, batch_size):
        vendor_slugs = {values["vendor"] for values in batch}
        vendors = {
            slug: (pk, district_id, active)
            for slug, pk, district_id, active in Vendor.objects.filter(slug__in=vendor_slugs).values_list(
                "slug", "id", "district_id", "active"
            )
        }
        for values in batch:
            values = dict(values)
            # The copies of the vendor and the category (products.models.
            # COPIED_COLUMNS; a vendor or category changed above has had its
            # existing products put right by its QuerySet's bulk_update).
            vendor = vendors[values.pop("vendor")]
            values["vendor_id"], values["district_id"], values["vendor_active"] = vendor
            values["category_id"] = category_ids[values.pop("category")]
            values["top_category_id"], values["category_visible"] = categories[values["category_id"]]
            writer.add(values)
        writer.flush()
        done += len(batch)
        if progress:
            progress(done)
    return writer.counts


def _forget_queries():
    """With DEBUG on, Django keeps the SQL of recent queries; a bulk insert's
    SQL is large, so a long import would hold hundreds of megabytes of it.
    (Left alone while a test counts queries.)"""
    if settings.DEBUG and not connection.force_debug_cursor:
        reset_queries()


def _reindex_written(created, updated):
    if created or updated:
        search.reindex(created + updated, fold=False)


def _reindex_products_of(kind):
    """An ``on_batch`` for vendors and categories: the index holds their
    names, so the products of a changed vendor or category (or of its
    subcategories) are reindexed."""

    def on_batch(created, updated):
        if not updated:
            return
        if kind == "vendor":
            products = Product.objects.filter(vendor_id__in=updated)
        else:
            products = Product.objects.filter(Q(category_id__in=updated) | Q(category__parent_id__in=updated))
        ids = products.values_list("id", flat=True).iterator(chunk_size=BATCH_SIZE)
        for chunk in _batches(ids, BATCH_SIZE):
            search.reindex(chunk, fold=False)

    return on_batch


@contextmanager
def indexes_built_after(model):
    """For a bulk load into an EMPTY table on PostgreSQL: drop the table's
    plain (non-unique) indexes, and build each once when the rows are in,
    in the same transaction (a failure rolls the drops back too). Keeping
    twenty-odd indexes up to date row by row made seeding 1,000,000 products
    take longer than building them afterwards. Only for an empty table: the
    drops lock the table until the commit. Elsewhere a no-op."""
    if connection.vendor != "postgresql":
        yield
        return
    if not connection.in_atomic_block:
        raise RuntimeError("indexes_built_after() runs inside a transaction")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
            " AND tablename = %s AND indexdef NOT LIKE 'CREATE UNIQUE INDEX%%'",
            [model._meta.db_table],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        # The deferred foreign-key checks of the new rows run now (they would
        # at commit): PostgreSQL builds no index while they are pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for _name, definition in indexes:
            cursor.execute(definition)


def refresh_statistics():
    """Let the database's planner see the rows a bulk load wrote: ANALYZE
    (and on PostgreSQL, outside a transaction, VACUUM of the products, which
    marks their pages all-visible so the catalogue's covering indexes are
    read without visiting the table). Until autovacuum gets there, a freshly
    loaded catalogue is otherwise planned blind: at 1,000,000 products list
    pages took seconds instead of milliseconds (docs/performance.md)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            cursor.execute(f"VACUUM (ANALYZE) {Product._meta.db_table}")
        cursor.execute("ANALYZE")


def bump_catalogue_cache():
    """Tell the catalogue's caches that the data changed (when the cache module exists)."""
    try:
        from . import cache
    except ImportError:
        return
    if hasattr(cache, "bump"):
        cache.bump()


# --------------------------------------------------------------------------
# The import
# --------------------------------------------------------------------------


def import_catalogue(
    *, categories=None, vendors=None, products=None, dry_run=False, batch_size=BATCH_SIZE, progress=None
):
    """Import CSV files (paths; any may be None) and return an ImportResult.

    Raises :class:`ImportFailed` with every problem when any row is bad,
    having written nothing. With ``dry_run`` the writing runs inside the
    transaction and is rolled back, so the counts say exactly what an import
    would do and nothing is kept.
    """
    started = time.monotonic()
    files = {
        kind: _CsvFile(path, kind)
        for kind, path in (("categories", categories), ("vendors", vendors), ("products", products))
        if path is not None
    }
    problems = _Problems()
    _Checker(files, problems, batch_size).run()
    if problems:
        order = {source.label: position for position, source in enumerate(files.values())}
        kept = sorted(problems.kept, key=lambda p: (order.get(p.file, 0), p.row or 0))
        raise ImportFailed(kept, problems.total)

    def stream(kind, spec):
        """The rows of one file, cleaned again (the second pass)."""
        if kind not in files:
            return
        late = _Problems()
        for row_number, cells in files[kind].rows(late):
            values, errors = _clean(kind, spec, cells)
            for column, reason in errors:
                late.add(files[kind].label, row_number, column, reason)
            if late:  # the file changed since it was checked: stop, and roll back
                raise ImportFailed(late.kept, late.total)
            yield values
        if late:
            raise ImportFailed(late.kept, late.total)

    # A first load into an empty catalogue (the city's register) builds the
    # products' indexes once after the rows, on PostgreSQL: the import then
    # takes ~40% less time. Pages that read products wait for its commit;
    # with an empty catalogue they had nothing to show. Later imports keep
    # the indexes (the site stays readable while they run).
    first_load = products is not None and not dry_run and not Product.objects.exists()
    with transaction.atomic(), indexes_built_after(Product) if first_load else nullcontext():
        counts = write_catalogue(
            categories=stream("categories", _category_spec()),
            vendors=stream("vendors", _vendor_spec()),
            products=stream("products", _product_spec()),
            batch_size=batch_size,
            reindex=not first_load,
            progress=progress,
        )
        if dry_run:
            transaction.set_rollback(True)
        elif first_load:
            # Every product is this import's: the search index is built once
            # from all of them, its indexes after its rows, not grown batch
            # by batch (docs/performance-history.md, seventeenth session).
            search.reindex()
        else:
            # The batches' products are folded into the search's postings
            # once, not batch by batch (each fold rewrites a bucket's arrays).
            search.fold_waiting()
    if not dry_run:
        bump_catalogue_cache()
        refresh_statistics()
    return ImportResult(counts=counts, seconds=time.monotonic() - started, dry_run=dry_run)
