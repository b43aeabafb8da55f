"""Huey tasks of portfolio (Huey discovers this module): one module per part."""

from serviceloop.portfolio.tasks_cmdb import *  # noqa: F403
from serviceloop.portfolio.tasks_services import *  # noqa: F403
