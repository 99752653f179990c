"""Search candidates from bucketed postings on PostgreSQL (products/search.py,
"Postings on PostgreSQL"). SQLite is unaffected.

Before, a search's candidates came from the GIN index and walks of the
newest documents (0009): a common word, or two words that rarely meet,
walked tens of thousands of postings one at a time (~13 ms a new search
text at 1,000,000 products, 26 ms at the 95th percentile).

- ``products_search_postings``: for each lexeme and bucket of 2**16 product
  ids, the products holding it (``ids``) and those holding it in the name
  (``name_ids``), as sorted arrays of their offsets in the bucket. A search
  reads the rows of its words from the newest bucket down and intersects
  them with the intarray extension's operators (sorted merges in C), until
  it holds enough: a bucket costs a few array operations, not a posting at
  a time.
- ``products_search_dirty``: the products written since the postings last
  took them in, with the document the postings hold for each (NULL: none).
  Writers only add a row here (no lock on a postings row, so bulk imports
  and admin edits never wait on each other); a search leaves these products
  out of the postings and tests their documents instead; ``fold`` (search.py)
  brings their changes into the postings and empties it, under an advisory
  lock writers hold shared.
- ``products_search_candidates()`` takes the postings' way when no word is a
  prefix match of more than ``max_lexemes`` lexemes and at most
  ``max_dirty`` products wait to be folded; else the steps of 0009.

The postings are built from the documents as search.reindex() does (the SQL
is repeated on purpose: a migration must keep working whatever the code
becomes); ~1 minute at 1,000,000 products.
"""

from django.db import migrations

BUCKET_BITS = 16

TABLES = [
    "CREATE EXTENSION IF NOT EXISTS intarray",
    """
    CREATE TABLE products_search_postings (
        lexeme text COLLATE "C" NOT NULL,
        bucket integer NOT NULL,
        ids integer[] NOT NULL,
        name_ids integer[] NOT NULL,
        PRIMARY KEY (lexeme, bucket)
    )
    """,
    # Arrays are stored uncompressed (sorted offsets barely compress): one
    # less step each time one is read.
    "ALTER TABLE products_search_postings ALTER COLUMN ids SET STORAGE EXTERNAL",
    "ALTER TABLE products_search_postings ALTER COLUMN name_ids SET STORAGE EXTERNAL",
    "CREATE TABLE products_search_dirty (product_id bigint PRIMARY KEY, indexed tsvector)",
]

# Every document's lexemes (bucket lexemes aside) grouped by lexeme and
# bucket; the arrays sorted by intarray's sort() (the documents are read in
# id order, so it only checks them).
FILL = f"""
    INSERT INTO products_search_postings (lexeme, bucket, ids, name_ids)
    SELECT u.lexeme, (s.product_id >> {BUCKET_BITS})::integer,
        sort(array_agg((s.product_id & {2**BUCKET_BITS - 1})::integer)),
        sort(coalesce(array_agg((s.product_id & {2**BUCKET_BITS - 1})::integer)
            FILTER (WHERE 'A' = ANY(u.weights)), '{{}}'))
    FROM products_search AS s, unnest(s.document) AS u(lexeme, positions, weights)
    WHERE left(u.lexeme, 1) <> '~'
    GROUP BY 1, 2
"""

