"""REST API of demand: ``ROUTES`` = [(prefix, viewset, basename)]."""

ROUTES: list = []
