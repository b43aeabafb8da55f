"""REST API of support: each part module declares ``ROUTES``."""

from serviceloop.support.api import competence, documents, knowledge

ROUTES = [*knowledge.ROUTES, *documents.ROUTES, *competence.ROUTES]
