"""Models of support: one module per part."""

from serviceloop.support.models.knowledge import *  # noqa: F403
