"""Search candidates at a cost independent of the catalogue's size on
PostgreSQL (products/search.py, "Candidates on PostgreSQL"). SQLite is
unaffected.

- Every document also carries its product's id bucket, a lexeme no search
  word can produce (``'~15':1A`` for ids 983,040–1,048,575: buckets of 2**16
  ids), so the GIN index can be asked for the matches among the newest
  buckets only.
- ``products_search_name``: a GIN index over the name part of the documents
  (weight A), so "every word in the name" is an index lookup, not a recheck
  of the weights of every product matching anywhere.
- ``products_search_lexemes``: every lexeme of the documents, so a search
  word becomes the exact lexemes it starts (``ampl`` → ``amplang``) and the
  GIN index can skip through a common word's postings instead of collecting
  all of a prefix's matches first.
- ``products_search_candidates()`` finds a search's candidates in one call
  (the steps it takes are chosen inside, so a search is one query);
  ``products_search_query()`` (0003) goes.

The documents are rewritten from the products, as search.reindex() does
(the SQL is repeated on purpose: a migration must keep working whatever the
code becomes); at 1,000,000 products this takes under a minute.
"""

from django.db import migrations

BUCKET_BITS = 16

# The category and vendor parts are computed once per category and vendor;
# the documents are stored in id order (a walk of the newest products then
# reads neighbouring pages).
FILL = (
    "WITH cv AS MATERIALIZED ("
    " SELECT c.id,"
    " setweight(to_tsvector('simple', c.name || ' ' || COALESCE(pc.name, '')), 'B') AS doc"
    " FROM products_category c LEFT JOIN products_category pc ON pc.id = c.parent_id),"
    " vv AS MATERIALIZED ("
    " SELECT v.id, setweight(to_tsvector('simple', v.name), 'C') AS doc FROM vendors_vendor v)"
    " INSERT INTO products_search (product_id, document)"
    " SELECT p.id, setweight(to_tsvector('simple', p.name), 'A') || cv.doc || vv.doc"
    " || setweight(to_tsvector('simple', p.description), 'D')"
    f" || (quote_literal('~' || (p.id >> {BUCKET_BITS})) || ':1A')::tsvector"
    " FROM products_product p JOIN cv ON cv.id = p.category_id JOIN vv ON vv.id = p.vendor_id"
    " ORDER BY p.id"
)

# The tsquery (as text) of entries (word number, lexeme, prefix match?): the
# words joined by `joiner`, each the OR of its lexemes, all with `weight`.
TSQUERY = r"""
CREATE FUNCTION products_search_tsquery(
    words integer[], lexemes text[], prefixes boolean[], joiner text, weight text
) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT string_agg(alternatives, joiner ORDER BY word) FROM (
    SELECT word, '(' || string_agg(
        '''' || replace(replace(lexeme, '\', '\\'), '''', '''''') || ''''
        || CASE WHEN prefix THEN ':*' || weight WHEN weight <> '' THEN ':' || weight ELSE '' END,
        ' | ' ORDER BY lexeme) || ')' AS alternatives
    FROM unnest(words, lexemes, prefixes) AS e(word, lexeme, prefix)
    GROUP BY word
  ) AS w
$fn$
"""

# The postings a GIN lookup goes through, for AND-ed groups of OR-ed entries
# (group, postings): the index reads entries smallest first until it holds
# every entry of some group, which then drives the scan (the postings of the
# other entries are only skipped through).
POSTINGS = """
CREATE FUNCTION products_search_postings(groups integer[], sizes double precision[])
RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT coalesce(min(reads) FILTER (WHERE seen = total), 0) FROM (
    SELECT sum(size) OVER (ORDER BY size, g, i) AS reads,
           count(*) OVER (PARTITION BY g ORDER BY size, i) AS seen,
           count(*) OVER (PARTITION BY g) AS total
    FROM unnest(groups, sizes) WITH ORDINALITY AS e(g, size, i)
  ) AS x
$fn$
"""

