"""Huey tasks of relationship (Huey discovers this module): one module per part."""

from serviceloop.relationship.tasks_complaints import *  # noqa: F403
from serviceloop.relationship.tasks_customers import *  # noqa: F403
from serviceloop.relationship.tasks_suppliers import *  # noqa: F403
