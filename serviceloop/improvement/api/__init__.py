"""REST API of improvement: each part module declares ``ROUTES``."""

from serviceloop.improvement.api import improvements, nonconformities, signals

ROUTES = [*nonconformities.ROUTES, *improvements.ROUTES, *signals.ROUTES]
