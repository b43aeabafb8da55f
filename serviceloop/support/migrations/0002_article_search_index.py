"""The knowledge base's full-text index: SQLite FTS5 with triggers, or a PostgreSQL tsvector
column with a GIN index (see support/search_knowledge.py)."""

from django.db import migrations

from serviceloop.support import search_knowledge


class Migration(migrations.Migration):
    dependencies = [("support", "0001_initial")]
    operations = [migrations.RunPython(search_knowledge.forwards, search_knowledge.backwards)]
