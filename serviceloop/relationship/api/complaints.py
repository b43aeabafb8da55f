"""REST API of the complaints part: ``ROUTES`` = [(prefix, viewset, basename)]."""

ROUTES: list = []
