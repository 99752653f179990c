"""The spreadsheet import (products/importer.py and the import_catalogue command)."""

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from products import cache as catalogue_cache
from products import search
from products.importer import ImportFailed, import_catalogue, parse_price
from products.models import Availability, Category, Product, Status
from tests.factories import CategoryFactory, VendorFactory, product_indexes, waiting
from vendors.models import Vendor

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"

CATEGORY_HEADER = ["slug", "name", "parent"]
VENDOR_HEADER = ["slug", "name", "district", "whatsapp", "address", "description", "verified", "active"]
PRODUCT_HEADER = [
    "slug",
    "vendor",
    "category",
    "name",
    "price",
    "unit",
    "availability",
    "certifications",
    "export_ready",
    "status",
    "description",
]


def write_csv(path, header, rows, *, encoding="utf-8", delimiter=","):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def vendor_row(n, **changes):
    row = {
        "slug": f"usaha-{n}",
        "name": f"Usaha {n}",
        "district": "balikpapan-utara",
        "whatsapp": f"0812 5500 {n:04d}",
        "address": f"Jl. Soekarno-Hatta Km {n}",
        "description": "",
        "verified": "",
        "active": "",
    }
    row.update(changes)
    return [row[column] for column in VENDOR_HEADER]


def product_row(n, **changes):
    row = {
        "slug": f"produk-{n}",
        "vendor": f"usaha-{n % 5}",
        "category": "amplang-kerupuk",
        "name": f"Amplang Ikan Tenggiri {n}",
        "price": "35000",
        "unit": "250 g",
        "availability": "ready",
        "certifications": "halal;pirt",
        "export_ready": "no",
        "status": "",
        "description": "Renyah dan gurih.",
    }
    row.update(changes)
    return [row[column] for column in PRODUCT_HEADER]


@pytest.fixture
def files(tmp_path):
    """Good files: 2 categories, 5 vendors, 30 products."""
    return {
        "categories": write_csv(
            tmp_path / "categories.csv",
            CATEGORY_HEADER,
            [
                ["makanan-minuman", "Makanan & Minuman", ""],
                ["amplang-kerupuk", "Amplang & Kerupuk", "makanan-minuman"],
            ],
        ),
        "vendors": write_csv(tmp_path / "vendors.csv", VENDOR_HEADER, [vendor_row(n) for n in range(5)]),
        "products": write_csv(tmp_path / "products.csv", PRODUCT_HEADER, [product_row(n) for n in range(30)]),
    }


def table_counts():
    return Category.objects.count(), Vendor.objects.count(), Product.objects.count()


