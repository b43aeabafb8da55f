"""REST API of portfolio: each part module declares ``ROUTES``."""

from serviceloop.portfolio.api import assets, cmdb, services

ROUTES = [*services.ROUTES, *cmdb.ROUTES, *assets.ROUTES]
