"""REST API of support: each part module declares ``ROUTES``."""

from serviceloop.support.api import knowledge

ROUTES = [*knowledge.ROUTES]
