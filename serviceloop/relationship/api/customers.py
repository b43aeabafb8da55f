"""REST API of the customers part: ``ROUTES`` = [(prefix, viewset, basename)]."""

ROUTES: list = []
