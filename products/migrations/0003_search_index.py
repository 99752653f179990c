"""The search index of products/search.py: one table, products_search, keyed
by product id, written only by products.search (signals and reindex()).

- SQLite: an FTS5 table (columns name, category, vendor, description).
- PostgreSQL: a tsvector (weights A name, B category, C vendor, D description)
  under a GIN index; a table of the known words (of names, categories and
  vendors) under a trigram GIN index (pg_trgm), and the SQL function that
  turns search words into a tsquery, widening a misspelt word to the known
  words nearest to it.

Existing products are indexed here, so the migration works on a filled
database too. The SQL that fills the index repeats products.search on
purpose: a migration must keep working whatever the code becomes.
"""

from django.db import migrations

SOURCE = """
    FROM products_product p
    JOIN products_category c ON c.id = p.category_id
    LEFT JOIN products_category pc ON pc.id = c.parent_id
    JOIN vendors_vendor v ON v.id = p.vendor_id
"""

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE products_search USING fts5("
    " name, category, vendor, description,"
    " tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')",
    "INSERT INTO products_search (rowid, name, category, vendor, description)"
    " SELECT p.id, p.name, c.name || ' ' || COALESCE(pc.name, ''), v.name, p.description" + SOURCE,
]
SQLITE_BACKWARD = ["DROP TABLE IF EXISTS products_search"]

POSTGRESQL_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE TABLE products_search (product_id bigint PRIMARY KEY, document tsvector NOT NULL)",
    "INSERT INTO products_search (product_id, document)"
    " SELECT p.id,"
    " setweight(to_tsvector('simple', p.name), 'A')"
    " || setweight(to_tsvector('simple', c.name || ' ' || COALESCE(pc.name, '')), 'B')"
    " || setweight(to_tsvector('simple', v.name), 'C')"
    " || setweight(to_tsvector('simple', p.description), 'D')" + SOURCE,
    "CREATE INDEX products_search_document ON products_search USING gin (document)",
    # The words of names, categories and vendors, for typo tolerance: a
    # search word that starts no known word is widened to the known words
    # most similar to it (trigrams), before the full-text index is asked.
    'CREATE TABLE products_search_words (word text COLLATE "C" PRIMARY KEY)',
    "CREATE INDEX products_search_words_trgm ON products_search_words USING gin (word gin_trgm_ops)",
    "INSERT INTO products_search_words (word)"
    " SELECT DISTINCT w FROM products_search, unnest(tsvector_to_array(ts_filter(document, '{a,b,c}'))) AS w"
    " WHERE w ~ '^[[:alnum:]]+$' AND length(w) >= 3 ON CONFLICT DO NOTHING",
    # The tsquery for a list of search words: each word as a prefix (with
    # an optional weight: 'A' = in the name), or one of up to three known
    # words close to it when it starts none; joined by ' & ' or ' | '.
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
POSTGRESQL_BACKWARD = [
    "DROP FUNCTION IF EXISTS products_search_query(text[], text, text)",
    "DROP TABLE IF EXISTS products_search_words",
    "DROP TABLE IF EXISTS products_search",
]


def run(statements_by_vendor):
    def operation(apps, schema_editor):
        # A plain cursor (no parameters): the SQL holds literal % signs.
        with schema_editor.connection.cursor() as cursor:
            for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
                cursor.execute(statement)

    return operation


class Migration(migrations.Migration):
    """Search index (FTS5 on SQLite, full text + trigram on PostgreSQL)."""

    dependencies = [("products", "0002_roles")]
    operations = [
        migrations.RunPython(
            run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRESQL_FORWARD}),
            run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRESQL_BACKWARD}),
        ),
    ]
