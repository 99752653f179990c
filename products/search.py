"""Full-text search over products, one interface for both database backends.

SQLite: an FTS5 table; PostgreSQL: full-text search plus trigram similarity.
Backend differences live here and in migrations, nowhere else.

Interface (used by the catalogue, the admin, the importer and the demo data):
- ``matching(queryset, text)``: the products of ``queryset`` matching ``text``,
  annotated with ``search_rank`` (higher is better).
- ``named(queryset, text)``: every product of ``queryset`` whose name or
  vendor's name holds the words of ``text``, uncapped (the admin's search).
- ``reindex(product_ids=None)``: bring the index in step for these products
  (all when None); bulk writes that bypass signals call it.
- ``find_columns(words, rows)``: a search's candidates read through a
  prepared query of their columns (the catalogue's search table), on
  PostgreSQL in one statement.

The index is one table, ``products_search``, keyed by product id, created by
migration 0003 and written only here. It holds every product whatever its
status: the visibility rule stays in ``Product.objects.visible()``, so
publishing or hiding a product never touches the index.

- SQLite: an FTS5 table (rowid = product id; columns name, category, vendor,
  description). Each word of the query becomes a quoted prefix term
  (``"ampl"*``); all must match.
- PostgreSQL: ``document`` is a ``tsvector`` built with the ``simple``
  configuration (no stemming, so prefix search ``ampl:*`` behaves as on
  SQLite) with weights A name, B category, C vendor, D description, under a
  GIN index; a second GIN index holds the name part alone (weight A). Typo
  tolerance: ``products_search_words`` holds the words of names, categories
  and vendors under a trigram index; a search word of five letters or more
  that starts no known word is widened to the (up to three) known words most
  similar to it, so ``amplank`` also looks for ``amplang``. No per-row
  similarity is computed.

Ranking: ``search_rank`` is 3 when every word matches the product name, 1 when
some word does, 0 otherwise (the match is in the description, the vendor's
or the category's name). The tiers are found with the candidates (below),
so ranking costs no search of its own; within a tier the catalogue orders
by newest.

A bounded candidate set: a very common word ("kue", "kain") matches a tenth
of the catalogue, and filtering, counting and ranking all of those rows
would cost more the bigger the table. A search therefore considers at most
MAX_CANDIDATES products matching in the name plus at most MAX_CANDIDATES
matching anywhere, on both backends the newest ones (highest id): a new
product shows in a broad search at once. Filters, facet counts, sort orders
and pages work within that set (products.filters keeps the visible
candidates' columns in the cache and filters, counts and sorts them without
another query), so a search costs about the same at 10,000 products as at a
million; ``candidates(words).capped`` tells the page to show the count as
"500+" and ask for a narrower search.

Candidates on PostgreSQL: one call of ``products_search_candidates()``
(migration 0009) per search. Each word becomes the exact lexemes it starts
(``products_search_lexemes``; a word starting more than MAX_LEXEMES stays a
prefix match), so the GIN index can skip through a common word's postings.
Then, for the matches anywhere and, when those are capped, for the name
matches below the oldest of them, it goes from the newest product down in
at most MAX_STEPS steps, each the cheaper (by the costs below and the
planner statistics of the words, then by what the steps before found) of:

- a walk: the primary key read newest first over an id range, each document
  tested, until enough are found; ~0.4 us a product, the way for a query
  most products match (the newest thousand "kue" are among the newest
  ten thousand products);
- a lookup: the GIN index asked for the matches among a few buckets of ids
  (every document carries its bucket, ``~15`` for ids 983,040-1,048,575, a
  lexeme no search word can produce) or among all; every match found is read
  for its id and the newest kept; ~0.13 us a posting the index goes through
  (those of the rarest word, or of the buckets when fewer) and a few us a
  match, the way for a query few products match.

Postings on PostgreSQL (migration 0011): the way a search takes first.
``products_search_postings`` holds, per lexeme and bucket of 2**16 ids, the
products holding it (``ids``) and holding it in the name (``name_ids``) as
sorted arrays of offsets in the bucket; ``products_search_from_postings()``
intersects the words' arrays (intarray) from the newest bucket down until it
holds enough (distinct and within bounds as read: only the waiting products'
matches, below, need merging, migration 0012), going through a common
word's arrays once a bucket and leaving a bucket where the words do not
meet at once (migration 0014). Writes only note their
products in ``products_search_dirty`` (with the document the postings hold
for each); searches test those on their documents and ignore their
postings; a write folds them in once FOLD_AT wait (``fold()``, under
POSTINGS_LOCK). A word that is a prefix of more than MAX_LEXEMES lexemes, or
more than MAX_DIRTY waiting products, takes the steps below instead.

From the postings a new search text's candidates cost ~2 ms at 1,000,000
products, and ~3 ms with their table's columns (find_columns(), the rows
read from the covering index of migration 0013; ~1.4 ms at 10,000;
bench/search_texts.py, ninth session). The steps cost a walk of the
thousand newest matches, or an index lookup over the buckets expected to
hold them, whichever is cheaper: 10-15 ms typically at 1,000,000 products,
30 ms at the 95th percentile; the slowest are two common words that rarely
meet (docs/performance-history.md).
"""

