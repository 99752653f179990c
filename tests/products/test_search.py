"""products.search on whichever database the suite runs (FTS5 on SQLite,
full text + trigram on PostgreSQL): matching, ranking and keeping the index
in step with every write."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from products import search
from products.models import Product, Status
from tests.factories import CategoryFactory, ProductFactory, VendorFactory, waiting

pytestmark = pytest.mark.django_db


def found(text, queryset=None):
    queryset = Product.objects.all() if queryset is None else queryset
    return set(search.matching(queryset, text).values_list("name", flat=True))


def ranked(text):
    return list(
        search.matching(Product.objects.all(), text)
        .order_by("-search_rank", "-created_at", "-id")
        .values_list("name", flat=True)
    )


def index_rows():
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM products_search")
        return cursor.fetchone()[0]


@pytest.fixture(autouse=True, params=["waiting", "folded"])
def postings(request, monkeypatch):
    """On PostgreSQL every test runs twice: with written products waiting to
    be folded into the postings (a few at a time, as after admin edits), and
    with every write folded at once."""
    if request.param == "folded":
        if connection.vendor != "postgresql":
            pytest.skip("the postings are PostgreSQL's")
        monkeypatch.setattr(search._postgresql, "FOLD_AT", 1)
    return request.param


@pytest.fixture
def catalogue():
    food = CategoryFactory(name="Makanan & Minuman", slug="makanan-minuman")
    snacks = CategoryFactory(name="Camilan Kering", slug="camilan-kering", parent=food)
    crafts = CategoryFactory(name="Kerajinan Tangan", slug="kerajinan-tangan")
    ani = VendorFactory(name="Dapur Bu Ani", slug="dapur-bu-ani")
    rotan = VendorFactory(name="Sanggar Rotan Manggar", slug="sanggar-rotan")
    return {
        "amplang": ProductFactory(
            name="Amplang Ikan Tenggiri", description="Gurih dan renyah.", category=snacks, vendor=ani
        ),
        "kerupuk": ProductFactory(
            name="Kerupuk Udang", description="Kerupuk udang asli, pedas manis.", category=snacks, vendor=ani
        ),
        "tas": ProductFactory(
            name="Tas Anyaman", description="Anyaman rotan khas Kalimantan.", category=crafts, vendor=rotan
        ),
    }


def test_matches_name_description_category_and_vendor(catalogue):
    assert found("tenggiri") == {"Amplang Ikan Tenggiri"}
    assert found("renyah") == {"Amplang Ikan Tenggiri"}  # description
    assert found("kerajinan") == {"Tas Anyaman"}  # category name
    assert found("makanan") == {"Amplang Ikan Tenggiri", "Kerupuk Udang"}  # parent category name
    assert found("manggar") == {"Tas Anyaman"}  # vendor name


def test_is_case_insensitive_and_matches_word_prefixes(catalogue):
    assert found("AMPLANG") == {"Amplang Ikan Tenggiri"}
    assert found("ampl") == {"Amplang Ikan Tenggiri"}
    assert found("Tengg") == {"Amplang Ikan Tenggiri"}


def test_every_word_must_match(catalogue):
    assert found("kerupuk pedas") == {"Kerupuk Udang"}
    assert found("amplang pedas") == set()
    assert found("rotan tas") == {"Tas Anyaman"}  # words in any order, in several fields


def test_a_name_match_ranks_above_other_fields(catalogue):
    ani = catalogue["amplang"].vendor
    snacks = catalogue["amplang"].category
    old = timezone.now() - datetime.timedelta(days=30)
    named = ProductFactory(
        name="Abon Ikan Haruan", description="Tanpa pengawet.", vendor=ani, category=snacks
    )
    Product.objects.filter(pk=named.pk).update(created_at=old)  # newest-first would put it last
    ProductFactory(name="Sambal Roa", description="Dari ikan haruan asap.", vendor=ani, category=snacks)
    ProductFactory(name="Kue Lapis", description="Legit.", vendor=VendorFactory(name="Toko Haruan Jaya"))
    ProductFactory(name="Kue Bingka", description="Manis.", category=CategoryFactory(name="Olahan Haruan"))

    results = ranked("haruan")

    assert results[0] == "Abon Ikan Haruan"
    assert set(results[1:]) == {"Sambal Roa", "Kue Lapis", "Kue Bingka"}


def test_with_several_words_names_holding_all_then_some_of_them_rank_first(catalogue):
    ani = catalogue["amplang"].vendor
    ProductFactory(name="Amplang Pedas", vendor=ani)  # the oldest: newest-first would put it last
    ProductFactory(name="Amplang Original", description="Tersedia juga rasa pedas.", vendor=ani)
    ProductFactory(name="Keripik Singkong", description="Teman makan amplang pedas.", vendor=ani)

    assert ranked("amplang pedas") == ["Amplang Pedas", "Amplang Original", "Keripik Singkong"]


def test_search_rank_is_annotated_and_composes_with_filters(catalogue):
    results = search.matching(Product.objects.filter(price__lte=30000), "udang").order_by("-search_rank")
    assert [(p.name, p.search_rank > 0) for p in results[:10]] == [("Kerupuk Udang", True)]


def test_matching_keeps_the_queryset_it_was_given(catalogue):
    catalogue["kerupuk"].status = Status.DRAFT
    catalogue["kerupuk"].save()
    assert found("kerupuk", Product.objects.visible()) == set()
    assert found("kerupuk") == {"Kerupuk Udang"}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "!!!",
        '"',
        "'",
        "*",
        "-",
        "()",
        "AND OR NOT",
        "NEAR(amplang tas)",
        "name:amplang",
        "{name}: amplang",
        "amplang' OR '1'='1",
        '"amplang" OR 1=1; DROP TABLE products_product; --',
        "<script>alert('amplang')</script>",
        "%_\\",
        "😀🍤",
        "\x00amplang",
        "amplang " * 2000,
        "x" * 10_000,
        "ａｍｐｌａｎｇ",  # full-width letters
        "a:* & !b | c <-> d",  # tsquery syntax
    ],
)
def test_hostile_or_odd_input_never_raises(catalogue, text):
    results = list(search.matching(Product.objects.visible(), text).order_by("-search_rank"))
    assert all(isinstance(p.search_rank, int) for p in results)


def test_syntax_in_the_query_is_taken_as_plain_words(catalogue):
    assert found('"amplang"') == {"Amplang Ikan Tenggiri"}
    assert found("amplang*") == {"Amplang Ikan Tenggiri"}
    assert found("amplang' OR '1'='1") == set()  # the words "or" and "1" match nothing
    assert found("ａｍｐｌａｎｇ") == {"Amplang Ikan Tenggiri"}
    assert found("😀") == set()
    assert found("") == set()


def test_words_are_capped_in_number_and_length():
    assert len(search.tokens(" ".join(f"kata{i}" for i in range(50)))) == search.MAX_TOKENS
    assert search.tokens("y" * 500) == ["y" * search.MAX_TOKEN_LENGTH]
    assert search.tokens("Amplang, AMPLANG! amplang?") == ["amplang"]


def test_the_index_follows_a_product_edit(catalogue):
    product = catalogue["tas"]
    product.name = "Tas Manik Dayak"
    product.description = "Manik-manik warna-warni."
    product.save()

    assert found("manik") == {"Tas Manik Dayak"}
    assert found("anyaman") == set()


def test_a_new_product_is_found_at_once(catalogue):
    ProductFactory(name="Lempok Durian")
    assert found("lempok") == {"Lempok Durian"}


def test_a_deleted_product_leaves_the_index(catalogue):
    rows = index_rows()
    catalogue["tas"].delete()

    assert found("anyaman") == set()
    assert index_rows() == rows - 1


def test_deleting_a_vendor_removes_its_products_from_the_index(catalogue):
    rows = index_rows()
    catalogue["amplang"].vendor.delete()
    assert index_rows() == rows - 2


def test_a_vendor_rename_reaches_its_products(catalogue):
    vendor = catalogue["amplang"].vendor
    vendor.name = "Kedai Pesisir"
    vendor.save()

    assert found("pesisir") == {"Amplang Ikan Tenggiri", "Kerupuk Udang"}
    assert found("dapur") == set()


def test_a_category_rename_reaches_its_products_and_its_subcategories(catalogue):
    food = catalogue["amplang"].category.parent
    food.name = "Kuliner Khas"
    food.save()
    crafts = catalogue["tas"].category
    crafts.name = "Kriya"
    crafts.save()

    assert found("kuliner") == {"Amplang Ikan Tenggiri", "Kerupuk Udang"}
    assert found("makanan") == set()
    assert found("kriya") == {"Tas Anyaman"}


def test_bulk_created_products_are_found_after_reindex(catalogue):
    vendor, category = catalogue["tas"].vendor, catalogue["tas"].category
    created = Product.objects.bulk_create(
        [
            Product(
                vendor=vendor,
                category=category,
                name=f"Mandau Ukir {i}",
                slug=f"mandau-ukir-{i}",
                price=100000,
                status=Status.PUBLISHED,
            )
            for i in range(30)
        ]
    )
    assert found("mandau") == set()  # bulk writes send no signal

    search.reindex([p.pk for p in created])

    assert len(found("mandau")) == 30


def test_bulk_updated_products_are_found_after_reindex(catalogue):
    Product.objects.filter(pk=catalogue["tas"].pk).update(name="Sarung Samarinda")
    assert found("sarung") == set()

    search.reindex([catalogue["tas"].pk])

    assert found("sarung") == {"Sarung Samarinda"}
    assert found("anyaman") == {"Sarung Samarinda"}  # its description is still indexed


def test_full_reindex_rebuilds_the_index(catalogue):
    Product.objects.filter(pk=catalogue["tas"].pk).update(name="Sarung Samarinda")
    search.reindex()

    assert found("sarung") == {"Sarung Samarinda"}
    assert found("amplang") == {"Amplang Ikan Tenggiri"}
    assert index_rows() == Product.objects.count()


def test_reindex_of_deleted_ids_drops_them(catalogue):
    pk = catalogue["tas"].pk
    Product.objects.filter(pk=pk)._raw_delete(using="default")  # no signal, like a raw bulk delete
    search.reindex([pk])
    assert index_rows() == 2


def test_a_capped_search_keeps_the_newest_matches(catalogue, monkeypatch):
    """More products match than a search considers: it keeps the newest ones
    (highest id), matching anywhere and matching in the name alike."""
    monkeypatch.setattr(search, "MAX_CANDIDATES", 3)
    ani, snacks = catalogue["amplang"].vendor, catalogue["amplang"].category
    named = [ProductFactory(name=f"Lempok Durian {i}", vendor=ani, category=snacks) for i in range(5)]
    described = [
        ProductFactory(name=f"Dodol {i}", description="Dengan lempok.", vendor=ani, category=snacks)
        for i in range(4)
    ]

    found = search.candidates(["lempok"])

    assert found.capped
    assert found.name_all == sorted(p.pk for p in named[-3:])
    assert found.ids == sorted({p.pk for p in named[-3:] + described[-3:]})


@pytest.mark.parametrize("text", ["lempok", "lempok durian", "dengan lemp", "tidak ada"])
def test_find_columns_reads_the_rows_of_the_candidates_find_candidates_keeps(catalogue, monkeypatch, text):
    """find_columns() gives the columns of a query's rows over the products
    find_candidates() keeps, with its tiers and cap: on PostgreSQL in one
    statement (the candidates never leave the database), on SQLite in two
    queries. Hidden products among the candidates are left out by the query."""
    from products.filters import SEARCH_ROWS

    monkeypatch.setattr(search, "MAX_CANDIDATES", 3)
    ani, snacks = catalogue["amplang"].vendor, catalogue["amplang"].category
    for i in range(5):
        ProductFactory(name=f"Lempok Durian {i}", vendor=ani, category=snacks)
        ProductFactory(name=f"Dodol {i}", description="Dengan lempok.", vendor=ani, category=snacks)
    ProductFactory(name="Lempok Durian Lama", vendor=ani, category=snacks, status=Status.DRAFT)
    words = search.tokens(text)

    result = search.find_columns(words, SEARCH_ROWS)

    expected = search.find_candidates(words)
    rows = SEARCH_ROWS.fetch(ids=search.id_param(expected.ids)) if expected.ids else []
    assert [list(column) for column in result.columns] == [list(column) for column in zip(*rows, strict=True)]
    assert (sorted(result.name_all), result.capped) == (expected.name_all, expected.capped)
    assert set(expected.name_some) <= set(result.name_some)
    visible = set(Product.objects.visible().values_list("pk", flat=True))
    created = dict(Product.objects.values_list("pk", "created_at"))
    assert list(result.columns[0] if result.columns else []) == sorted(
        (pk for pk in expected.ids if pk in visible), key=lambda pk: (created[pk], pk)
    )
    assert bool(result.columns) == (text != "tidak ada")


@pytest.mark.django_db(transaction=True)  # it closes the connection
def test_find_columns_is_a_requests_first_query_as_well(catalogue):
    """A search's one statement may be the first query of a request, on a
    connection not yet opened (one closed at its CONN_MAX_AGE is opened
    again by the next query)."""
    from products.filters import SEARCH_ROWS

    search.find_columns(["amplang"], SEARCH_ROWS)  # the statement known to this process
    connection.close()

    result = search.find_columns(["amplang"], SEARCH_ROWS)

    assert list(result.columns[0]) == [catalogue["amplang"].pk]


# Products spread over several buckets of ids (2**16 each, see products.search
# _postgresql): a match every few thousand ids, the newest far from the rest.
SPREAD = [3, 4, 70_000, 70_001, 131_071, 131_072, 200_000, 262_143, 300_000, 450_000]


@pytest.mark.backend("postgresql")
@pytest.mark.parametrize(
    "choices",
    [
        {},  # the postings (folded or waiting, see the postings fixture)
        {"MAX_DIRTY": -1},  # the GIN index and walks, as the costs choose
        {"MAX_DIRTY": -1, "POSTING_COST": 1e9, "MATCH_COST": 1e9},  # walks only
        {"MAX_DIRTY": -1, "POSTING_COST": 1e9, "MATCH_COST": 1e9, "FIRST_WALK": 10, "MAX_STEPS": 2},
        {"MAX_DIRTY": -1, "WALK_COST": 1e9},  # lookups only, of buckets when fewer matches are read
        {"MAX_DIRTY": -1, "WALK_COST": 1e9, "MAX_BUCKETS": 1, "MAX_STEPS": 2},
        {"MAX_DIRTY": -1, "WALK_COST": 1e9, "MAX_STEPS": 1},  # one lookup of every bucket
    ],
)
def test_every_way_of_finding_the_newest_matches_finds_the_same(monkeypatch, choices):
    """PostgreSQL finds a search's candidates in the postings (bucket by
    bucket from the newest, the products waiting to be folded tested on
    their documents) or, else, in steps from the newest product down, each a
    walk of the newest products or a GIN lookup (of some buckets of ids, or
    of all): whichever way, the result is the same."""
    monkeypatch.setattr(search, "MAX_CANDIDATES", 3)
    vendor, category = VendorFactory(), CategoryFactory()
    for pk in SPREAD:
        ProductFactory(id=pk, name=f"Lempok Durian {pk}", vendor=vendor, category=category)
        ProductFactory(
            id=pk + 1_000, name=f"Dodol {pk}", description="Lempok.", vendor=vendor, category=category
        )
        ProductFactory(id=pk + 2_000, name=f"Durian {pk}", vendor=vendor, category=category)
    for name, value in choices.items():
        monkeypatch.setattr(search._postgresql, name, value)

    one = search._backend().candidates(["lempok"])
    two = search._backend().candidates(["durian", "lemp"])

    def tier(rows, number):  # in no particular order: find_candidates() sorts
        return sorted((pk for pk, t in rows if t == number), reverse=True)

    newest_named = sorted(SPREAD, reverse=True)[:3]
    assert tier(one, 0) == sorted([*SPREAD, *(pk + 1_000 for pk in SPREAD)], reverse=True)[:4]
    assert tier(one, 3) == newest_named
    assert tier(two, 0) == sorted(SPREAD, reverse=True)[:4]
    assert tier(two, 3) == newest_named
    assert tier(two, 1) == tier(two, 0)  # all have both words in the name


@pytest.mark.backend("postgresql")
def test_the_postings_skip_what_a_bucket_cannot_give_and_still_find_every_tier(monkeypatch):
    """The postings go through a common word's arrays once a bucket
    (migration 0014): a bucket where the words never meet is left at once,
    a tier already full is not computed again, a word's names are cut to the
    bucket's matches before they meet the others'. The tiers are those the
    steps (no postings) find, and those written out here."""
    monkeypatch.setattr(search, "MAX_CANDIDATES", 3)
    vendor, category = VendorFactory(name="Usaha"), CategoryFactory(name="Oleh")

    def product(pk, name, description="Baru."):
        ProductFactory(id=pk, name=name, description=description, vendor=vendor, category=category)

    product(450_000, "Kota Tua")  # the newest bucket: the two words, never together
    product(450_001, "Edisi Terbatas")
    for pk in range(300_000, 300_004):  # together, not in the name
        product(pk, f"Tas {pk}", "Kota edisi pertama.")
    product(300_004, "Tas Kota", "Edisi kedua.")  # one word in the name
    for pk in range(200_000, 200_004):  # both in the name, in an older bucket
        product(pk, f"Kota Edisi {pk}")
    product(70_000, "Kota Edisi Lama")
    product(3, "Kota", "Edisi pertama, kain.")

    def tiers(words):
        rows = search._backend().candidates(words)
        return {t: sorted((pk for pk, tier in rows if tier == t), reverse=True) for t in (0, 1, 3)}

    texts = [["kota", "edisi"], ["edisi", "kota"], ["kota"], ["edisi", "kain", "kota"], ["tas", "edisi"]]
    from_postings = {tuple(words): tiers(words) for words in texts}
    assert from_postings[("kota", "edisi")] == {
        0: [300_004, 300_003, 300_002, 300_001],  # the newest MAX_CANDIDATES + 1
        1: [300_004],
        3: [200_003, 200_002, 200_001],
    }
    assert from_postings[("edisi", "kain", "kota")] == {0: [3], 1: [3], 3: []}
    monkeypatch.setattr(search._postgresql, "MAX_DIRTY", -1)  # the steps instead
    assert {tuple(words): tiers(words) for words in texts} == from_postings


@pytest.mark.backend("postgresql")
def test_a_small_typo_still_finds_the_name_on_postgresql(catalogue):
    assert found("amplank") == {"Amplang Ikan Tenggiri"}
    assert found("tengiri") == {"Amplang Ikan Tenggiri"}
    assert found("kerupuk udank") == {"Kerupuk Udang"}  # each word: exact prefix or near the name


@pytest.mark.backend("postgresql")
def test_the_index_uses_gin_indexes_on_postgresql():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename LIKE 'products_search%'")
        definitions = " ".join(row[0] for row in cursor.fetchall())
    assert "gin (document)" in definitions
    assert "gin (word gin_trgm_ops)" in definitions


@pytest.mark.backend("sqlite")
def test_the_index_is_an_fts5_table_on_sqlite():
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'products_search'")
        assert "fts5" in cursor.fetchone()[0].lower()


def postings_of(lexeme):
    """(bucket, ids, name_ids) rows of a lexeme in the postings."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT bucket, ids, name_ids FROM products_search_postings WHERE lexeme = %s ORDER BY bucket",
            [lexeme],
        )
        return cursor.fetchall()


