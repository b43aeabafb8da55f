"""REST API of relationship: each part module declares ``ROUTES``."""

from serviceloop.relationship.api import customers, suppliers

ROUTES = [*customers.ROUTES, *suppliers.ROUTES]