# The newest matches from the postings: (candidate, tier) rows as
# products_search_candidates() returns them. `entry_words`/`entry_lexemes`:
# each word's exact lexemes; `every`, `every_name`, `some_name`: the tsquery
# texts of every word anywhere, every word in the name, some word in the
# name, for the products in `dirty` (tested on their documents, left out of
# the postings).
FROM_POSTINGS = r"""
CREATE FUNCTION products_search_from_postings(
    entry_words integer[], entry_lexemes text[], every text, every_name text, some_name text,
    dirty bigint[], wanted integer, bits integer
) RETURNS TABLE (candidate bigint, tier integer) LANGUAGE plpgsql STABLE AS $fn$
DECLARE
    word_count integer := (SELECT count(DISTINCT n) FROM unnest(entry_words) AS n);
    need0 integer := wanted + 1;
    need3 integer := wanted;
    current_bucket integer;
    current_word integer;
    word_ids integer[];
    word_names integer[];
    every_b integer[];
    names_b integer[];
    some_b integer[];
    dirty_b integer[];
    seen integer;
    taken integer[];
    r record;
    ids0 bigint[] := '{}';
    ids1 bigint[] := '{}';
    ids3 bigint[] := '{}';
BEGIN
    -- The products waiting to be folded, tested on their documents.
    SELECT coalesce(array_agg(s.product_id) FILTER (WHERE s.document @@ every::tsquery), '{}'),
        coalesce(array_agg(s.product_id) FILTER (
            WHERE s.document @@ every::tsquery AND s.document @@ some_name::tsquery), '{}'),
        coalesce(array_agg(s.product_id) FILTER (WHERE s.document @@ every_name::tsquery), '{}')
    INTO ids0, ids1, ids3
    FROM products_search AS s WHERE s.product_id = ANY(dirty);
    -- The rows of the words, newest bucket first, each word's lexemes
    -- together; a last row (bucket -1) closes the last bucket. Each bucket's
    -- matches: the intersection of its words (each the union of its
    -- lexemes' arrays); a word without a row there: none.
    FOR r IN
        SELECT p.bucket, e.n, p.ids, p.name_ids
        FROM unnest(entry_words, entry_lexemes) AS e(n, lexeme)
        JOIN products_search_postings AS p ON p.lexeme = e.lexeme
        UNION ALL SELECT -1, 0, NULL, NULL
        ORDER BY 1 DESC, 2
    LOOP
        IF current_word IS NOT NULL AND current_bucket = r.bucket AND current_word = r.n THEN
            word_ids := word_ids | r.ids;
            word_names := word_names | r.name_ids;
            CONTINUE;
        END IF;
        IF current_word IS NOT NULL THEN
            every_b := CASE WHEN every_b IS NULL THEN word_ids ELSE every_b & word_ids END;
            names_b := CASE WHEN names_b IS NULL THEN word_names ELSE names_b & word_names END;
            some_b := some_b | word_names;
            seen := seen + 1;
        END IF;
        IF current_bucket IS DISTINCT FROM r.bucket THEN
            IF seen = word_count THEN
                IF cardinality(dirty) > 0 THEN
                    dirty_b := ARRAY(
                        SELECT (x - (current_bucket::bigint << bits))::integer FROM unnest(dirty) AS x
                        WHERE x >> bits = current_bucket);
                    every_b := every_b - dirty_b;
                    names_b := names_b - dirty_b;
                END IF;
                IF need0 > 0 AND cardinality(every_b) > 0 THEN
                    taken := every_b[greatest(1, cardinality(every_b) - need0 + 1):];
                    ids0 := ids0 || ARRAY(SELECT (current_bucket::bigint << bits) + x FROM unnest(taken) AS x);
                    IF word_count > 1 THEN
                        ids1 := ids1 || ARRAY(
                            SELECT (current_bucket::bigint << bits) + x FROM unnest(taken & some_b) AS x);
                    END IF;
                    need0 := need0 - cardinality(taken);
                END IF;
                IF need3 > 0 AND cardinality(names_b) > 0 THEN
                    taken := names_b[greatest(1, cardinality(names_b) - need3 + 1):];
                    ids3 := ids3 || ARRAY(SELECT (current_bucket::bigint << bits) + x FROM unnest(taken) AS x);
                    need3 := need3 - cardinality(taken);
                END IF;
            END IF;
            EXIT WHEN need0 <= 0 AND need3 <= 0;
            current_bucket := r.bucket;
            every_b := NULL;
            names_b := NULL;
            some_b := '{}';
            seen := 0;
        END IF;
        current_word := r.n;
        word_ids := r.ids;
        word_names := r.name_ids;
    END LOOP;
    -- The newest of the postings' and of the waiting products' matches.
    ids0 := ARRAY(SELECT DISTINCT x FROM unnest(ids0) AS x ORDER BY x DESC LIMIT wanted + 1);
    RETURN QUERY SELECT x, 0 FROM unnest(ids0) AS x;
    IF word_count > 1 THEN
        RETURN QUERY SELECT x, 1 FROM unnest(ids0) AS x WHERE x = ANY(ids1);
    END IF;
    RETURN QUERY SELECT x, 3 FROM (SELECT DISTINCT x FROM unnest(ids3) AS x ORDER BY x DESC LIMIT wanted) AS t;
END
$fn$
"""

