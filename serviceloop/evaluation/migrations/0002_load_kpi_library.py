"""The shipped KPI library (definitions as data, zh-Hans and English names)."""

from django.db import migrations


def load(apps, schema_editor):
    from serviceloop.evaluation.library import kpi_library_load

    kpi_library_load(apps.get_model("evaluation", "KpiDefinition"))


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