# The `need` newest products with an id below `hi` matching, found in steps
# from the newest down (products/search.py, "Candidates on PostgreSQL"):
# their ids newest first, the two flags of each, and the share of products
# found to match. `walked` is tested on the documents a walk reads;
# `indexed` (the same match) is asked of the GIN index over `indexed_column`;
# `flags`: the SQL of the two flags ($5 and $6 are `flag_queries`). `share`:
# an upper bound of the share matching; `sizes`: per entry of the query (of
# word `groups`), the share of products holding it. `costs`: per product
# walked, per posting, per match read (microseconds); `limits`: the first
# walk's length when `short_first`, buckets per lookup, steps.
NEWEST = """
CREATE FUNCTION products_search_newest(
    walked text, indexed text, indexed_column text, flags text[], flag_queries text[],
    need integer, hi bigint, top bigint, share double precision, short_first boolean,
    groups integer[], sizes double precision[], prefixes boolean[],
    bits integer, costs double precision[], limits integer[],
    OUT ids bigint[], OUT flag1 boolean[], OUT flag2 boolean[], OUT found_share double precision
) LANGUAGE plpgsql STABLE AS $fn$
DECLARE
    postings double precision[] := ARRAY(SELECT abs(s) * top FROM unnest(sizes) AS s);
    -- Prefix matches are collected whole before the scan.
    collected double precision := (
        SELECT coalesce(sum(abs(s) * top), 0) FROM unnest(sizes, prefixes) AS e(s, p) WHERE p);
    walked_over bigint := 0;
    matched bigint := 0;
    final_step boolean;
    walk double precision;
    best double precision;
    best_lo bigint;
    best_buckets boolean;
    cost double precision;
    window_lo bigint;
    lo bigint;
    bucket_sizes double precision[];
    reads double precision;
    query text;
    choice record;
    batch bigint[];
    batch1 boolean[];
    batch2 boolean[];
BEGIN
    ids := '{}';
    flag1 := '{}';
    flag2 := '{}';
    share := least(share, (
        SELECT min(word_share) FROM (
            SELECT least(1.0, sum(abs(s))) AS word_share FROM unnest(groups, sizes) AS e(g, s) GROUP BY g
        ) AS w));
    FOR step IN 1..limits[3] LOOP
        EXIT WHEN need <= 0 OR hi <= 0;
        IF walked_over > 0 THEN
            -- What the steps found (the rule of three bounds a share found
            -- nothing of), never above the bound.
            share := least(share, (matched + 3)::double precision / walked_over);
        END IF;
        final_step := step = limits[3];
        -- The cheapest of: a walk; a lookup of the buckets expected to hold a
        -- bit more than needed; a lookup of all the buckets below hi; a
        -- lookup without buckets (every match read, those above hi too).
        -- The last step goes down to the oldest product.
        walk := least(hi, need / share);
        best := costs[1] * walk;
        best_lo := NULL;
        window_lo := CASE WHEN final_step THEN 0
            ELSE (greatest(0, floor(hi - 1.3 * need / share))::bigint >> bits) << bits END;
        FOR choice IN
            SELECT * FROM (VALUES (window_lo, true), (0::bigint, true), (0::bigint, false)) AS c(lo, buckets)
        LOOP
            IF choice.buckets THEN
                bucket_sizes := ARRAY(
                    SELECT (least(top + 1, (b + 1) << bits) - (b << bits))::double precision
                    FROM generate_series(choice.lo >> bits, (hi - 1) >> bits) AS b);
                CONTINUE WHEN cardinality(bucket_sizes) > limits[2];
                reads := (SELECT sum(b) FROM unnest(bucket_sizes) AS b);
            ELSE
                bucket_sizes := '{}';
                reads := top + 1;
            END IF;
            cost := costs[2] * (collected + products_search_postings(
                    groups || array_fill(0, ARRAY[cardinality(bucket_sizes)]), postings || bucket_sizes))
                + costs[3] * share * reads;
            IF cost < best THEN
                best := cost;
                best_lo := choice.lo;
                best_buckets := choice.buckets;
            END IF;
        END LOOP;
        IF best_lo IS NULL THEN
            -- A walk: the primary key read newest first over an id range (OFFSET
            -- 0 keeps the condition out of the subquery), stopped by the LIMIT.
            lo := CASE WHEN final_step THEN 0
                ELSE greatest(0, hi - greatest(2048, floor(1.5 * walk)::bigint)) END;
            IF short_first THEN
                lo := greatest(lo, hi - limits[1]);
            END IF;
            EXECUTE format($q$
                SELECT array_agg(product_id ORDER BY product_id DESC), array_agg(a ORDER BY product_id DESC),
                    array_agg(b ORDER BY product_id DESC)
                FROM (SELECT product_id, %s AS a, %s AS b FROM (
                        SELECT product_id, document FROM products_search
                        WHERE product_id >= $1 AND product_id < $2
                        ORDER BY product_id DESC OFFSET 0
                    ) AS newest WHERE document @@ $3::tsquery LIMIT $4) AS step
                $q$, flags[1], flags[2])
            INTO batch, batch1, batch2 USING lo, hi, walked, need, flag_queries[1], flag_queries[2];
        ELSE
            -- A lookup: only the GIN index is asked ("+ 0" keeps the primary
            -- key out of the plan), every match's id read, the newest kept.
            lo := best_lo;
            query := indexed;
            IF best_buckets THEN
                query := '(' || indexed || ') & (' || (
                    SELECT string_agg(format('''~%s''', b), ' | ')
                    FROM generate_series(lo >> bits, (hi - 1) >> bits) AS b) || ')';
            END IF;
            EXECUTE format($q$
                SELECT array_agg(product_id ORDER BY product_id DESC), array_agg(a ORDER BY product_id DESC),
                    array_agg(b ORDER BY product_id DESC)
                FROM (SELECT product_id, %s AS a, %s AS b FROM products_search
                    WHERE %s @@ $3::tsquery AND product_id + 0 < $2
                    ORDER BY product_id + 0 DESC LIMIT $4) AS step
                $q$, flags[1], flags[2], indexed_column)
            INTO batch, batch1, batch2 USING lo, hi, query, need, flag_queries[1], flag_queries[2];
        END IF;
        ids := ids || coalesce(batch, '{}');
        flag1 := flag1 || coalesce(batch1, '{}');
        flag2 := flag2 || coalesce(batch2, '{}');
        need := need - coalesce(cardinality(batch), 0);
        walked_over := walked_over + (hi - lo);
        matched := matched + coalesce(cardinality(batch), 0);
        hi := lo;
        short_first := false;
    END LOOP;
    found_share := share;
END
$fn$
"""

