"""products.filters.ProductFilter: each filter alone and combined with its
counts, facet counts, chips, bad input, sort orders, the visibility rule and
the number of queries."""

from array import array
from datetime import timedelta

import pytest
from django.core.cache import cache as django_cache
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from products import filters
from products.cards import cards
from products.filters import SORT_CHOICES, ProductFilter
from products.models import Availability, Product, Status
from tests.factories import CategoryFactory, ProductFactory, VendorFactory, district
from umkm_directory import pagination

pytestmark = pytest.mark.django_db


def flt(query="", **kwargs):
    return ProductFilter(QueryDict(query), **kwargs)


def names(filterset):
    return [p.name for p in filterset.qs]


def facet(filterset, name):
    return {o.value: o.count for o in filterset.facets()[name]}


@pytest.fixture(autouse=True)
def indonesian():
    with translation.override("id"):
        yield


@pytest.fixture
def catalogue():
    """Five visible products, and hidden ones that would match every filter."""
    food = CategoryFactory(name="Makanan & Minuman", slug="makanan-minuman", position=1)
    snacks = CategoryFactory(name="Camilan", slug="camilan", parent=food)
    drinks = CategoryFactory(name="Minuman Herbal", slug="minuman-herbal", parent=food)
    crafts = CategoryFactory(name="Kerajinan", slug="kerajinan", position=2)
    ani = VendorFactory(name="Dapur Bu Ani", slug="dapur-bu-ani", district=district("balikpapan-kota"))
    budi = VendorFactory(name="Toko Pak Budi", slug="toko-pak-budi", district=district("balikpapan-barat"))
    visible = [
        dict(name="Amplang Tenggiri", category=snacks, vendor=ani, price=25000, halal=True, pirt=True,
             export_ready=True),
        dict(name="Kerupuk Udang", category=snacks, vendor=budi, price=15000, halal=True,
             availability=Availability.SOLDOUT),
        dict(name="Jamu Kunyit", category=drinks, vendor=ani, price=12000, halal=True, pirt=True, bpom=True),
        dict(name="Tas Anyaman", category=crafts, vendor=budi, price=150000, sni=True, export_ready=True,
             availability=Availability.PREORDER),
        dict(name="Gelang Manik", category=crafts, vendor=ani, price=50000),
    ]  # fmt: skip
    for fields in visible:
        ProductFactory(**fields)

    # Hidden: each would match "amplang", every certification and both flags.
    hidden = dict(price=25000, halal=True, pirt=True, bpom=True, sni=True, export_ready=True)
    ProductFactory(name="Amplang Draf", category=snacks, vendor=ani, status=Status.DRAFT, **hidden)
    ProductFactory(name="Amplang Lama", category=snacks, vendor=ani, status=Status.ARCHIVED, **hidden)
    closed = VendorFactory(name="Toko Tutup", slug="toko-tutup", active=False)
    ProductFactory(name="Amplang Toko Tutup", category=snacks, vendor=closed, **hidden)
    seasonal = CategoryFactory(name="Musiman", slug="musiman", active=False)
    hampers = CategoryFactory(name="Parsel", slug="parsel", parent=seasonal)
    ProductFactory(name="Amplang Parsel", category=hampers, vendor=ani, **hidden)
    cakes = CategoryFactory(name="Kue Basah", slug="kue-basah", parent=food, active=False)
    ProductFactory(name="Amplang Kue", category=cakes, vendor=ani, **hidden)
    return {"food": food, "snacks": snacks, "crafts": crafts, "hampers": hampers, "ani": ani}