# 0009's function, with its new first way: the postings (above) when no word
# is a prefix match and at most `max_dirty` products wait to be folded.
CANDIDATES = r"""
CREATE FUNCTION products_search_candidates(
    words text[], wanted integer, bits integer,
    walk_cost double precision, posting_cost double precision, match_cost double precision,
    first_walk integer, max_buckets integer, max_steps integer, max_lexemes integer, max_dirty integer
) RETURNS TABLE (candidate bigint, tier integer)
LANGUAGE plpgsql STABLE
SET enable_seqscan = off SET enable_sort = off SET jit = off SET max_parallel_workers_per_gather = 0
AS $fn$
DECLARE
    top bigint;
    entry_words integer[];
    entry_lexemes text[];
    entry_prefixes boolean[];
    entry_shares double precision[];
    entry_name_shares double precision[];
    word_count integer;
    costs double precision[] := ARRAY[walk_cost, posting_cost, match_cost];
    limits integer[] := ARRAY[first_walk, max_buckets, max_steps];
    every text;
    every_name text;
    some_name text;
    dirty bigint[];
    from_postings boolean;
    anywhere record;
    named record;
    names bigint[];
BEGIN
    SELECT max(s.product_id) INTO top FROM products_search AS s;
    IF top IS NULL THEN
        RETURN;
    END IF;
    WITH terms AS (
        SELECT w.n, t.term FROM unnest(words) WITH ORDINALITY AS w(word, n)
        CROSS JOIN LATERAL (
            SELECT w.word AS term
            UNION
            (SELECT k.word FROM products_search_words AS k
             WHERE length(w.word) >= 5
               AND NOT EXISTS (
                   SELECT 1 FROM products_search_words AS s
                   WHERE s.word >= w.word AND s.word < w.word || chr(1114111))
               AND k.word % w.word AND similarity(k.word, w.word) >= 0.5
             ORDER BY similarity(k.word, w.word) DESC LIMIT 3)
        ) AS t
    ), expanded AS (
        SELECT t.n, t.term, ARRAY(
            SELECT l.lexeme FROM products_search_lexemes AS l
            WHERE l.lexeme >= t.term AND l.lexeme < t.term || chr(1114111)
            ORDER BY l.lexeme LIMIT max_lexemes + 1) AS found
        FROM terms AS t
    ), entries AS (
        SELECT DISTINCT e.n, x.lexeme, cardinality(e.found) > max_lexemes AS prefix
        FROM expanded AS e CROSS JOIN LATERAL unnest(
            CASE WHEN cardinality(e.found) > max_lexemes THEN ARRAY[e.term] ELSE e.found END
        ) AS x(lexeme)
    )
    SELECT array_agg(e.n ORDER BY e.n, e.lexeme), array_agg(e.lexeme ORDER BY e.n, e.lexeme),
        array_agg(e.prefix ORDER BY e.n, e.lexeme), count(DISTINCT e.n)
    INTO entry_words, entry_lexemes, entry_prefixes, word_count
    FROM entries AS e;
    IF word_count < cardinality(words) THEN
        RETURN;  -- a word that starts no lexeme: nothing matches every word
    END IF;
    -- The postings, when every word is exact lexemes and few products wait
    -- (dirty stays NULL for a prefix match: the steps below).
    IF NOT (true = ANY(entry_prefixes)) THEN
        dirty := ARRAY(SELECT d.product_id FROM products_search_dirty AS d ORDER BY 1 LIMIT max_dirty + 1);
    END IF;
    from_postings := coalesce(cardinality(dirty) <= max_dirty, false);
    -- The tsquery texts: for the steps, or for the waiting products' documents.
    IF NOT from_postings OR cardinality(dirty) > 0 THEN
        every := products_search_tsquery(entry_words, entry_lexemes, entry_prefixes, ' & ', '');
        every_name := products_search_tsquery(entry_words, entry_lexemes, entry_prefixes, ' & ', 'A');
        some_name := products_search_tsquery(entry_words, entry_lexemes, entry_prefixes, ' | ', 'A');
    END IF;
    IF from_postings THEN
        RETURN QUERY SELECT * FROM products_search_from_postings(
            entry_words, entry_lexemes, every, every_name, some_name, dirty, wanted, bits);
        RETURN;
    END IF;

    -- Else the steps of 0009, by the planner statistics of the documents and
    -- of the names: the share of products holding each entry.
    WITH statistics AS MATERIALIZED (
        SELECT st.tablename AS name, st.most_common_elems::text::text[] AS lexemes,
            st.most_common_elem_freqs AS shares
        FROM pg_stats AS st
        WHERE st.schemaname = current_schema()
            AND ((st.tablename = 'products_search' AND st.attname = 'document')
                OR (st.tablename = 'products_search_name' AND st.attname = 'ts_filter'))
    ), sources AS (
        SELECT t.name, s.lexemes, s.shares,
            coalesce(s.shares[cardinality(s.shares) - 1] / 2, 0.001) AS floor
        FROM (VALUES ('products_search'), ('products_search_name')) AS t(name)
        LEFT JOIN statistics AS s ON s.name = t.name
    ), sized AS (
        SELECT e.i, s.name, CASE
            WHEN e.prefix THEN least(1.0, s.floor + coalesce((
                SELECT sum(u.share) FROM unnest(s.lexemes, s.shares) AS u(lexeme, share)
                WHERE starts_with(u.lexeme, e.lexeme)), 0))
            ELSE coalesce(s.shares[array_position(s.lexemes, e.lexeme)], s.floor) END AS share
        FROM unnest(entry_lexemes, entry_prefixes) WITH ORDINALITY AS e(lexeme, prefix, i)
        CROSS JOIN sources AS s
    )
    SELECT array_agg(d.share ORDER BY d.i), array_agg(m.share ORDER BY d.i)
    INTO entry_shares, entry_name_shares
    FROM sized AS d JOIN sized AS m ON m.i = d.i AND m.name = 'products_search_name'
    WHERE d.name = 'products_search';

    -- Every word anywhere, with whether all or some are in the name.
    SELECT * INTO anywhere FROM products_search_newest(
        every, every, 'document', ARRAY['document @@ $5::tsquery', 'document @@ $6::tsquery'],
        ARRAY[every_name, some_name],
        wanted + 1, top + 1, top, 1.0, cardinality(words) > 1,
        entry_words, entry_shares, entry_prefixes, bits, costs, limits);
    RETURN QUERY SELECT x, 0 FROM unnest(anywhere.ids) AS x;
    IF cardinality(words) > 1 THEN
        RETURN QUERY SELECT x, 1 FROM unnest(anywhere.ids, anywhere.flag2) AS u(x, f) WHERE f;
    END IF;
    names := ARRAY(
        SELECT x FROM unnest(anywhere.ids, anywhere.flag1) AS u(x, f) WHERE f ORDER BY x DESC LIMIT wanted);
    IF cardinality(anywhere.ids) > wanted AND cardinality(names) < wanted THEN
        SELECT * INTO named FROM products_search_newest(
            every_name, every, 'ts_filter(document, ''{a}'')', ARRAY['true', 'true'], ARRAY['', ''],
            wanted - cardinality(names), anywhere.ids[cardinality(anywhere.ids)], top, anywhere.found_share,
            false, entry_words, entry_name_shares, entry_prefixes, bits, costs, limits);
        names := names || named.ids;
    END IF;
    RETURN QUERY SELECT x, 3 FROM unnest(names) AS x;
END
$fn$
"""

