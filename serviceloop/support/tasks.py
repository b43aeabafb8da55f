"""Huey tasks of support (Huey discovers this module): one module per part."""

from serviceloop.support.tasks_competence import *  # noqa: F403
from serviceloop.support.tasks_documents import *  # noqa: F403
from serviceloop.support.tasks_knowledge import *  # noqa: F403