# --- each filter alone, with its count -----------------------------------


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", {"Amplang Tenggiri", "Kerupuk Udang", "Jamu Kunyit", "Tas Anyaman", "Gelang Manik"}),
        ("q=amplang", {"Amplang Tenggiri"}),
        ("q=ANI", {"Amplang Tenggiri", "Jamu Kunyit", "Gelang Manik"}),  # the vendor's name
        ("category=makanan-minuman", {"Amplang Tenggiri", "Kerupuk Udang", "Jamu Kunyit"}),  # with subs
        ("category=camilan", {"Amplang Tenggiri", "Kerupuk Udang"}),
        ("category=kerajinan", {"Tas Anyaman", "Gelang Manik"}),
        ("district=balikpapan-kota", {"Amplang Tenggiri", "Jamu Kunyit", "Gelang Manik"}),
        ("district=balikpapan-barat", {"Kerupuk Udang", "Tas Anyaman"}),
        ("vendor=toko-pak-budi", {"Kerupuk Udang", "Tas Anyaman"}),
        ("price_min=25000", {"Amplang Tenggiri", "Tas Anyaman", "Gelang Manik"}),  # inclusive
        ("price_max=25000", {"Amplang Tenggiri", "Kerupuk Udang", "Jamu Kunyit"}),  # inclusive
        ("price_min=15000&price_max=25000", {"Amplang Tenggiri", "Kerupuk Udang"}),
        ("cert=halal", {"Amplang Tenggiri", "Kerupuk Udang", "Jamu Kunyit"}),
        ("cert=halal&cert=pirt", {"Amplang Tenggiri", "Jamu Kunyit"}),  # must have all
        ("cert=halal&cert=pirt&cert=bpom", {"Jamu Kunyit"}),
        ("cert=sni", {"Tas Anyaman"}),
        ("export_ready=1", {"Amplang Tenggiri", "Tas Anyaman"}),
        ("in_stock=1", {"Amplang Tenggiri", "Jamu Kunyit", "Gelang Manik"}),
        ("in_stock=on", {"Amplang Tenggiri", "Jamu Kunyit", "Gelang Manik"}),  # a checkbox without value
        ("export_ready=0&in_stock=", {"Amplang Tenggiri", "Kerupuk Udang", "Jamu Kunyit", "Tas Anyaman",
                                      "Gelang Manik"}),
    ],
)  # fmt: skip
def test_each_filter_alone_with_its_count(catalogue, query, expected):
    filterset = flt(query)
    assert set(names(filterset)) == expected
    assert filterset.count() == len(expected)
    assert filterset.messages == []


def test_filters_combine(catalogue):
    filterset = flt("category=makanan-minuman&district=balikpapan-kota&cert=halal&in_stock=1&price_max=30000")
    assert set(names(filterset)) == {"Amplang Tenggiri", "Jamu Kunyit"}
    assert filterset.count() == 2

    filterset = flt("q=amplang&district=balikpapan-barat")
    assert names(filterset) == []
    assert filterset.count() == 0


def test_without_parameters_or_data_it_lists_the_visible_products(catalogue):
    assert ProductFilter().count() == ProductFilter(None).count() == Product.objects.visible().count() == 5
    assert ProductFilter({"cert": "halal"}).count() == 3  # a plain dict works too


def test_a_queryset_given_is_still_held_to_the_visibility_rule(catalogue):
    filterset = ProductFilter(QueryDict(), queryset=Product.objects.filter(name__startswith="Amplang"))
    assert names(filterset) == ["Amplang Tenggiri"]


# --- facet counts ---------------------------------------------------------


def test_facet_counts_follow_the_other_active_filters(catalogue):
    filterset = flt("category=makanan-minuman&district=balikpapan-kota&cert=halal")
    assert set(names(filterset)) == {"Amplang Tenggiri", "Jamu Kunyit"}

    # Each disjunctive facet ignores its own filter but keeps all the others.
    assert facet(filterset, "category") == {"makanan-minuman": 2, "kerajinan": 0}
    districts = facet(filterset, "district")
    assert districts["balikpapan-kota"] == 2
    assert districts["balikpapan-barat"] == 1
    assert sum(districts.values()) == 3
    # Certifications and flags narrow the current results.
    assert facet(filterset, "cert") == {"halal": 2, "pirt": 2, "bpom": 1, "sni": 0}
    facets = filterset.facets()
    assert facets["export_ready"].count == 1
    assert facets["in_stock"].count == 2


