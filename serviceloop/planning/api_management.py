"""The routes of the clause 4–6 API modules, added to ``planning.api.ROUTES``."""

from serviceloop.planning import api_context, api_objectives, api_risks, api_tailoring

ROUTES: list = [
    *api_tailoring.ROUTES,
    *api_context.ROUTES,
    *api_objectives.ROUTES,
    *api_risks.ROUTES,
]