def run(**files):
    """Run the command; return (stdout, stderr, error or None)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_catalogue", stdout=out, stderr=err, **{k: str(v) for k, v in files.items()})
    except CommandError as error:
        return out.getvalue(), err.getvalue(), error
    return out.getvalue(), err.getvalue(), None


# Good files ---------------------------------------------------------------------------------


def test_documented_example_imports_as_described():
    out, err, error = run(
        categories=EXAMPLES / "categories.csv",
        vendors=EXAMPLES / "vendors.csv",
        products=EXAMPLES / "products.csv",
    )
    assert error is None, err
    assert "Produk: 4 baru, 0 diubah, 0 tetap." in out

    ani = Vendor.objects.get(slug="amplang-bu-ani")
    assert ani.whatsapp == "6281254321098"
    assert ani.verified and ani.active
    salmah = Vendor.objects.get(slug="lempok-hj-salmah")
    assert salmah.district.slug == "balikpapan-timur"  # given by name
    assert not salmah.verified and salmah.active  # empty flags: the defaults

    pedas = Product.objects.get(slug="amplang-tenggiri-pedas-250g")
    assert pedas.price == 37000  # "Rp 37.000"
    assert pedas.halal and pedas.pirt and not pedas.bpom
    assert pedas.status == Status.PUBLISHED  # empty status: published
    lempok = Product.objects.get(slug="lempok-durian-500g")
    assert lempok.availability == Availability.PREORDER
    assert lempok.category.parent.slug == "makanan-minuman"
    kalung = Product.objects.get(slug="kalung-manik-dayak")
    assert kalung.status == Status.DRAFT and kalung.export_ready
    assert set(Product.objects.visible().values_list("slug", flat=True)) == {
        "amplang-tenggiri-original-250g",
        "amplang-tenggiri-pedas-250g",
        "lempok-durian-500g",
    }


def test_imported_products_are_found_by_search(files):
    import_catalogue(**files)
    found = search.matching(Product.objects.visible(), "amplang tenggiri")
    assert found.count() == 30


def test_a_later_import_keeps_search_in_step_with_what_it_writes(files, tmp_path):
    """A first load builds the search index once at its end; an import into
    a filled catalogue indexes what it writes as it goes: a renamed product
    is found by its new name only, a new one at once."""
    import_catalogue(**files)
    rows = [product_row(n) for n in range(30)]
    rows[4] = product_row(4, name="Lempok Durian Spesial")
    rows.append(product_row(30, name="Kerupuk Kepiting Pedas"))
    import_catalogue(products=write_csv(tmp_path / "products-2.csv", PRODUCT_HEADER, rows))

    visible = Product.objects.visible()
    assert list(search.matching(visible, "lempok").values_list("slug", flat=True)) == ["produk-4"]
    assert list(search.matching(visible, "kepiting").values_list("slug", flat=True)) == ["produk-30"]
    assert search.matching(visible, "amplang tenggiri").count() == 29


@pytest.mark.backend("postgresql")
def test_a_first_load_leaves_no_product_waiting_for_the_search_postings(files):
    import_catalogue(**files)
    assert waiting() == 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM products_search")
        assert cursor.fetchone()[0] == 30
    assert search.matching(Product.objects.visible(), "tenggiri").count() == 30


def test_importing_the_same_files_again_changes_nothing(files):
    first = import_catalogue(**files)
    assert (first.counts["vendors"].created, first.counts["products"].created) == (5, 30)
    stamps = dict(Product.objects.values_list("slug", "updated_at"))
    vendor_stamps = dict(Vendor.objects.values_list("slug", "updated_at"))

    again = import_catalogue(**files)

    for kind, total in (("categories", 2), ("vendors", 5), ("products", 30)):
        counts = again.counts[kind]
        assert (counts.created, counts.updated, counts.unchanged) == (0, 0, total)
    assert dict(Product.objects.values_list("slug", "updated_at")) == stamps
    assert dict(Vendor.objects.values_list("slug", "updated_at")) == vendor_stamps


def test_a_changed_row_updates_only_its_record(files, tmp_path):
    import_catalogue(**files)
    stamps = dict(Product.objects.values_list("slug", "updated_at"))
    rows = [product_row(n) for n in range(30)]
    rows[7] = product_row(7, price="39.500", availability="soldout", certifications="halal;pirt;bpom")
    changed = write_csv(tmp_path / "products-2.csv", PRODUCT_HEADER, rows)

    result = import_catalogue(products=changed)

    assert (result.counts["products"].updated, result.counts["products"].unchanged) == (1, 29)
    product = Product.objects.get(slug="produk-7")
    assert (product.price, product.availability, product.bpom) == (39500, "soldout", True)
    assert product.updated_at > stamps["produk-7"]
    assert Product.objects.get(slug="produk-8").updated_at == stamps["produk-8"]


def test_empty_flags_and_status_keep_what_staff_set(files):
    import_catalogue(**files)
    Vendor.objects.filter(slug="usaha-1").update(verified=True, active=False)
    Product.objects.filter(slug="produk-3").update(status=Status.ARCHIVED)

    result = import_catalogue(**files)

    assert result.counts["vendors"].updated == 0 and result.counts["products"].updated == 0
    vendor = Vendor.objects.get(slug="usaha-1")
    assert vendor.verified and not vendor.active
    assert Product.objects.get(slug="produk-3").status == Status.ARCHIVED


def test_excel_export_with_bom_semicolons_and_a_blank_last_line(tmp_path):
    CategoryFactory(slug="kue-roti", name="Kue & Roti")
    VendorFactory(slug="dapur-rini")
    path = tmp_path / "excel.csv"
    write_csv(
        path,
        ["Name", "Slug", "Vendor", "Category", "Price", "Certifications"],  # any order, any case
        [
            ["Bingka Kentang", "bingka-kentang", "dapur-rini", "kue-roti", "55.000", "halal;pirt"],
            ["", "", "", ""],
        ],
        encoding="utf-8-sig",
        delimiter=";",
    )

    import_catalogue(products=path)

    product = Product.objects.get(slug="bingka-kentang")
    assert (product.name, product.price, product.halal, product.pirt) == ("Bingka Kentang", 55000, True, True)
    # Columns left out: the defaults.
    assert (product.availability, product.status, product.unit, product.featured) == (
        "ready",
        "published",
        "",
        False,
    )


def test_an_import_retires_the_cached_catalogue_figures(files):
    before = catalogue_cache.version()
    import_catalogue(**files)
    assert catalogue_cache.version() != before


def test_dry_run_reports_counts_and_writes_nothing(files):
    out, err, error = run(dry_run=True, **files)
    assert error is None, err
    assert "Usaha: 5 baru, 0 diubah, 0 tetap." in out
    assert "Produk: 30 baru, 0 diubah, 0 tetap." in out
    assert table_counts() == (0, 0, 0)


def test_a_subcategory_may_hang_under_an_existing_category(tmp_path):
    CategoryFactory(slug="kerajinan", name="Kerajinan")
    path = write_csv(
        tmp_path / "categories.csv", CATEGORY_HEADER, [["manik-manik", "Manik-manik", "kerajinan"]]
    )
    import_catalogue(categories=path)
    assert Category.objects.get(slug="manik-manik").parent.slug == "kerajinan"


@pytest.mark.parametrize("text", ["25000", "25.000", "Rp 25.000", "Rp25.000", "rp. 25000", " 25000 "])
def test_price_accepts_whole_rupiah_as_people_write_it(text):
    assert parse_price(text) == 25000


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("-5000", "negatif"),
        ("25000,50", "tanpa sen"),
        ("25000.5", "tanpa sen"),
        ("dua puluh ribu", "bukan harga"),
        ("25,000", "titik"),
    ],
)
def test_price_rejects_what_is_not_whole_rupiah(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_price(text)


# Bad files: every problem reported, nothing written ------------------------------------------


def bad_product(**changes):
    """30 good product rows, then a bad one: the spreadsheet's row 32."""
    return "products", [product_row(n) for n in range(30)] + [product_row(30, **changes)], 32