def test_facets_mark_the_selected_options(catalogue):
    facets = flt("category=camilan&district=balikpapan-barat&cert=halal&export_ready=1").facets()
    assert [o.value for o in facets["category"] if o.selected] == ["makanan-minuman"]  # the parent of camilan
    assert [o.value for o in facets["district"] if o.selected] == ["balikpapan-barat"]
    assert [o.value for o in facets["cert"] if o.selected] == ["halal"]
    assert facets["export_ready"].selected and not facets["in_stock"].selected


def test_facet_options_are_labelled_and_listed_even_at_zero(catalogue):
    facets = flt("").facets()
    assert [(o.value, o.label, o.count) for o in facets["category"]] == [
        ("makanan-minuman", "Makanan & Minuman", 3),
        ("kerajinan", "Kerajinan", 2),
    ]
    assert len(facets["district"]) == 6  # every district, the empty ones with 0
    assert facets["export_ready"].label == "Siap ekspor"
    assert [o.label for o in facets["cert"]] == ["Halal", "P-IRT", "BPOM", "SNI"]


def test_hidden_products_never_count(catalogue):
    filterset = flt("")
    facets = filterset.facets()
    assert filterset.count() == 5
    assert sum(o.count for o in facets["category"]) == 5
    assert sum(o.count for o in facets["district"]) == 5
    assert facet(filterset, "cert") == {"halal": 3, "pirt": 2, "bpom": 1, "sni": 1}
    assert facets["export_ready"].count == 2
    assert "musiman" not in facet(filterset, "category")
    assert flt("q=amplang").count() == 1


@pytest.mark.parametrize("slug", ["musiman", "parsel", "kue-basah"])
def test_hidden_categories_are_unknown(catalogue, slug):
    filterset = flt(f"category={slug}")
    assert names(filterset) == []
    assert filterset.messages == [f"Kategori “{slug}” tidak ditemukan."]


def test_an_inactive_vendor_is_unknown(catalogue):
    filterset = flt("vendor=toko-tutup")
    assert names(filterset) == []
    assert filterset.messages == ["Usaha “toko-tutup” tidak ditemukan."]


def one_cell(catalogue):
    """Four more products of one cell of the cube (category, district,
    flags), two of them at one price: a price range may start or end
    inside a cell, or between two of its prices."""
    for name, price in [("Kecil", 10000), ("Sedang", 25000), ("Besar", 25000), ("Jumbo", 30000)]:
        snacks, ani = catalogue["snacks"], catalogue["ani"]
        ProductFactory(name=f"Amplang {name}", category=snacks, vendor=ani, price=price)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "category=makanan-minuman",
        "category=camilan&district=balikpapan-kota",
        "district=balikpapan-barat&cert=halal",
        "cert=halal&cert=pirt&in_stock=1",
        "export_ready=1&category=kerajinan",
        "category=tidak-ada&district=balikpapan-kota",
        "district=tidak-ada",
        # With a price range: price_cube(), bounds included, between prices,
        # outside every price, and swapped by the form.
        "price_min=25000",
        "price_max=25000",
        "price_min=15001&price_max=49999",
        "price_min=12000&price_max=12000&cert=halal",
        "price_min=150001",
        "price_max=11999",
        "price_min=60000&price_max=20000&district=balikpapan-kota",
        "price_max=60000&category=camilan&in_stock=1",
        "price_min=20000&price_max=27000&category=camilan",
        "price_min=10001",
        "price_max=29999&district=balikpapan-kota",
    ],
)
def test_counts_from_the_cube_equal_counts_from_sql(catalogue, query):
    one_cell(catalogue)
    for fixed in (None, catalogue["food"]):
        filterset = flt(query, category=fixed)
        assert filterset._aggregates_from_cube() == filterset._compute_aggregates()


