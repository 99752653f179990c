from django.db import migrations


class Migration(migrations.Migration):
    """Search index (FTS5 on SQLite, full text + trigram on PostgreSQL): filled in by the search work."""

    dependencies = [("products", "0002_roles")]
    operations = []
