"""Models of planning: one module per part."""

from serviceloop.planning.models.assessments import *  # noqa: F403
from serviceloop.planning.models.context import *  # noqa: F403
from serviceloop.planning.models.objectives import *  # noqa: F403
from serviceloop.planning.models.plan import *  # noqa: F403
from serviceloop.planning.models.risks import *  # noqa: F403
from serviceloop.planning.models.tailoring import *  # noqa: F403