def test_price_cube_cells_add_up_to_the_cube(catalogue):
    one_cell(catalogue)
    assert sorted(filters.price_cube().cells()) == sorted(filters.cube())
    # Every price range is the products priced within it.
    prices = sorted(Product.objects.visible().values_list("price", flat=True))
    for low, high in [
        (None, None), (25000, 25000), (12001, 149999), (0, 11999), (150000, None), (None, 25000),
        (9000, 26000), (26000, 31000), (10001, None), (None, 29999),
    ]:  # fmt: skip
        expected = sum((low is None or p >= low) and (high is None or p <= high) for p in prices)
        assert sum(cell[-1] for cell in filters.price_cube().cells(low, high)) == expected, (low, high)


def test_pages_with_a_price_range_share_one_cached_price_cube(catalogue, django_assert_max_num_queries):
    flt("price_min=1").facets()  # reference data and the price cube
    with django_assert_max_num_queries(0):
        for query in ["price_min=20000", "price_max=30000&category=camilan", "price_max=99&cert=halal"]:
            filterset = flt(query)
            filterset.count()
            filterset.facets()
    assert flt("price_min=20000&category=kerajinan").count() == 2


def test_pages_without_search_vendor_or_price_share_one_cached_cube(catalogue, django_assert_max_num_queries):
    flt("").facets()  # reference data and the cube
    with django_assert_max_num_queries(0):
        for query in ["category=camilan", "district=balikpapan-kota&cert=halal", "in_stock=1&sort=name"]:
            filterset = flt(query)
            filterset.count()
            filterset.facets()
    assert flt("category=camilan&cert=halal").count() == 2


# --- inside a category page ----------------------------------------------


def test_a_fixed_category_keeps_results_inside_it(catalogue):
    filterset = flt("", category=catalogue["food"])
    assert set(names(filterset)) == {"Amplang Tenggiri", "Kerupuk Udang", "Jamu Kunyit"}
    assert [(o.value, o.count) for o in filterset.facets()["category"]] == [
        ("camilan", 2),
        ("minuman-herbal", 1),
    ]
    assert sum(o.count for o in filterset.facets()["district"]) == 3


def test_inside_a_category_the_parameter_picks_a_subcategory(catalogue):
    filterset = flt("category=camilan", category=catalogue["food"])
    assert set(names(filterset)) == {"Amplang Tenggiri", "Kerupuk Udang"}
    assert [(o.value, o.count, o.selected) for o in filterset.facets()["category"]] == [
        ("camilan", 2, True),
        ("minuman-herbal", 1, False),
    ]

    outside = flt("category=kerajinan", category=catalogue["food"])
    assert names(outside) == []
    assert outside.messages == ["Kategori “kerajinan” tidak ditemukan."]

    itself = flt("category=makanan-minuman", category=catalogue["food"])
    assert itself.count() == 3 and itself.messages == []


def test_a_fixed_subcategory_has_no_category_options(catalogue):
    filterset = flt("", category=catalogue["snacks"])
    assert filterset.count() == 2
    assert filterset.facets()["category"] == []


# --- bad input ------------------------------------------------------------


@pytest.mark.parametrize(
    "query, message",
    [
        ("price_min=abc", "Harga terendah harus berupa angka bulat, misalnya 10000."),
        ("price_max=1.5", "Harga tertinggi harus berupa angka bulat, misalnya 50000."),
        ("price_min=-100", "Harga tidak boleh negatif; saringan harga itu diabaikan."),
        ("price_max=99999999999999999999999999", "Harga terlalu besar; saringan harga itu diabaikan."),
        ("sort=cheapest", "Urutan yang diminta tidak dikenal; memakai urutan bawaan."),
        ("cert=iso9001", "Sertifikasi yang tidak dikenal diabaikan."),
        ("q=" + "a" * 10_000, "Kata pencarian terlalu panjang; hanya bagian awalnya yang dipakai."),
    ],
)
def test_bad_values_are_ignored_with_a_message(catalogue, query, message):
    filterset = flt(query)
    assert message in filterset.messages
    names(filterset)
    filterset.facets()
    filterset.chips()


