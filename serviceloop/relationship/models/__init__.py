"""Models of relationship: one module per part."""

from serviceloop.relationship.models.complaints import *  # noqa: F403
from serviceloop.relationship.models.customers import *  # noqa: F403
from serviceloop.relationship.models.suppliers import *  # noqa: F403
