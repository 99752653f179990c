"""Full-text search over products, one interface for both database backends.

SQLite: an FTS5 table; PostgreSQL: full-text search plus trigram similarity.
Backend differences live here and in migrations, nowhere else.

Interface (used by the catalogue, the importer and the demo data):
- ``matching(queryset, text)``: the products of ``queryset`` matching ``text``,
  annotated with ``search_rank`` (higher is better).
- ``reindex(product_ids=None)``: bring the index in step for these products
  (all when None); bulk writes that bypass signals call it.
"""

# Implemented in the catalogue issue (#3).


def reindex(product_ids=None):
    """Bring the search index in step for these products (all when None)."""