def test_ignored_values_do_not_filter(catalogue):
    assert flt("price_min=abc&price_max=-5&sort=zzz&cert=iso").count() == 5
    assert flt("cert=halal&cert=iso").count() == 3  # the known value still applies


@pytest.mark.parametrize(
    "query, message",
    [
        ("category=tidak-ada", "Kategori “tidak-ada” tidak ditemukan."),
        ("district=samarinda-ulu", "Kecamatan “samarinda-ulu” tidak ditemukan."),
        ("vendor=tidak-ada", "Usaha “tidak-ada” tidak ditemukan."),
        ("q=%21%21%21", "Kata pencarian tidak berisi huruf atau angka, jadi tidak ada yang cocok."),
    ],
)
def test_unknown_values_give_a_friendly_empty_result(catalogue, query, message):
    filterset = flt(query)
    assert names(filterset) == []
    assert filterset.count() == 0
    assert filterset.messages == [message]


def test_prices_written_the_indonesian_way_are_understood(catalogue):
    assert flt("price_min=25.000").count() == 3
    assert flt("price_min=Rp 25.000&price_max=50,000").count() == 2


def test_a_minimum_above_the_maximum_is_swapped(catalogue):
    filterset = flt("price_min=25000&price_max=15000")
    assert set(names(filterset)) == {"Amplang Tenggiri", "Kerupuk Udang"}
    assert filterset.messages == ["Harga terendah lebih besar dari harga tertinggi; keduanya ditukar."]


@pytest.mark.parametrize(
    "query",
    [
        "q=%00amplang",
        "category=%00",
        "q=amplang'%20OR%201=1--",
        "q=<script>alert(1)</script>",
        "q=%F0%9F%98%80",
        "district=" + "x" * 5000,
        "vendor=../../etc/passwd",
        "cert=&cert=halal&cert=halal",
        "price_min=&price_max=",
        "sort=",
    ],
)
def test_odd_input_never_raises(catalogue, query):
    filterset = flt(query)
    names(filterset)
    filterset.count()
    filterset.facets()
    filterset.chips()
    assert isinstance(filterset.messages, list)


# --- sort orders ----------------------------------------------------------


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("newest", ["Gelang Manik", "Tas Anyaman", "Jamu Kunyit", "Kerupuk Udang", "Amplang Tenggiri"]),
        ("price_asc", ["Jamu Kunyit", "Kerupuk Udang", "Amplang Tenggiri", "Gelang Manik", "Tas Anyaman"]),
        ("price_desc", ["Tas Anyaman", "Gelang Manik", "Amplang Tenggiri", "Kerupuk Udang", "Jamu Kunyit"]),
        ("name", ["Amplang Tenggiri", "Gelang Manik", "Jamu Kunyit", "Kerupuk Udang", "Tas Anyaman"]),
    ],
)
def test_sort_orders(catalogue, sort, expected):
    filterset = flt(f"sort={sort}")
    assert filterset.sort == sort
    assert names(filterset) == expected


def test_default_sort_is_newest_without_search_and_relevance_with_it(catalogue):
    assert flt("").sort == "newest"
    assert flt("sort=relevance").sort == "newest"  # nothing to be relevant to
    assert flt("sort=bogus").sort == "newest"
    assert flt("q=manik").sort == "relevance"
    assert flt("q=manik&sort=price_asc").sort == "price_asc"


def test_relevance_puts_name_matches_first(catalogue):
    ProductFactory(name="Gula Aren", description="Cocok untuk jamu.", vendor=catalogue["ani"])
    assert names(flt("q=jamu")) == ["Jamu Kunyit", "Gula Aren"]


def test_sort_choices_are_labelled():
    assert [value for value, _label in SORT_CHOICES] == [
        "relevance",
        "newest",
        "price_asc",
        "price_desc",
        "name",
    ]


# --- form and chips -------------------------------------------------------


