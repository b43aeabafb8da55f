"""REST API of assurance: ``ROUTES`` = [(prefix, viewset, basename)]."""

ROUTES: list = []
