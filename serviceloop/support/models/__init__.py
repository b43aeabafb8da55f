"""Models of support: one module per part."""

from serviceloop.support.models.communication import *  # noqa: F403
from serviceloop.support.models.competence import *  # noqa: F403
from serviceloop.support.models.documents import *  # noqa: F403
from serviceloop.support.models.knowledge import *  # noqa: F403