import itertools
import json
import re
import unicodedata
from collections import namedtuple

from django.db import connection, transaction
from django.db.models import BigAutoField, Case, ExpressionWrapper, IntegerField, Lookup, Value, When
from django.db.models.expressions import RawSQL

from umkm_directory.prepared import execute_sql, prepare_once, statement_name

from . import cache

# Longer input is cut: a search box needs a few words, not a page.
MAX_TOKENS = 8
MAX_TOKEN_LENGTH = 32
MAX_TEXT_LENGTH = 200
BATCH_SIZE = 5000
# The most products a search considers (per tier: name matches, any matches):
# twenty-one pages of 24, as far as shoppers page before narrowing a search.
# Finding, filtering and counting the candidates costs about what they number
# (a search at 1,000,000 products on PostgreSQL: 1,000 rows to read, ~16 ms,
# against 2,000 and ~30 ms with 1,000 per tier).
MAX_CANDIDATES = 500

WORD = re.compile(r"[^\W_]+")


def tokens(text):
    """The searchable words of ``text``: lower-cased letters and digits,
    at most MAX_TOKENS words of at most MAX_TOKEN_LENGTH characters.
    Everything else (quotes, operators, SQL, HTML, emoji) is a separator."""
    text = unicodedata.normalize("NFKC", str(text or "")[:MAX_TEXT_LENGTH]).lower()
    words = []
    for word in WORD.findall(text):
        word = word[:MAX_TOKEN_LENGTH]
        if word not in words:
            words.append(word)
        if len(words) == MAX_TOKENS:
            break
    return words


def matching(queryset, text):
    """The products of ``queryset`` matching every word of ``text`` (as a word
    prefix, case-insensitive, in the name, description, category or vendor
    name), annotated with ``search_rank``. Text without any word matches
    nothing. Returns a queryset, so filters and pagination compose.

    Only the search's candidates (see ``candidates``) are considered; they are
    passed to the query as a list of ids, so the database starts from them
    (primary key lookups) whatever other filters the queryset carries."""
    words = tokens(text)
    if not words:
        return queryset.none().annotate(search_rank=Value(0, output_field=IntegerField()))
    found = candidates(words)
    # Each list of ids is one parameter (an array, a JSON text): compiling
    # thousands of separate parameters would cost more than the query.
    # Always a CASE, never a constant: ordering by a literal integer would
    # read as a column position in the SQL.
    tiers = [(found.name_all, 3)] + ([(found.name_some, 1)] if len(words) > 1 else [])
    whens = [When(pk__in=id_list(id_param(ids)), then=Value(tier)) for ids, tier in tiers]
    rank = Case(*whens, default=Value(0))
    return queryset.filter(pk__in=id_list(id_param(found.ids))).annotate(
        search_rank=ExpressionWrapper(rank, output_field=IntegerField())
    )


def named(queryset, text):
    """The products of ``queryset`` whose name or vendor's name holds every
    word of ``text`` (as a word prefix, case-insensitive), all of them,
    whatever their status, unranked: for the admin, where staff look for one
    product among every product (``matching()`` is the shoppers' search, capped
    and ranked). The words are looked up in the search index (its name and
    vendor parts), not by reading every name. Text without any word matches
    nothing."""
    words = tokens(text)
    if not words:
        return queryset.none()
    return queryset.filter(pk__in=_backend().named_sql(words))


Candidates = namedtuple("Candidates", "ids name_all name_some capped")


