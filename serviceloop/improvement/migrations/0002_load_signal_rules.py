"""The signal rules with their default thresholds (one per signal kind)."""

from django.db import migrations


def load(apps, schema_editor):
    from serviceloop.improvement.services_signals import signal_rules_load

    signal_rules_load(apps.get_model("improvement", "SignalRule"))


class Migration(migrations.Migration):
    dependencies = [("improvement", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
