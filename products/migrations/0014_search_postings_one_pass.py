"""The postings' intersection going through a common word's arrays once
(products/search.py, "Postings on PostgreSQL"). SQLite is unaffected.

``products_search_from_postings()`` (0012) intersected, in each bucket of
2**16 products, every word's products (``ids``) and every word's names
(``name_ids``), and united the words' names for the "some word in the name"
tier: four passes over a common word's arrays a bucket, though a search of
two words that rarely meet ("kota edisi": 7,800 products a bucket hold
"edisi", 57 of them "kota" too) finds few matches in each. At 1,000,000
products (16 buckets) a two-word search text cost 2-3 ms there against ~0.4
ms for one word, and at 10,000 products (one bucket) ~1 ms: such texts made
most of what a new text's candidates cost more at 1,000,000 products than at
10,000 (docs/performance-history.md, ninth session).

Now a word's names are cut to the bucket's matches so far before they meet
the other words' names (a name match is a match: a word's ``name_ids`` are
within its ``ids``, so none is lost), so a common word's arrays are gone
through once each; a bucket where the words do not meet is left at once;
and a tier whose products are all found computes nothing more. Same
arguments, same rows: checked against 0012 on every search text of the
benchmark's files at 10,000 and 1,000,000 products, and by
tests/products/test_search.py.
"""

from importlib import import_module

from django.db import migrations

# 0012's function with its loop changed, written out whole rather than
# patched from 0012's text, so that this file shows the function the
# database runs.
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
    dead boolean := false;
    first_names integer[];
    word_in integer[];
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
            IF NOT dead THEN
                word_ids := word_ids | r.ids;
                word_names := word_names | r.name_ids;
            END IF;
            CONTINUE;
        END IF;
        IF current_word IS NOT NULL AND NOT dead THEN
            -- Only what the tiers still need; the large arrays of a common
            -- word are gone through once each: a word's names are cut to
            -- the bucket's matches so far (every_b) before they meet other
            -- words' (a name match is a match: names are within ids, so
            -- no name match is lost); nothing more once the bucket can
            -- give nothing.
            IF need0 > 0 THEN
                IF every_b IS NULL THEN
                    every_b := word_ids;
                    first_names := word_names;
                ELSE
                    every_b := every_b & word_ids;
                    dead := cardinality(every_b) = 0;
                    IF NOT dead THEN
                        IF first_names IS NOT NULL THEN
                            names_b := every_b & first_names;
                            some_b := names_b;
                            first_names := NULL;
                        END IF;
                        word_in := every_b & word_names;
                        names_b := names_b & word_in;
                        some_b := some_b | word_in;
                    END IF;
                END IF;
            ELSE
                names_b := CASE WHEN names_b IS NULL THEN word_names ELSE names_b & word_names END;
                dead := cardinality(names_b) = 0;
            END IF;
        END IF;
        IF current_word IS NOT NULL THEN
            seen := seen + 1;
        END IF;
        IF current_bucket IS DISTINCT FROM r.bucket THEN
            IF seen = word_count AND NOT dead THEN
                IF first_names IS NOT NULL THEN  -- one word
                    names_b := first_names;
                END IF;
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
            dead := false;
            first_names := NULL;
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


# 0012's function as it was (for going back), and 0011's way of running
# statements on PostgreSQL only.
_0012 = import_module("products.migrations.0012_search_postings_no_resort")
PREVIOUS = [_0012.FROM_POSTINGS]
run = _0012.run


class Migration(migrations.Migration):
    """products_search_from_postings() through a common word's arrays once a bucket; nothing on SQLite."""

    dependencies = [("products", "0013_search_rows_index")]
    operations = [migrations.RunPython(run([FROM_POSTINGS]), run(PREVIOUS))]
