"""REST API of evaluation: ``ROUTES`` = [(prefix, viewset, basename)]."""

ROUTES: list = []
