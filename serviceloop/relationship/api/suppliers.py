"""REST API of the suppliers part: ``ROUTES`` = [(prefix, viewset, basename)]."""

ROUTES: list = []
