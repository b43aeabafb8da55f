"""Models of conformity."""

from serviceloop.conformity.models.clauses import *  # noqa: F403
