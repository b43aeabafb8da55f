"""REST API of relationship: each part module declares ``ROUTES``."""

from serviceloop.relationship.api import complaints, customers, suppliers

ROUTES = [*customers.ROUTES, *suppliers.ROUTES, *complaints.ROUTES]
