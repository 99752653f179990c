"""The postings' candidates without a last sort when no product waits
(products/search.py, "Postings on PostgreSQL"). SQLite is unaffected.

``products_search_from_postings()`` (0011) ended by sorting its matches,
dropping repeats and cutting them to the newest ``wanted``, and by testing
each match anywhere against the name matches one at a time. Read from the
postings alone the matches are already distinct (one bucket's offsets are,
and buckets do not overlap) and within bounds (a bucket takes at most what
is still needed), and the name matches among them are a subset of them: all
of that is needed only when products waiting to be folded add their own
matches. At 1,000,000 products a broad search text returns ~1,000 rows and
the skipped steps cost ~0.6 ms of its ~3 ms (docs/performance-history.md, seventh
session). Same arguments, same rows.
"""

from importlib import import_module

from django.db import migrations

# 0011's function with its dirty test and last statements changed, written
# out whole rather than patched from 0011's text, so that this file shows
# the function the database runs.
FROM_POSTINGS = r"""
CREATE OR REPLACE FUNCTION products_search_from_postings(
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
    IF cardinality(dirty) > 0 THEN
        SELECT coalesce(array_agg(s.product_id) FILTER (WHERE s.document @@ every::tsquery), '{}'),
            coalesce(array_agg(s.product_id) FILTER (
                WHERE s.document @@ every::tsquery AND s.document @@ some_name::tsquery), '{}'),
            coalesce(array_agg(s.product_id) FILTER (WHERE s.document @@ every_name::tsquery), '{}')
        INTO ids0, ids1, ids3
        FROM products_search AS s WHERE s.product_id = ANY(dirty);
    END IF;
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
    IF cardinality(dirty) > 0 THEN
        -- The newest of the postings' and of the waiting products' matches
        -- (which may repeat and exceed the bounds), the name matches among them.
        ids0 := ARRAY(SELECT DISTINCT x FROM unnest(ids0) AS x ORDER BY x DESC LIMIT wanted + 1);
        ids1 := ARRAY(SELECT x FROM unnest(ids0) AS x WHERE x = ANY(ids1));
        ids3 := ARRAY(SELECT DISTINCT x FROM unnest(ids3) AS x ORDER BY x DESC LIMIT wanted);
    END IF;
    -- From the postings alone each is distinct, within its bound, and ids1
    -- a part of ids0, already.
    RETURN QUERY SELECT x, 0 FROM unnest(ids0) AS x;
    IF word_count > 1 THEN
        RETURN QUERY SELECT x, 1 FROM unnest(ids1) AS x;
    END IF;
    RETURN QUERY SELECT x, 3 FROM unnest(ids3) AS x;
END
$fn$
"""


# 0011's function as it was (for going back), and its way of running
# statements on PostgreSQL only.
_0011 = import_module("products.migrations.0011_search_postings")
PREVIOUS = [_0011.FROM_POSTINGS.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)]
run = _0011.run


class Migration(migrations.Migration):
    """products_search_from_postings() without its last sort when no product waits; nothing on SQLite."""

    dependencies = [("products", "0011_search_postings")]
    operations = [migrations.RunPython(run([FROM_POSTINGS]), run(PREVIOUS))]
