"""Huey tasks of evaluation (Huey discovers this module): one module per part."""

from serviceloop.evaluation.tasks_audits import *  # noqa: F403
from serviceloop.evaluation.tasks_dashboards import *  # noqa: F403
from serviceloop.evaluation.tasks_kpis import *  # noqa: F403
from serviceloop.evaluation.tasks_reports import *  # noqa: F403
from serviceloop.evaluation.tasks_reviews import *  # noqa: F403