def candidates(words):
    """The products a search for ``words`` considers (find_candidates()),
    cached under the catalogue version: for ``matching()``. A catalogue page
    reads them inside its search's table (products.filters.search_table()),
    which is what it caches."""
    return cache.get_or_compute("search", lambda: find_candidates(words), list(words))


def find_candidates(words):
    """The products a search for ``words`` considers: the ids matching every
    word in the name (the newest MAX_CANDIDATES) and those matching anywhere
    (the newest MAX_CANDIDATES), with the name tiers for ranking and whether
    the match was cut (``capped``). One query, not cached here."""
    tiers = {3: [], 1: [], 0: []}
    for pk, tier in _backend().candidates(list(words)):
        tiers[tier].append(pk)
    anywhere = sorted(tiers[0], reverse=True)  # newest first: the cap keeps the newest
    ids = sorted(set(tiers[3]) | set(anywhere[:MAX_CANDIDATES]))
    chosen = set(ids)
    return Candidates(
        ids,
        sorted(tiers[3]),
        sorted(pk for pk in tiers[1] if pk in chosen),
        len(anywhere) > MAX_CANDIDATES,
    )


Found = namedtuple("Found", "columns name_all name_some capped")


def find_columns(words, rows):
    """The products a search for ``words`` considers, as find_candidates()
    finds them, read through ``rows`` (a PreparedQuery of a values_list()
    over ``ids=``, an id_param(): products.filters.SEARCH_ROWS): ``columns``
    one sequence of values a column of its rows, in the query's order (none
    when nothing is found), with the candidates' name tiers and cap. On
    PostgreSQL one statement, the candidates never leaving the database; on
    SQLite the two queries one after the other."""
    return _backend().find_columns(words, rows)


def id_list(param):
    """SQL for a list of product ids passed as ONE parameter (``id_param(ids)``),
    for ``pk__in=``: compiling thousands of separate parameters costs more
    than the query, and a prepared query (umkm_directory.prepared) needs the
    same SQL for any number of ids. Used by search and by the cards."""
    return _backend().ids_sql(param)


def id_param(ids):
    """``ids`` as the one parameter ``id_list()`` and ``pk__among=`` take on
    this database."""
    return _backend().ids_param(ids)


@BigAutoField.register_lookup
class Among(Lookup):
    """``pk__among=id_param(ids)``: the id is one of ``ids``, one parameter
    however many. For a long list read whole by primary key (a search's
    table): on PostgreSQL ``id = ANY(array)``, one scan of the primary key
    index over the sorted ids, where ``id IN (SELECT unnest(array))``
    (``id_list()``, kept where other filters may lead) first hashes the list
    to drop repeats, then joins: 12-15 % faster for a search's table at 10k
    and at 1M products (docs/performance-history.md, fifth session)."""

    lookup_name = "among"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        column, params = self.process_lhs(compiler, connection)
        return _backend(connection).among_sql(column), [*params, self.rhs]


def reindex(product_ids=None, *, fold=True):
    """Bring the search index in step for these products (all when None):
    set-based SQL, in batches; rows of products that no longer exist are
    dropped. ``fold=False`` (a bulk load writing batch after batch): leave
    the written products waiting for the postings, for ``fold_waiting()``
    once at the end."""
    backend = _backend()
    # Cached searches follow the index; the catalogue's counts (the cube)
    # do not read it: whoever changes what they count bumps them.
    cache.bump(counts=False)
    with transaction.atomic():
        if product_ids is None:
            backend.rebuild()
            return
        ids = sorted({int(pk) for pk in product_ids})
        for start in range(0, len(ids), BATCH_SIZE):
            batch = ids[start : start + BATCH_SIZE]
            placeholders = ", ".join(["%s"] * len(batch))
            backend.write(f"p.id IN ({placeholders})", batch, delete_ids=batch, fold=fold)


def fold_waiting():
    """Fold every product waiting for the search's postings into them (one
    statement; PostgreSQL only), unless another transaction is writing the
    index: its next write folds them then."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            _postgresql.fold(cursor, limit=None)


def reindex_vendor(vendor_id):
    """Reindex every product of one vendor (after a rename): one statement."""
    _backend().write("p.vendor_id = %s", [vendor_id])


def reindex_category(category_id):
    """Reindex every product filed under a category or, for a top-level
    category, under its subcategories (the index holds both names)."""
    _backend().write("(c.id = %s OR c.parent_id = %s)", [category_id, category_id])


def forget(product_id):
    """Drop one product from the index (it was deleted)."""
    _backend().delete([product_id])


def _backend(db=connection):
    return _postgresql if db.vendor == "postgresql" else _sqlite


# The product's fields as the index sees them; both backends select from this.
SOURCE = """
    FROM products_product p
    JOIN products_category c ON c.id = p.category_id
    LEFT JOIN products_category pc ON pc.id = c.parent_id
    JOIN vendors_vendor v ON v.id = p.vendor_id
