"""The clause list of ISO/IEC 20000-1 (numbers and titles) with our own guidance."""

from django.db import migrations


def forwards(apps, schema_editor):
    from serviceloop.conformity.services_clauses import clauses_load

    clauses_load(model=apps.get_model("conformity", "Clause"))


class Migration(migrations.Migration):
    dependencies = [("conformity", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
