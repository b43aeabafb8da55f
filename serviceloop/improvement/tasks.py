"""Huey tasks of improvement (Huey discovers this module): one module per part."""

from serviceloop.improvement.tasks_improvements import *  # noqa: F403
from serviceloop.improvement.tasks_nonconformities import *  # noqa: F403
from serviceloop.improvement.tasks_signals import *  # noqa: F403
