from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "serviceloop.evaluation"
    label = "evaluation"
    verbose_name = _("Evaluation")

    def ready(self):
        # each part registers its navigation entries (core.navigation.register)
        from serviceloop.evaluation import (  # noqa: F401
            nav_audits,
            nav_dashboards,
            nav_kpis,
            nav_reports,
            nav_reviews,
            queries_audits,  # the KPI function evaluation.audit_findings_closed_on_time
            slots_dashboards,  # the dashboard panel on the home page (core.slots)
        )
