"""Models of evaluation: one module per part."""

from serviceloop.evaluation.models.audits import *  # noqa: F403
from serviceloop.evaluation.models.dashboards import *  # noqa: F403
from serviceloop.evaluation.models.kpis import *  # noqa: F403
from serviceloop.evaluation.models.reports import *  # noqa: F403
from serviceloop.evaluation.models.reviews import *  # noqa: F403
