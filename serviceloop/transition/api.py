"""REST API of transition: ``ROUTES`` = [(prefix, viewset, basename)], one module per part."""

from serviceloop.transition import api_changes, api_config, api_releases

ROUTES = [*api_changes.ROUTES, *api_config.ROUTES, *api_releases.ROUTES]
