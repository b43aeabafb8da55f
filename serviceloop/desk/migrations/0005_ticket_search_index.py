from django.db import migrations

from serviceloop.desk import search_sql


class Migration(migrations.Migration):
    """The full-text index over the search documents: FTS5 on SQLite, a generated tsvector
    column with a GIN index on PostgreSQL (see serviceloop/desk/search_sql.py)."""

    dependencies = [("desk", "0004_problems_intake_mail_search")]

    operations = [migrations.RunPython(search_sql.forwards, search_sql.backwards)]
