"""REST API of planning: ``ROUTES`` = [(prefix, viewset, basename)]."""

ROUTES: list = []
