"""REST API of the services part: ``ROUTES`` = [(prefix, viewset, basename)]."""

ROUTES: list = []
