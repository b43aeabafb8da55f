"""REST API of the knowledge part: ``ROUTES`` = [(prefix, viewset, basename)]."""

ROUTES: list = []
