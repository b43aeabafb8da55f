"""REST API of assurance: ``ROUTES`` = [(prefix, viewset, basename)], one module per part."""

from serviceloop.assurance import api_availability, api_continuity, api_security, api_spof

ROUTES = [
    *api_availability.ROUTES,
    *api_spof.ROUTES,
    *api_continuity.ROUTES,
    *api_security.ROUTES,
]
