"""REST API of conformity: ``ROUTES`` = [(prefix, viewset, basename)]."""

ROUTES: list = []
