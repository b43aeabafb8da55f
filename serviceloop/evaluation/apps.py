from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "serviceloop.evaluation"
    label = "evaluation"
    verbose_name = _("Evaluation")

    def ready(self):
        from serviceloop.evaluation import nav  # noqa: F401  (navigation entries)
