#!/usr/bin/env python
"""Generate the city's whole register as import files (a tool, not a test).

    .venv/bin/python bench/make_register_csv.py [--vendors 47000] [--products 470000]
        [--seed 42] [--out /tmp/register]

Writes categories.csv, vendors.csv and products.csv in the format of
docs/import.md, from the demo catalogue's generators (believable names,
addresses, WhatsApp numbers, prices), streamed row by row. The spreadsheet
habits the import accepts appear too: district by name or slug, yes/no and
ya/tidak flags, prices as 25000, 25.000 or Rp 25.000, empty optional cells.
Prints each file's rows and size. Import them with

    .venv/bin/python manage.py import_catalogue --categories OUT/categories.csv \\
        --vendors OUT/vendors.csv --products OUT/products.csv
"""

import argparse
import csv
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "umkm_directory.settings")

import django  # noqa: E402

django.setup()

from products.demo_data import CATEGORIES, DemoCatalogue  # noqa: E402
from products.importer import COLUMNS  # noqa: E402

DISTRICT_NAMES = {
    "balikpapan-barat": "Balikpapan Barat",
    "balikpapan-kota": "Balikpapan Kota",
    "balikpapan-selatan": "Balikpapan Selatan",
    "balikpapan-tengah": "Balikpapan Tengah",
    "balikpapan-timur": "Balikpapan Timur",
    "balikpapan-utara": "Balikpapan Utara",
}


def flag(value, rng):
    return rng.choice(("yes", "ya", "1")) if value else rng.choice(("no", "tidak", "0"))


def price(value, rng):
    style = rng.random()
    if style < 0.7:
        return str(value)
    dotted = f"{value:,}".replace(",", ".")
    return dotted if style < 0.9 else f"Rp {dotted}"


def whatsapp(normal, rng):
    national = normal[2:]
    style = rng.random()
    if style < 0.5:
        return "0" + national
    if style < 0.8:
        return f"+62 {national[:3]}-{national[3:7]}-{national[7:]}"
    return normal


def write(path, kind, rows):
    started = time.monotonic()
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS[kind])
        for row in rows:
            writer.writerow(row)
            count += 1
    size = path.stat().st_size
    print(f"{path}: {count:,} rows, {size / 1_000_000:.1f} MB ({time.monotonic() - started:.1f} s)")


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--vendors", type=int, default=47_000)
    parser.add_argument("--products", type=int, default=470_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=Path("/tmp/register"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    catalogue = DemoCatalogue(args.seed)
    rng = random.Random(args.seed)

    write(
        args.out / "categories.csv",
        "categories",
        ([slug, name, parent or ""] for slug, name, parent, _d in CATEGORIES),
    )

    def vendors():
        for number in range(args.vendors):
            v = catalogue.extra_vendor(number)
            district = v["district"] if rng.random() < 0.7 else DISTRICT_NAMES[v["district"]]
            yield [
                v["slug"],
                v["name"],
                district,
                whatsapp(v["whatsapp"], rng),
                v["address"],
                v["description"],
                flag(v["verified"], rng) if rng.random() < 0.8 else "",
                flag(v["active"], rng) if rng.random() < 0.5 else "",
            ]

    write(args.out / "vendors.csv", "vendors", vendors())

    def products():
        for p in catalogue.extra_products(args.products, args.vendors):
            certifications = ";".join(c for c in ("halal", "pirt", "bpom", "sni") if p[c])
            yield [
                p["slug"],
                p["vendor"],
                p["category"],
                p["name"],
                price(p["price"], rng),
                p["unit"],
                p["availability"],
                certifications,
                flag(p["export_ready"], rng),
                p["status"] if rng.random() < 0.5 else ("" if p["status"] == "published" else p["status"]),
                p["description"],
            ]

    write(args.out / "products.csv", "products", products())


if __name__ == "__main__":
    main()
