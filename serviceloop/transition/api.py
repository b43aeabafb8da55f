"""REST API of transition: ``ROUTES`` = [(prefix, viewset, basename)]."""

ROUTES: list = []
