"""Models of transition: one module per part."""

from serviceloop.transition.models.changes import *  # noqa: F403
from serviceloop.transition.models.config import *  # noqa: F403
from serviceloop.transition.models.plans import *  # noqa: F403
from serviceloop.transition.models.releases import *  # noqa: F403