@pytest.mark.backend("postgresql")
def test_edits_waiting_for_the_postings_are_found_as_they_are_now_then_folded_in(catalogue, monkeypatch):
    """A write only notes its products as waiting; a search tests those on
    their documents and ignores what the postings still hold for them; a
    fold brings the changes in (words gone, words come, deleted products)."""
    monkeypatch.setattr(search._postgresql, "FOLD_AT", 10**6)
    with connection.cursor() as cursor:
        assert search._postgresql.fold(cursor)
    assert waiting() == 0
    amplang, tas = catalogue["amplang"], catalogue["tas"]
    bucket, slot, tas_slot = amplang.pk >> 16, amplang.pk & 0xFFFF, tas.pk & 0xFFFF
    assert any(b == bucket and slot in names for b, _ids, names in postings_of("amplang"))

    amplang.name = "Keripik Tenggiri"
    amplang.save()
    tas.delete()
    assert waiting() == 2
    assert found("amplang") == set()
    assert found("keripik") == {"Keripik Tenggiri"}
    assert found("anyaman") == set()
    assert found("tenggiri") == {"Keripik Tenggiri"}

    with connection.cursor() as cursor:
        assert search._postgresql.fold(cursor)
    assert waiting() == 0
    assert not any(slot in ids for b, ids, _names in postings_of("amplang") if b == bucket)
    assert any(b == bucket and slot in names for b, _ids, names in postings_of("keripik"))
    assert all(tas_slot not in ids for _b, ids, _names in postings_of("anyaman"))
    search.cache.bump()
    assert found("amplang") == set()
    assert found("keripik") == {"Keripik Tenggiri"}
    assert found("anyaman") == set()
    assert found("udang kerupuk") == {"Kerupuk Udang"}