def test_the_form_is_bound_and_labelled_in_indonesian(catalogue):
    form = flt("q=amplang&cert=halal").form
    assert form.is_bound
    assert form["q"].value() == "amplang"
    assert str(form.fields["price_min"].label) == "Harga terendah (Rp)"
    assert str(form.fields["district"].label) == "Kecamatan"


def test_chips_remove_one_filter_each(catalogue):
    filterset = flt(
        "q=amplang&category=camilan&district=balikpapan-kota&vendor=dapur-bu-ani&price_min=1000"
        "&price_max=90000&cert=halal&cert=pirt&export_ready=1&in_stock=1&sort=price_asc&page=3"
    )
    chips = dict(filterset.chips())
    assert list(chips) == [
        "Cari: “amplang”",
        "Kategori: Camilan",
        "Kecamatan: Balikpapan Kota",
        "Usaha: Dapur Bu Ani",
        "Mulai Rp 1.000",
        "Sampai Rp 90.000",
        "Halal",
        "P-IRT",
        "Siap ekspor",
        "Stok tersedia",
    ]
    without_halal = QueryDict(chips["Halal"].removeprefix("?"))
    assert without_halal.getlist("cert") == ["pirt"]
    assert without_halal["sort"] == "price_asc"
    assert "page" not in without_halal
    without_district = QueryDict(chips["Kecamatan: Balikpapan Kota"].removeprefix("?"))
    assert "district" not in without_district and without_district["category"] == "camilan"
    # Each chip's link gives the results of the other filters.
    assert flt(chips["Cari: “amplang”"].removeprefix("?")).count() == 1  # Amplang Tenggiri also without q


def test_chip_links_drop_values_that_were_ignored(catalogue):
    chips = flt("cert=halal&price_min=abc&sort=zzz").chips()
    assert chips == [("Halal", "?")]


def test_no_chips_without_filters(catalogue):
    assert flt("sort=name&page=2").chips() == []


# --- queries --------------------------------------------------------------


def page_of(query):
    """What the catalogue page asks of the FilterSet, as the view does."""
    filterset = flt(query)
    filterset.count()
    products = cards(filterset.page_ids(0, 24))
    filterset.facets()
    filterset.chips()
    return products


FULL_QUERY = (
    "q=amplang&category=makanan-minuman&district=balikpapan-kota&vendor=dapur-bu-ani"
    "&price_min=1000&cert=halal&in_stock=1&sort=price_asc"
)


@pytest.mark.parametrize("query", ["", "category=camilan&sort=name", FULL_QUERY])
def test_queries_are_few_and_do_not_grow_with_the_catalogue(catalogue, query):
    with CaptureQueriesContext(connection) as small:
        page_of(query)
    # categories, districts, vendor, search candidates and their table or
    # the cube, the page's ids, its cards
    assert len(small) <= 8

    snacks, ani = catalogue["snacks"], catalogue["ani"]
    for i in range(30):
        ProductFactory(name=f"Amplang Rasa {i}", category=snacks, vendor=ani, halal=True, price=5000 + i)
    django_cache.clear()

    with CaptureQueriesContext(connection) as large:
        page_of(query)
    assert len(large) == len(small)


def test_with_aggregates_cached_only_the_page_is_queried(catalogue, django_assert_max_num_queries):
    page_of(FULL_QUERY)
    with django_assert_max_num_queries(1):  # the cards (a search pages its cached table)
        page_of(FULL_QUERY)
    # Another sort or page of the same filters shares the cached counts.
    with django_assert_max_num_queries(1):
        page_of(FULL_QUERY.replace("price_asc", "newest") + "&page=2")
    # Sorted by name: the rows' name order is read once, then cached beside the table.
    by_name = "q=amplang&sort=name"
    page_of("q=amplang")
    with django_assert_max_num_queries(2):  # the name order and the cards
        page_of(by_name)
    with django_assert_max_num_queries(1):
        page_of(by_name + "&cert=halal")
    without_text = FULL_QUERY.replace("q=amplang&", "")
    page_of(without_text)
    with django_assert_max_num_queries(2):  # the page's ids and their cards
        page_of(without_text.replace("price_asc", "name") + "&page=2")


