"""REST API of evaluation: each part module declares ``ROUTES``."""

from serviceloop.evaluation.api import audits, dashboards, kpis, reports, reviews

ROUTES = [*kpis.ROUTES, *audits.ROUTES, *reviews.ROUTES, *reports.ROUTES, *dashboards.ROUTES]