@pytest.mark.backend("postgresql")
@pytest.mark.django_db(transaction=True)
def test_a_fold_waits_for_no_writer_and_leaves_a_writers_products_to_a_later_fold(monkeypatch):
    """While a transaction writes the index (it holds the postings' lock
    shared), a fold from another connection does nothing and says so; once
    it committed, the next fold takes its products in."""
    from django.db import connections, transaction

    monkeypatch.setattr(search._postgresql, "FOLD_AT", 10**6)
    product = ProductFactory(name="Lempok Durian Asli")
    other = connections.create_connection("default")
    try:
        with transaction.atomic():
            product.name = "Dodol Durian Asli"
            product.save()  # noted as waiting, the lock held shared until the commit
            with other.cursor() as cursor:
                assert search._postgresql.fold(cursor) is False
            assert waiting(other) == 1  # only the factory's committed write is seen
        with other.cursor() as cursor:
            assert search._postgresql.fold(cursor) is True
        assert waiting(other) == 0
    finally:
        other.close()
    assert postings_of("dodol") and not any(
        product.pk & 0xFFFF in ids for _b, ids, _names in postings_of("lempok")
    )
    search.cache.bump()
    assert found("dodol") == {"Dodol Durian Asli"}
    assert found("lempok") == set()


def test_among_lookup_keeps_exactly_the_listed_products():
    # pk__among= (a search's table reads its candidates this way): the
    # listed products, whatever their number or order; unknown ids and
    # repeats change nothing; an empty list keeps none.
    products = ProductFactory.create_batch(5)
    chosen = [products[3].pk, products[0].pk, products[3].pk, 10**9]

    def among(ids):
        return set(Product.objects.filter(pk__among=search.id_param(ids)).values_list("pk", flat=True))

    assert among(chosen) == {products[0].pk, products[3].pk}
    assert among([p.pk for p in products]) == {p.pk for p in products}
    assert among([]) == set()