def bad_vendor(**changes):
    """5 good vendor rows, then a bad one: the spreadsheet's row 7."""
    return "vendors", [vendor_row(n) for n in range(5)] + [vendor_row(5, **changes)], 7


# case: (file, rows, bad row), column named, words in the reason
BAD_CASES = {
    "unknown vendor": (bad_product(vendor="tidak-ada"), "vendor", "“tidak-ada” tidak ada"),
    "unknown category": (bad_product(category="sepatu"), "category", "“sepatu” tidak ada"),
    "negative price": (bad_product(price="-1000"), "price", "tidak boleh negatif"),
    "non-numeric price": (bad_product(price="gratis"), "price", "bukan harga"),
    "price with sen": (bad_product(price="25000,50"), "price", "tanpa sen"),
    "price with commas": (bad_product(price="25,000"), "price", "ribuan dengan titik"),
    "duplicate slug": (bad_product(slug="produk-4"), "slug", "sudah dipakai di baris 6"),
    "bad availability": (bad_product(availability="ada"), "availability", "ready|preorder|soldout"),
    "bad certification": (bad_product(certifications="halal;iso9001"), "certifications", "“iso9001”"),
    "bad export flag": (bad_product(export_ready="mungkin"), "export_ready", "bukan ya/tidak"),
    "bad status": (bad_product(status="tayang"), "status", "draft|published|archived"),
    "empty name": (bad_product(name=""), "name", "wajib diisi"),
    "empty price": (bad_product(price=""), "price", "wajib diisi"),
    "bad slug": (bad_product(slug="Produk Baru!"), "slug", "bukan slug"),
    "unknown district": (bad_vendor(district="Samarinda Ulu"), "district", "“Samarinda Ulu” tidak dikenal"),
    "landline phone": (bad_vendor(whatsapp="0542 733 123"), "whatsapp", "bukan nomor ponsel"),
    "letters in phone": (bad_vendor(whatsapp="0812-WA-SAJA"), "whatsapp", "hanya boleh berisi angka"),
    "bad verified flag": (bad_vendor(verified="mungkin"), "verified", "bukan ya/tidak"),
    "empty whatsapp": (bad_vendor(whatsapp=""), "whatsapp", "wajib diisi"),
    "duplicate vendor slug": (bad_vendor(slug="usaha-0"), "slug", "sudah dipakai di baris 2"),
}


@pytest.mark.parametrize("case", BAD_CASES, ids=list(BAD_CASES))
def test_a_bad_row_aborts_the_whole_import(case, files, tmp_path):
    (kind, rows, row_number), column, words = BAD_CASES[case]
    header = PRODUCT_HEADER if kind == "products" else VENDOR_HEADER
    files[kind] = write_csv(tmp_path / f"{kind}.csv", header, rows)

    out, err, error = run(**files)

    assert error is not None
    assert "tidak ada data yang disimpan" in str(error)
    assert f"{kind}.csv, baris {row_number}, kolom {column}: " in err
    assert words in err
    assert table_counts() == (0, 0, 0)