"""


class _sqlite:
    @staticmethod
    def ids_sql(param):
        # One parameter however many ids (SQLite caps the number of parameters).
        return RawSQL("SELECT value FROM json_each(%s)", [param])

    @staticmethod
    def ids_param(ids):
        return json.dumps([int(pk) for pk in ids])

    @staticmethod
    def among_sql(column):
        return f"{column} IN (SELECT value FROM json_each(%s))"  # noqa: S608 (a compiled column)

    @staticmethod
    def query(words, *, name_only=False, any_word=False):
        terms = (" OR " if any_word else " AND ").join('"{}"*'.format(w.replace('"', '""')) for w in words)
        return f"{{name}} : ({terms})" if name_only else terms

    @classmethod
    def named_sql(cls, words):
        query = "{name vendor} : (" + cls.query(words) + ")"
        return RawSQL("SELECT rowid FROM products_search WHERE products_search MATCH %s", [query])

    # FTS5 walks a match newest first (rowid descending) and stops at the limit.
    NEWEST = (
        "SELECT rowid, {tier} FROM products_search WHERE products_search MATCH %s"
        " ORDER BY rowid DESC LIMIT %s"
    )

    @staticmethod
    def find_columns(words, rows):
        found = find_candidates(words)
        fetched = rows.fetch(ids=id_param(found.ids)) if found.ids else []
        return Found(list(zip(*fetched, strict=True)), found.name_all, found.name_some, found.capped)

    @classmethod
    def candidates(cls, words):
        """(id, tier) rows: 3 every word in the name, 1 some word in the name, 0 anywhere."""
        parts, params = [], []
        tiers = [(3, cls.query(words, name_only=True)), (0, cls.query(words))]
        if len(words) > 1:
            tiers.append((1, cls.query(words, name_only=True, any_word=True)))
        for tier, query in tiers:
            parts.append("SELECT * FROM (" + cls.NEWEST.format(tier=tier) + ")")  # noqa: S608 (constant SQL)
            params += [query, MAX_CANDIDATES + (1 if tier == 0 else 0)]
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            return cursor.fetchall()

    @staticmethod
    def write(condition, params, delete_ids=None, fold=True):
        with connection.cursor() as cursor:
            if delete_ids is not None:
                placeholders = ", ".join(["%s"] * len(delete_ids))
                sql = f"DELETE FROM products_search WHERE rowid IN ({placeholders})"  # noqa: S608 (only %s)
                cursor.execute(sql, delete_ids)
            # INSERT OR REPLACE: a product already indexed is replaced by rowid.
            cursor.execute(
                "INSERT OR REPLACE INTO products_search (rowid, name, category, vendor, description) "
                "SELECT p.id, p.name, c.name || ' ' || COALESCE(pc.name, ''), v.name, p.description "
                f"{SOURCE} WHERE {condition}",
                params,
            )

    @staticmethod
    def delete(ids):
        with connection.cursor() as cursor:
            placeholders = ", ".join(["%s"] * len(ids))
            sql = f"DELETE FROM products_search WHERE rowid IN ({placeholders})"  # noqa: S608 (only %s)
            cursor.execute(sql, list(ids))

    @classmethod
    def rebuild(cls):
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM products_search")
        cls.write("1 = 1", [])
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO products_search (products_search) VALUES ('optimize')")


class _postgresql:
    # Products are grouped by id in buckets of 2**BUCKET_BITS ids; every
    # document carries its bucket as a lexeme no search word can produce
    # ("~15"), with weight A so the name index holds it too. Migration 0009
    # wrote the documents with the same size: changing it needs a reindex().
    BUCKET_BITS = 16
    MARKER = f"(quote_literal('~' || (p.id >> {BUCKET_BITS})) || ':1A')::tsvector"
    DOCUMENT = (
        "setweight(to_tsvector('simple', p.name), 'A')"
        " || setweight(to_tsvector('simple', c.name || ' ' || COALESCE(pc.name, '')), 'B')"
        " || setweight(to_tsvector('simple', v.name), 'C')"
        " || setweight(to_tsvector('simple', p.description), 'D')"
        f" || {MARKER}"
    )
    # The documents of the products meeting a condition, written, and their
    # new words (of names, categories and vendors, for typo tolerance) and
    # lexemes (bucket lexemes aside, for prefix expansion) added, in one
    # statement: the words come from the documents as written (RETURNING),
    # not from reading them again. Words and lexemes are only ever added: a
    # word or lexeme no product holds any more matches nothing, harmlessly.
    WRITE = (
        "WITH written AS ("
        " INSERT INTO products_search (product_id, document)"
        " SELECT p.id, {document} {source} WHERE {condition}"
        " ON CONFLICT (product_id) DO UPDATE SET document = EXCLUDED.document RETURNING document"
        "), words AS ("
        " INSERT INTO products_search_words (word)"
        " SELECT DISTINCT w FROM written, unnest(tsvector_to_array(ts_filter(document, '{{a,b,c}}'))) AS w"
        " WHERE w ~ '^[[:alnum:]]+$' AND length(w) >= 3 ON CONFLICT DO NOTHING"
        ") INSERT INTO products_search_lexemes (lexeme)"
        " SELECT DISTINCT w FROM written, unnest(tsvector_to_array(document)) AS w"
        " WHERE left(w, 1) <> '~' ON CONFLICT DO NOTHING"
    )

    @staticmethod
    def ids_sql(param):
        # An array the planner starts from: a nested loop of primary key
        # lookups, whatever other filters (a district, a category) offer.
        return RawSQL("SELECT unnest(%s::bigint[])", [param])

    @staticmethod
    def ids_param(ids):
        return [int(pk) for pk in ids]

    @staticmethod
    def among_sql(column):
        return f"{column} = ANY(%s::bigint[])"

    @staticmethod
    def named_sql(words):
        # Each word a prefix of weight A (the name) or C (the vendor's name),
        # answered by the document's GIN index. tokens() keeps letters and
        # digits only: a word needs no quoting inside the query's quotes.
        query = " & ".join(f"'{word}':*AC" for word in words)
        return RawSQL(
            "SELECT product_id FROM products_search WHERE document @@ to_tsquery('simple', %s)", [query]
        )

    # The candidates: products_search_candidates() (migration 0009), one call
    # per search, with the constants below (see "Candidates on PostgreSQL").
    CANDIDATES = """
        SELECT candidate, tier FROM products_search_candidates(
            words => %s::text[], wanted => %s, bits => %s,
            walk_cost => %s, posting_cost => %s, match_cost => %s,
            first_walk => %s, max_buckets => %s, max_steps => %s, max_lexemes => %s,
            max_dirty => %s)
    """
    # Costs in microseconds, measured at 1,000,000 products with 128 MB of
    # shared buffers (bench/search_candidates.py): per product a walk reads,
    # per posting a lookup goes through, per match it reads (mostly a page
    # the buffers do not hold).
    WALK_COST = 0.4
    POSTING_COST = 0.13
    MATCH_COST = 4.0
    # The first walk for several words, whose share together is only bounded
    # by that of each, is short: what it finds steers the next step.
    FIRST_WALK = 4096
    # A lookup of more buckets costs more than it saves (each is an entry the
    # index tests every posting against).
    MAX_BUCKETS = 16
    # Steps per tier: the last one goes down to the oldest product.
    MAX_STEPS = 4
    # A word starting more lexemes is a prefix match (collected whole).
    MAX_LEXEMES = 32
    # Postings (see "Postings on PostgreSQL"): a write folds the waiting
    # products into them once FOLD_AT wait, at most FOLD_BATCH at a time; a
    # search takes the postings' way while at most MAX_DIRTY wait.
    FOLD_AT = 32
    FOLD_BATCH = 10_000
    MAX_DIRTY = 512
    # The advisory lock writers hold shared (for their transaction) and a
    # fold exclusive (for the fold): a fold never sees a write half done.
    POSTINGS_LOCK = 7_021_734_102

    @classmethod
    def candidates(cls, words):
        """(id, tier) rows, in no particular order: 0 the newest
        MAX_CANDIDATES + 1 matching every word anywhere, 3 the newest
        MAX_CANDIDATES with every word in the name, 1 those of the tier-0
        rows with some word in the name."""
        with connection.cursor() as cursor:
            cursor.execute(cls.CANDIDATES, cls._arguments(words))
            return cursor.fetchall()

    # find_columns(): the candidates (as find_candidates() keeps them: the
    # newest MAX_CANDIDATES of tier 0 and all of tier 3) and the rows'
    # columns in one statement: a new search text's ~1,000 candidates are
    # not sent to the client and back, nor turned into Python objects on the
    # way (paired over 500 texts: 7.99-9.36 -> 6.49-7.84 ms a new text at
    # 1,000,000 products, 3.16-3.24 -> 2.52-2.61 ms at 10,000;
    # docs/performance-history.md, eighth session). The columns come as arrays,
    # aggregated in the order of the rows' sorted subquery (kept: nothing
    # but aggregates above it). The two tiers' ids are joined, not united:
    # a product in both is one row all the same (``id = ANY(ids)`` is a
    # condition on each row), and no hash of the ids is built (-0.1 to -0.2
    # ms a new text at both sizes; docs/performance-history.md, ninth session). The
    # candidates' rows are gathered into their tiers' arrays in one pass
    # (five scans of them before: -0.09 to -0.19 ms a new text at
    # 1,000,000 products, -0.01 to -0.05 at 10,000; tenth session).
    COLUMNS = """
        WITH tiers AS MATERIALIZED (
            SELECT coalesce(
                    array_agg(candidate ORDER BY candidate DESC) FILTER (WHERE tier = 0), '{{}}') AS anywhere,
                coalesce(array_agg(candidate) FILTER (WHERE tier = 3), '{{}}') AS name_all,
                coalesce(array_agg(candidate) FILTER (WHERE tier = 1), '{{}}') AS name_some
            FROM ({candidates}) AS found
        ),
        chosen AS (SELECT anywhere[1:$2] || name_all AS ids FROM tiers)
        SELECT (SELECT cardinality(anywhere) > $2 FROM tiers),
            (SELECT name_all FROM tiers),
            (SELECT name_some FROM tiers),
            {columns}
        FROM ({rows}) AS r
    """
    _columns_statements = {}

    @classmethod
    def find_columns(cls, words, rows):
        statement = cls._columns_statements.get(rows)
        if statement is None:
            text, names = rows.server_sql(ids="(SELECT ids FROM chosen)")
            # The candidates' call with its arguments as $1, $2, ...
            numbers = itertools.count(1)
            candidates = re.sub(r"%s", lambda _m: f"${next(numbers)}", cls.CANDIDATES)
            sql = cls.COLUMNS.format(
                candidates=candidates,
                columns=", ".join(f"array_agg(r.{connection.ops.quote_name(n)})" for n in names),
                rows=text,
            )
            statement = cls._columns_statements[rows] = (statement_name(sql), sql)
        name, sql = statement
        prepare_once(connection, name, sql)
        arguments = cls._arguments(words)
        with connection.cursor() as cursor:
            cursor.execute(execute_sql(name, len(arguments)), arguments)
            capped, name_all, name_some, *columns = cursor.fetchone()
        return Found([] if columns[0] is None else columns, name_all, name_some, capped)

    @classmethod
    def _arguments(cls, words):
        """The arguments of CANDIDATES, in order."""
        costs = [cls.WALK_COST, cls.POSTING_COST, cls.MATCH_COST]
        limits = [cls.FIRST_WALK, cls.MAX_BUCKETS, cls.MAX_STEPS, cls.MAX_LEXEMES, cls.MAX_DIRTY]
        return [list(words), MAX_CANDIDATES, cls.BUCKET_BITS, *costs, *limits]

    @classmethod
    def write(cls, condition, params, delete_ids=None, fold=True):
        with connection.cursor() as cursor:
            if delete_ids is not None:
                cls._drop(cursor, delete_ids)
            else:
                cls._mark(cursor, f"SELECT p.id {SOURCE} WHERE {condition}", params)
            cursor.execute(
                cls.WRITE.format(document=cls.DOCUMENT, source=SOURCE, condition=condition), params
            )
            if fold:
                cls._fold_if_due(cursor)

    @classmethod
    def delete(cls, ids):
        with connection.cursor() as cursor:
            cls._drop(cursor, list(ids))
            cls._fold_if_due(cursor)

    @classmethod
    def _drop(cls, cursor, ids):
        """Remove the documents of these products, noted as waiting first."""
        cls._mark(cursor, "SELECT unnest(%s::bigint[])", [ids])
        cursor.execute("DELETE FROM products_search WHERE product_id = ANY(%s)", [ids])

    @classmethod
    def _mark(cls, cursor, ids_sql, params):
        """Before the documents of these products (``ids_sql``: a SELECT of
        their ids) change: note each as waiting for the postings, with the
        document the postings hold for it (kept if it waits already). Its
        document row is locked first, so a fold committing meanwhile is
        seen whole."""
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [cls.POSTINGS_LOCK])
        cursor.execute(
            f"SELECT 1 FROM products_search WHERE product_id IN ({ids_sql})"  # noqa: S608 (constant SQL)
            " ORDER BY product_id FOR UPDATE",
            params,
        )
        cursor.execute(
            "INSERT INTO products_search_dirty (product_id, indexed)"  # noqa: S608 (constant SQL)
            f" SELECT x.id, s.document FROM ({ids_sql}) AS x(id)"
            " LEFT JOIN products_search AS s ON s.product_id = x.id"
            " ON CONFLICT (product_id) DO NOTHING",
            params,
        )

    @classmethod
    def _fold_if_due(cls, cursor):
        cursor.execute(
            "SELECT count(*) FROM (SELECT 1 FROM products_search_dirty LIMIT %s) AS d", [cls.FOLD_AT]
        )
        if cursor.fetchone()[0] >= cls.FOLD_AT:
            cls.fold(cursor)

    # The changes of the waiting products (their documents as the postings
    # hold them, against their documents now), applied to the postings:
    # per lexeme and bucket, the offsets that go and those that come, in
    # the products' arrays and in the name arrays.
    FOLD = f"""
        WITH folded AS (
            DELETE FROM products_search_dirty WHERE product_id IN (
                SELECT d.product_id FROM products_search_dirty AS d ORDER BY d.product_id LIMIT %s)
            RETURNING product_id, indexed
        ), before AS (
            SELECT f.product_id, u.lexeme, 'A' = ANY(u.weights) AS named
            FROM folded AS f, unnest(f.indexed) AS u(lexeme, positions, weights)
            WHERE left(u.lexeme, 1) <> '~'
        ), after AS (
            SELECT s.product_id, u.lexeme, 'A' = ANY(u.weights) AS named
            FROM folded AS f JOIN products_search AS s ON s.product_id = f.product_id,
                unnest(s.document) AS u(lexeme, positions, weights)
            WHERE left(u.lexeme, 1) <> '~'
        ), changes AS (
            SELECT coalesce(b.lexeme, a.lexeme) AS lexeme,
                (coalesce(b.product_id, a.product_id) >> {BUCKET_BITS})::integer AS bucket,
                (coalesce(b.product_id, a.product_id) & {2**BUCKET_BITS - 1})::integer AS slot,
                b.product_id IS NOT NULL AS was, a.product_id IS NOT NULL AS now,
                coalesce(b.named, false) AS was_named, coalesce(a.named, false) AS now_named
            FROM before AS b FULL JOIN after AS a ON a.product_id = b.product_id AND a.lexeme = b.lexeme
        ), grouped AS (
            SELECT lexeme, bucket,
                sort(coalesce(array_agg(slot) FILTER (WHERE now AND NOT was), '{{}}')) AS add_ids,
                coalesce(array_agg(slot) FILTER (WHERE was AND NOT now), '{{}}') AS drop_ids,
                sort(coalesce(array_agg(slot) FILTER (WHERE now_named AND NOT was_named), '{{}}'))
                    AS add_names,
                coalesce(array_agg(slot) FILTER (WHERE was_named AND NOT now_named), '{{}}') AS drop_names
            FROM changes WHERE was <> now OR was_named <> now_named
            GROUP BY lexeme, bucket
        ), updated AS (
            UPDATE products_search_postings AS p
            SET ids = (p.ids - g.drop_ids) | g.add_ids, name_ids = (p.name_ids - g.drop_names) | g.add_names
            FROM grouped AS g WHERE p.lexeme = g.lexeme AND p.bucket = g.bucket
            RETURNING p.lexeme, p.bucket
        )
        INSERT INTO products_search_postings (lexeme, bucket, ids, name_ids)
        SELECT g.lexeme, g.bucket, g.add_ids, g.add_names FROM grouped AS g
        WHERE NOT EXISTS (SELECT 1 FROM updated AS u WHERE u.lexeme = g.lexeme AND u.bucket = g.bucket)
    """  # noqa: S608 (constant SQL)

    @classmethod
    def fold(cls, cursor, limit=FOLD_BATCH):
        """Bring up to ``limit`` (None: all) waiting products into the
        postings, unless another transaction is writing the index (it holds
        the lock shared): they then wait for the next write's fold. Returns
        whether it folded."""
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [cls.POSTINGS_LOCK])
        if not cursor.fetchone()[0]:
            return False
        try:
            cursor.execute(cls.FOLD, [limit])
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [cls.POSTINGS_LOCK])
        return True

    # Every document, the category and vendor parts computed once per
    # category and vendor (materialised), not once per product; stored in id
    # order, so a walk of the newest products reads neighbouring pages (the
    # joins alone may order them by vendor).
    FILL = (
        "WITH cv AS MATERIALIZED ("  # noqa: S608 (constant SQL)
        " SELECT c.id,"
        " setweight(to_tsvector('simple', c.name || ' ' || COALESCE(pc.name, '')), 'B') AS doc"
        " FROM products_category c LEFT JOIN products_category pc ON pc.id = c.parent_id),"
        " vv AS MATERIALIZED ("
        " SELECT v.id, setweight(to_tsvector('simple', v.name), 'C') AS doc FROM vendors_vendor v)"
        " INSERT INTO products_search (product_id, document)"
        " SELECT p.id, setweight(to_tsvector('simple', p.name), 'A') || cv.doc || vv.doc"
        " || setweight(to_tsvector('simple', p.description), 'D')"
        f" || {MARKER}"
        " FROM products_product p JOIN cv ON cv.id = p.category_id JOIN vv ON vv.id = p.vendor_id"
        " ORDER BY p.id"
    )
    # Every document's lexemes (bucket lexemes aside) by lexeme and bucket,
    # as sorted arrays of offsets in the bucket (intarray's sort(): the
    # documents are read in id order, so it mostly only checks them).
    POSTINGS = f"""
        INSERT INTO products_search_postings (lexeme, bucket, ids, name_ids)
        SELECT u.lexeme, (s.product_id >> {BUCKET_BITS})::integer,
            sort(array_agg((s.product_id & {2**BUCKET_BITS - 1})::integer)),
            sort(coalesce(array_agg((s.product_id & {2**BUCKET_BITS - 1})::integer)
                FILTER (WHERE 'A' = ANY(u.weights)), '{{}}'))
        FROM products_search AS s, unnest(s.document) AS u(lexeme, positions, weights)
        WHERE left(u.lexeme, 1) <> '~'
        GROUP BY 1, 2
    """  # noqa: S608 (constant SQL)
    # The name part of the documents (weight A), under its own GIN index.
    NAME = "ts_filter(document, '{a}')"

    @classmethod
    def rebuild(cls):
        # Rebuilding a GIN index once is far cheaper than growing it row by
        # row: empty the table without its indexes, fill it, build them again.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            cursor.execute("SET LOCAL work_mem = '256MB'")  # the id order: a sort in memory
            cursor.execute(
                "TRUNCATE products_search, products_search_words, products_search_lexemes,"
                " products_search_postings, products_search_dirty"
            )
            cursor.execute("DROP INDEX IF EXISTS products_search_document")
            cursor.execute("DROP INDEX IF EXISTS products_search_name")
            cursor.execute(cls.FILL)
            cursor.execute("CREATE INDEX products_search_document ON products_search USING gin (document)")
            cursor.execute(f"CREATE INDEX products_search_name ON products_search USING gin ({cls.NAME})")
            # ts_stat() gathers the distinct lexemes of every document several
            # times faster than unnest() and DISTINCT.
            cursor.execute(
                "INSERT INTO products_search_words (word) SELECT word"
                " FROM ts_stat('SELECT document FROM products_search', 'abc')"
                " WHERE word ~ '^[[:alnum:]]+$' AND length(word) >= 3"
            )
            cursor.execute(
                "INSERT INTO products_search_lexemes (lexeme) SELECT word"
                " FROM ts_stat('SELECT document FROM products_search') WHERE left(word, 1) <> '~'"
            )
            cursor.execute(cls.POSTINGS)
            cursor.execute("ANALYZE products_search")
            cursor.execute("ANALYZE products_search_words")
            cursor.execute("ANALYZE products_search_postings")
