"""REST API of demand: ``ROUTES`` = [(prefix, viewset, basename)], one module per part."""

from serviceloop.demand import api_budgets, api_capacity, api_demand

ROUTES = [*api_capacity.ROUTES, *api_demand.ROUTES, *api_budgets.ROUTES]
