"""REST API of support: each part module declares ``ROUTES``."""

from serviceloop.support.api import (
    communication,
    competence,
    document_campaigns,
    documents,
    knowledge,
    training,
)

ROUTES = [
    *knowledge.ROUTES,
    *documents.ROUTES,
    *document_campaigns.ROUTES,
    *competence.ROUTES,
    *training.ROUTES,
    *communication.ROUTES,
]