def test_a_search_reads_its_name_order_only_when_sorted_by_name(catalogue):
    """A new search text costs one query more sorted by name (its rows'
    name order), and no more in any other order."""
    counts = {}
    for sort, _label in SORT_CHOICES:
        django_cache.clear()
        with CaptureQueriesContext(connection) as queries:
            page_of(f"q=amplang&sort={sort}")
        counts[sort] = len(queries)
    assert counts.pop("name") == counts["relevance"] + 1
    assert set(counts.values()) == {counts["relevance"]}


def test_a_name_order_that_does_not_fit_the_table_is_read_again(varied):
    """Should a cached name order ever not fit its search's table (each is
    cached apart), the search still sorts by name as the queryset does."""
    from products import cache as catalogue_cache
    from products import search

    query = "q=amplang&sort=name"
    expected = list(flt(query).qs.values_list("pk", flat=True))
    django_cache.set(catalogue_cache.key("search-names", search.tokens("amplang")), array("q", [0, 1]))

    assert flt(query).page_ids(0, 1000) == expected


# --- the fast paths give what the QuerySet gives ---------------------------


@pytest.fixture
def varied(catalogue):
    """The catalogue and forty more products across its categories, vendors,
    districts, prices, flags, names and dates (ties included)."""
    snacks, crafts, ani = catalogue["snacks"], catalogue["crafts"], catalogue["ani"]
    budi = Product.objects.get(name="Kerupuk Udang").vendor
    flags = ["halal", "pirt", "bpom", "sni", "export_ready"]
    for i in range(40):
        ProductFactory(
            name=["Amplang", "Kerupuk Amplang", "Tas Amplang", "Jamu", "amplang pedas"][i % 5] + f" {i % 7}",
            description="Renyah, cocok untuk oleh-oleh amplang." if i % 3 == 0 else "Buatan tangan.",
            category=[snacks, crafts, catalogue["food"]][i % 3],
            vendor=[ani, budi][i % 2],
            price=[5000, 25000, 25000, 99000][i % 4],
            availability=[Availability.READY, Availability.SOLDOUT, Availability.PREORDER][i % 3],
            **{flag: (i >> n) % 2 == 1 for n, flag in enumerate(flags)},
        )
    # Equal dates too: the order then falls to the id, as in SQL.
    earliest = Product.objects.earliest("pk").created_at
    Product.objects.filter(name__startswith="Jamu").update(created_at=earliest)
    # Dates against the ids, apart by microseconds too.
    for n, pk in enumerate(
        Product.objects.filter(name__startswith="Tas").order_by("pk").values_list("pk", flat=True)
    ):
        Product.objects.filter(pk=pk).update(created_at=earliest - timedelta(microseconds=1 + n))
    django_cache.clear()
    return catalogue


FILTERS = [
    "", "category=camilan", "category=makanan-minuman", "category=tidak-ada", "district=balikpapan-kota",
    "vendor=dapur-bu-ani", "price_min=10000", "price_max=25000", "price_min=20000&price_max=30000",
    "cert=halal", "cert=halal&cert=pirt", "export_ready=1", "in_stock=1",
    "category=camilan&district=balikpapan-barat&cert=halal", "category=kerajinan&in_stock=1&price_max=60000",
]  # fmt: skip


