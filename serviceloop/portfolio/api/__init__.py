"""REST API of portfolio: each part module declares ``ROUTES``."""

from serviceloop.portfolio.api import cmdb, services

ROUTES = [*services.ROUTES, *cmdb.ROUTES]