# The candidates of a search (products/search.py): (id, tier) rows, tier 0
# the newest `wanted` + 1 products matching every word anywhere (newest
# first), 3 the newest `wanted` with every word in the name, 1 those of the
# tier-0 rows with some word in the name (several words only). Each word
# stands for the lexemes it starts (more than `max_lexemes`: a prefix match)
# and, when misspelt (five letters or more, starting no known word), for
# those of the up to three known words most similar to it. The settings: the
# steps' plans are chosen by products_search_newest(), so no sequential scan
# and no sort where an index gives the order (a walk reads the primary key
# newest first and stops, it never sorts its range, whatever the planner
# thinks of the table's order); no JIT compilation (~20 ms, more than a
# step); no parallel workers (their start costs more than a step).
CANDIDATES = """
CREATE FUNCTION products_search_candidates(
    words text[], wanted integer, bits integer,
    walk_cost double precision, posting_cost double precision, match_cost double precision,
    first_walk integer, max_buckets integer, max_steps integer, max_lexemes integer
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
    ), statistics AS MATERIALIZED (
        -- The planner statistics of the documents and of the names: their
        -- most common lexemes and the share of products holding each, then
        -- the least and the greatest share. (A filter on pg_stats itself:
        -- joined, the view computes the statistics of every column first.)
        SELECT st.tablename AS name, st.most_common_elems::text::text[] AS lexemes,
            st.most_common_elem_freqs AS shares
        FROM pg_stats AS st
        WHERE st.schemaname = current_schema()
            AND ((st.tablename = 'products_search' AND st.attname = 'document')
                OR (st.tablename = 'products_search_name' AND st.attname = 'ts_filter'))
    ), sources AS (
        -- A lexeme not among the most common counts as half the least common
        -- (as in the planner's own estimates); without statistics, 0.001.
        SELECT t.name, s.lexemes, s.shares,
            coalesce(s.shares[cardinality(s.shares) - 1] / 2, 0.001) AS floor
        FROM (VALUES ('products_search'), ('products_search_name')) AS t(name)
        LEFT JOIN statistics AS s ON s.name = t.name
    ), sized AS (
        SELECT e.n, e.lexeme, e.prefix, s.name, CASE
            WHEN e.prefix THEN least(1.0, s.floor + coalesce((
                SELECT sum(u.share) FROM unnest(s.lexemes, s.shares) AS u(lexeme, share)
                WHERE starts_with(u.lexeme, e.lexeme)), 0))
            ELSE coalesce(s.shares[array_position(s.lexemes, e.lexeme)], s.floor) END AS share
        FROM entries AS e CROSS JOIN sources AS s
    )
    SELECT array_agg(d.n ORDER BY d.n, d.lexeme), array_agg(d.lexeme ORDER BY d.n, d.lexeme),
        array_agg(d.prefix ORDER BY d.n, d.lexeme), array_agg(d.share ORDER BY d.n, d.lexeme),
        array_agg(m.share ORDER BY d.n, d.lexeme), count(DISTINCT d.n)
    INTO entry_words, entry_lexemes, entry_prefixes, entry_shares, entry_name_shares, word_count
    FROM sized AS d JOIN sized AS m ON m.n = d.n AND m.lexeme = d.lexeme AND m.name = 'products_search_name'
    WHERE d.name = 'products_search';
    IF word_count < cardinality(words) THEN
        RETURN;  -- a word that starts no lexeme: nothing matches every word
    END IF;
    every := products_search_tsquery(entry_words, entry_lexemes, entry_prefixes, ' & ', '');
    every_name := products_search_tsquery(entry_words, entry_lexemes, entry_prefixes, ' & ', 'A');

    -- Every word anywhere, with whether all or some are in the name.
    SELECT * INTO anywhere FROM products_search_newest(
        every, every, 'document', ARRAY['document @@ $5::tsquery', 'document @@ $6::tsquery'],
        ARRAY[every_name, products_search_tsquery(entry_words, entry_lexemes, entry_prefixes, ' | ', 'A')],
        wanted + 1, top + 1, top, 1.0, cardinality(words) > 1,
        entry_words, entry_shares, entry_prefixes, bits, costs, limits);
    RETURN QUERY SELECT x, 0 FROM unnest(anywhere.ids) AS x;
    IF cardinality(words) > 1 THEN
        RETURN QUERY SELECT x, 1 FROM unnest(anywhere.ids, anywhere.flag2) AS u(x, f) WHERE f;
    END IF;
    -- Every word in the name: name matches are matches, so those down to the
    -- oldest row found are flagged already; the rest are looked for below it,
    -- at most as common as the matches anywhere were found to be.
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

# Signatures, for dropping them.
FUNCTIONS = {
    "products_search_tsquery(integer[], text[], boolean[], text, text)": TSQUERY,
    "products_search_postings(integer[], double precision[])": POSTINGS,
    "products_search_newest(text, text, text, text[], text[], integer, bigint, bigint, double precision,"
    " boolean, integer[], double precision[], boolean[], integer, double precision[], integer[])": NEWEST,
    "products_search_candidates(text[], integer, integer, double precision, double precision,"
    " double precision, integer, integer, integer, integer)": CANDIDATES,
}

FORWARD = [
    "SET LOCAL maintenance_work_mem = '256MB'",
    "SET LOCAL work_mem = '256MB'",
    "DROP FUNCTION IF EXISTS products_search_query(text[], text, text)",
    'CREATE TABLE products_search_lexemes (lexeme text COLLATE "C" PRIMARY KEY)',
    "DROP INDEX IF EXISTS products_search_document",
    "TRUNCATE products_search",
    FILL,
    "CREATE INDEX products_search_document ON products_search USING gin (document)",
    "CREATE INDEX products_search_name ON products_search USING gin (ts_filter(document, '{a}'))",
    "INSERT INTO products_search_lexemes (lexeme)"
    " SELECT word FROM ts_stat('SELECT document FROM products_search') WHERE left(word, 1) <> '~'",
    "ANALYZE products_search",
    *FUNCTIONS.values(),
]

BACKWARD = [
    *(f"DROP FUNCTION IF EXISTS {signature}" for signature in reversed(FUNCTIONS)),
    "SET LOCAL maintenance_work_mem = '256MB'",
    "DROP INDEX IF EXISTS products_search_name",
    "DROP TABLE IF EXISTS products_search_lexemes",
    # The bucket lexemes go (each document holds exactly one); the GIN index
    # is built again rather than updated row by row.
    "DROP INDEX IF EXISTS products_search_document",
    f"UPDATE products_search SET document = ts_delete(document, '~' || (product_id >> {BUCKET_BITS}))",
    "CREATE INDEX products_search_document ON products_search USING gin (document)",
    """
    CREATE FUNCTION products_search_query(words text[], weight text, joiner text)
    RETURNS tsquery LANGUAGE sql STABLE PARALLEL SAFE AS $fn$
      SELECT string_agg(alternatives, joiner)::tsquery FROM (
        SELECT '(' || string_agg(quote_literal(term) || ':*' || weight, ' | ') || ')' AS alternatives
        FROM unnest(words) WITH ORDINALITY AS w(word, n)
        CROSS JOIN LATERAL (
          SELECT w.word AS term
          UNION
          (SELECT k.word FROM products_search_words k
           WHERE length(w.word) >= 5
             AND NOT EXISTS (SELECT 1 FROM products_search_words s WHERE s.word LIKE w.word || '%')
             AND k.word % w.word AND similarity(k.word, w.word) >= 0.5
           ORDER BY similarity(k.word, w.word) DESC LIMIT 3)
        ) AS t
        GROUP BY n
      ) AS x
    $fn$
    """,
]


def run(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        # A plain cursor (no parameters): the SQL holds literal % signs.
        with schema_editor.connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    return operation


class Migration(migrations.Migration):
    """Faster search candidates on PostgreSQL (bucket lexemes, a name index,
    the lexeme list, one function finding a search's candidates); nothing on
    SQLite."""

    dependencies = [("products", "0008_visibility_copies")]
    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD))]