@pytest.mark.parametrize("filters", FILTERS)
def test_pages_and_counts_are_those_of_the_queryset(varied, filters):
    """page_ids() (a search's cached table, or a prepared query per shape)
    and the counts (the table, or the cube) give what ``qs`` and the GROUP BY
    queries give, for every filter, search text and sort order."""
    for text in ("", "amplang", "ampl", "amplang pedas", "oleh", "zzz"):
        for sort, _label in SORT_CHOICES:
            query = "&".join(part for part in (filters, f"q={text}" if text else "", f"sort={sort}") if part)
            filterset = flt(query)
            expected = list(filterset.qs.values_list("pk", flat=True))
            assert filterset.page_ids(0, 1000) == expected, query
            assert filterset.page_ids(3, 5) == expected[3:8], query
            counted = filterset._compute_aggregates()
            assert {key: filterset._aggregates[key] for key in ("totals", "category", "district")} == {
                key: counted[key] for key in ("totals", "category", "district")
            }, query
            assert filterset.count() == len(expected), query


@pytest.fixture(params=[False, True], ids=["ends", "marks"])
def marked(request, monkeypatch):
    """With ``True``: a list's marks every 2 rows, used from 3 rows in, so
    that the small lists of the tests have middles that start from them
    (umkm_directory.pagination.reading())."""
    if request.param:
        monkeypatch.setattr(pagination, "MARK_EVERY", 2)
        monkeypatch.setattr(pagination, "MARKS_FROM", 3)
    return request.param


@pytest.mark.parametrize("filters", ["", "category=makanan-minuman", "district=balikpapan-kota&in_stock=1"])
def test_every_page_of_a_list_holds_what_the_queryset_gives_there(varied, filters, marked):
    """A page nearer the end of a list is read from the end and turned round,
    a page in its middle from the nearest mark (page_ids()): every page, the
    last ones included, a short last page and one past the end, in every
    sort order and with ties on every sort key."""
    for sort, _label in SORT_CHOICES:
        if sort == "relevance":
            continue
        filterset = flt(f"{filters}&sort={sort}")
        expected = list(filterset.qs.values_list("pk", flat=True))
        assert len(expected) >= 10, filters
        for size in (1, 3, 7):
            offsets = range(0, len(expected) + size, size)
            pages = [filterset.page_ids(offset, size) for offset in offsets]
            assert pages == [expected[offset : offset + size] for offset in offsets], (filters, sort, size)


def test_a_middle_page_starts_from_a_mark_found_once_per_version(varied, monkeypatch):
    """The marks of a list are found once (one query) and kept under the
    catalogue version: a middle page then costs the page's one query, and
    after an edit that moves the list the marks are found again, so the
    page still holds what the queryset has there."""
    monkeypatch.setattr(pagination, "MARK_EVERY", 4)
    monkeypatch.setattr(pagination, "MARKS_FROM", 5)
    found = []

    def list_marks(listed):
        found.append(listed)
        return pagination.list_marks(listed)

    monkeypatch.setattr(filters, "list_marks", list_marks)

    def middle():
        filterset = flt("sort=price_asc")
        expected = list(filterset.qs.values_list("pk", flat=True))
        offset = len(expected) // 2 - 1  # not a multiple of MARK_EVERY: a skip after the mark
        with CaptureQueriesContext(connection) as queries:
            assert filterset.page_ids(offset, 3) == expected[offset : offset + 3]
        return len(queries)

    assert middle() == 3  # the count, the marks, the page
    assert middle() == 1
    assert len(found) == 1
    cheapest = Product.objects.visible().order_by("price", "pk").first()
    cheapest.status = Status.DRAFT
    cheapest.save()
    ProductFactory(name="Amplang Murah", category=varied["snacks"], vendor=varied["ani"], price=1)
    ProductFactory(name="Amplang Murah Lagi", category=varied["snacks"], vendor=varied["ani"], price=2)
    assert middle() == 3  # the count, the marks, the page
    assert middle() == 1
    assert len(found) == 2


@pytest.mark.parametrize("filters", ["", "category=camilan&cert=halal", "price_max=25000&sort=name"])
def test_category_pages_page_and_count_as_their_queryset(varied, filters):
    for text in ("", "amplang"):
        filterset = flt(f"{filters}&q={text}", category=varied["food"])
        expected = list(filterset.qs.values_list("pk", flat=True))
        assert filterset.page_ids(0, 1000) == expected
        assert filterset.count() == len(expected)
