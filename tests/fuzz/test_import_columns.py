"""Property-based tests of the spreadsheet import: any text in any column
either imports fully or is refused with problems and writes nothing."""

import csv

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from products.importer import ImportFailed, import_catalogue
from products.models import Category, Product
from vendors.models import Vendor

GOOD = {
    "categories": {"slug": "kue-basah", "name": "Kue Basah", "parent": ""},
    "vendors": {
        "slug": "wadai-acil", "name": "Wadai Acil", "district": "balikpapan-kota",
        "whatsapp": "0812 5555 1234", "address": "Jl. Ahmad Yani", "description": "Wadai Banjar.",
        "verified": "ya", "active": "",
    },
    "products": {
        "slug": "bingka-kentang", "vendor": "wadai-acil", "category": "kue-basah", "name": "Bingka Kentang",
        "price": "35000", "unit": "1 loyang", "availability": "ready", "certifications": "halal;pirt",
        "export_ready": "tidak", "status": "", "description": "Bingka lembut khas Banjar.",
    },
}  # fmt: skip
MODELS = {"categories": Category, "vendors": Vendor, "products": Product}

cells = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=400),
    st.integers(min_value=-(10**25), max_value=10**25).map(str),
    st.sampled_from(["", " ", "\x00", "\n", '"', "=1+1", "ya", "tidak", "halal;;sni", "Rp 25.000", "25,5"]),
)


def write(tmp_path, kind, row):
    path = tmp_path / f"{kind}.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    return path


def snapshot():
    return {kind: list(model.objects.order_by("pk").values()) for kind, model in MODELS.items()}


@pytest.mark.django_db
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from(list(GOOD)),
    column=st.integers(min_value=0, max_value=10),
    value=cells,
)
@example(kind="products", column=4, value="\x00")  # NUL: the csv module and PostgreSQL refuse it
@example(kind="vendors", column=1, value="\x00")
def test_any_cell_imports_fully_or_writes_nothing(tmp_path_factory, kind, column, value):
    tmp_path = tmp_path_factory.mktemp("csv")
    rows = {name: dict(row) for name, row in GOOD.items()}
    name = list(rows[kind])[column % len(rows[kind])]
    rows[kind][name] = value
    paths = {k: write(tmp_path, k, row) for k, row in rows.items()}
    before = snapshot()

    try:
        import_catalogue(**paths)
    except ImportFailed as failure:
        assert failure.problems, "a refused import says why"
        assert all(str(problem) for problem in failure.problems)
        assert snapshot() == before, "a refused import wrote something"
        return

    # Accepted: every record is there, complete.
    assert (
        Category.objects.filter(slug=rows["categories"]["slug"] or "kue-basah").exists()
        or kind == "categories"
    )
    product = Product.objects.select_related("vendor", "category").get(slug=rows["products"]["slug"])
    assert product.vendor.slug == rows["products"]["vendor"]
    assert product.category.slug == rows["products"]["category"]
    assert product.price >= 0
