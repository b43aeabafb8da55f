"""Single points of failure recorded before the link to the risk register kept the risk's
reference as free text (``SpofFinding.risk_reference``): where that text names an existing
risk that has no finding yet, the risk now points to the finding. The text stays as it was."""

from django.db import migrations


def link_by_reference(apps, schema_editor):
    SpofFinding = apps.get_model("assurance", "SpofFinding")
    Risk = apps.get_model("planning", "Risk")
    for finding in SpofFinding.objects.exclude(risk_reference="").only("pk", "risk_reference"):
        reference = finding.risk_reference.strip().upper()
        if reference:
            Risk.objects.filter(reference=reference, spof_finding__isnull=True).update(
                spof_finding=finding
            )


class Migration(migrations.Migration):
    dependencies = [
        ("planning", "0004_risk_spof_finding"),
        ("assurance", "0001_initial"),
    ]

    operations = [migrations.RunPython(link_by_reference, migrations.RunPython.noop)]