def test_nothing_changes_in_a_filled_database_when_the_last_of_many_rows_is_bad(files, tmp_path):
    import_catalogue(**files)
    before = table_counts()
    stamps = dict(Product.objects.values_list("slug", "updated_at"))
    rows = [product_row(n, price="99000") for n in range(30)]  # would update all 30 ...
    rows += [product_row(n) for n in range(30, 100)]  # ... and create 70
    rows.append(product_row(100, price="-1"))  # but the last is bad
    path = write_csv(tmp_path / "products-2.csv", PRODUCT_HEADER, rows)

    with pytest.raises(ImportFailed) as failure:
        import_catalogue(products=path, batch_size=7)  # many batches

    assert [str(p) for p in failure.value.problems] == [
        "products-2.csv, baris 102, kolom price: “-1”: harga tidak boleh negatif."
    ]
    assert table_counts() == before
    assert dict(Product.objects.values_list("slug", "updated_at")) == stamps


def test_missing_and_extra_columns_are_named(files, tmp_path):
    header = [c for c in PRODUCT_HEADER if c != "price"] + ["stok"]
    rows = [[*product_row(n)[:4], *product_row(n)[5:], "10"] for n in range(3)]
    files["products"] = write_csv(tmp_path / "products.csv", header, rows)

    out, err, error = run(**files)

    assert error is not None
    assert "products.csv, baris 1, kolom stok: kolom tidak dikenal" in err
    assert "products.csv, baris 1, kolom price: kolom wajib ini tidak ada" in err
    assert table_counts() == (0, 0, 0)


def test_a_file_that_is_not_utf8_gets_a_clear_message(files, tmp_path):
    files["vendors"] = write_csv(
        tmp_path / "vendors.csv",
        VENDOR_HEADER,
        [vendor_row(0), vendor_row(1, name="Kue Señora"), *[vendor_row(n) for n in range(2, 5)]],
        encoding="latin-1",
    )

    out, err, error = run(**files)

    assert error is not None
    assert "vendors.csv, baris 3: berkas ini bukan teks UTF-8" in err
    assert "Traceback" not in err
    assert table_counts() == (0, 0, 0)


def test_every_problem_of_every_file_is_listed(files, tmp_path):
    files["vendors"] = write_csv(
        tmp_path / "vendors.csv",
        VENDOR_HEADER,
        [vendor_row(n) for n in range(4)] + [vendor_row(4, whatsapp="123")],
    )
    files["products"] = write_csv(
        tmp_path / "products.csv",
        PRODUCT_HEADER,
        [product_row(0, price="abc", availability="nanti"), product_row(1), product_row(2, vendor="siapa")],
    )

    out, err, error = run(**files)

    assert "vendors.csv, baris 6, kolom whatsapp" in err
    assert "products.csv, baris 2, kolom price" in err
    assert "products.csv, baris 2, kolom availability" in err
    assert "products.csv, baris 4, kolom vendor" in err
    assert "4 masalah" in str(error)


def test_a_long_list_of_problems_is_cut_with_a_count(files, tmp_path):
    files["products"] = write_csv(
        tmp_path / "products.csv", PRODUCT_HEADER, [product_row(n, price="-1") for n in range(250)]
    )

    out, err, error = run(**files)

    assert err.count("harga tidak boleh negatif") == 200
    assert "… dan 50 masalah lain." in err
    assert "250 masalah" in str(error)


def test_a_category_tree_deeper_than_two_levels_is_refused(tmp_path):
    path = write_csv(
        tmp_path / "categories.csv",
        CATEGORY_HEADER,
        [
            ["kerajinan", "Kerajinan", ""],
            ["rotan", "Rotan", "kerajinan"],
            ["tas-rotan", "Tas Rotan", "rotan"],
        ],
    )
    with pytest.raises(ImportFailed) as failure:
        import_catalogue(categories=path)
    # Both rows are named: either "rotan" is top-level or "tas-rotan" hangs elsewhere.
    assert [(p.row, p.column) for p in failure.value.problems] == [(3, "parent"), (4, "parent")]
    assert Category.objects.count() == 0


def test_the_command_needs_at_least_one_file():
    with pytest.raises(CommandError, match="minimal satu berkas"):
        call_command("import_catalogue")


@pytest.mark.backend("postgresql")
def test_a_first_load_builds_the_product_indexes_after_the_rows_and_keeps_every_one():
    """Into an empty catalogue the importer drops the products' plain indexes
    and builds them at the end (products.importer.indexes_built_after)."""
    before = product_indexes()
    out, err, error = run(
        categories=EXAMPLES / "categories.csv",
        vendors=EXAMPLES / "vendors.csv",
        products=EXAMPLES / "products.csv",
    )
    assert error is None, err
    assert Product.objects.count() == 4
    assert product_indexes() == before
