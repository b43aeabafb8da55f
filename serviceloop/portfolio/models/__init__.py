"""Models of portfolio: one module per part."""

from serviceloop.portfolio.models.cmdb import *  # noqa: F403
from serviceloop.portfolio.models.services import *  # noqa: F403
