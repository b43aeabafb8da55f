"""Models of assurance: one module per part (availability, continuity, security)."""

from serviceloop.assurance.models.availability import *  # noqa: F403
from serviceloop.assurance.models.continuity import *  # noqa: F403
from serviceloop.assurance.models.reminders import ReminderSent  # noqa: F401
from serviceloop.assurance.models.security import *  # noqa: F403
