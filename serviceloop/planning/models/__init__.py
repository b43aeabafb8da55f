"""Models of planning: one module per part."""

from serviceloop.planning.models.assessments import *  # noqa: F403
from serviceloop.planning.models.plan import *  # noqa: F403
