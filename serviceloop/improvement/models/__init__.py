"""Models of improvement: one module per part."""

from serviceloop.improvement.models.improvements import *  # noqa: F403
from serviceloop.improvement.models.nonconformities import *  # noqa: F403
from serviceloop.improvement.models.signals import *  # noqa: F403
