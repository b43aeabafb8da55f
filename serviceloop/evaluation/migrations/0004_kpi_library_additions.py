"""The KPIs added to the shipped library (positive rating rate, first-contact resolution,
availability, record completeness, audit findings closed on time, corrective actions
effective) for databases that loaded the library before them."""

from django.db import migrations

from serviceloop.evaluation.library import kpi_library_migrate


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0003_audits_reviews_reports_dashboards")]
    operations = [migrations.RunPython(kpi_library_migrate, migrations.RunPython.noop)]