OLD_CANDIDATES = (
    "products_search_candidates(text[], integer, integer, double precision, double precision,"
    " double precision, integer, integer, integer, integer)"
)

FORWARD = [
    *TABLES,
    "SET LOCAL work_mem = '256MB'",
    FILL,
    "ANALYZE products_search_postings",
    FROM_POSTINGS,
    f"DROP FUNCTION {OLD_CANDIDATES}",
    CANDIDATES,
]


def backward_statements():
    # 0009's function comes back as it was.
    from importlib import import_module

    previous = import_module("products.migrations.0009_search_pg_speed")
    return [
        "DROP FUNCTION IF EXISTS products_search_candidates(text[], integer, integer, double precision,"
        " double precision, double precision, integer, integer, integer, integer, integer)",
        "DROP FUNCTION IF EXISTS products_search_from_postings(integer[], text[], text, text, text, bigint[],"
        " integer, integer)",
        previous.CANDIDATES,
        "DROP TABLE IF EXISTS products_search_dirty",
        "DROP TABLE IF EXISTS products_search_postings",
    ]


def run(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            for statement in statements() if callable(statements) else statements:
                cursor.execute(statement)

    return operation


class Migration(migrations.Migration):
    """Bucketed postings for the search's candidates on PostgreSQL; nothing on SQLite."""

    dependencies = [("products", "0010_flag_filter_indexes")]
    operations = [migrations.RunPython(run(FORWARD), run(backward_statements))]
