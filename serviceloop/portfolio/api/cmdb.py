"""REST API of the cmdb part: ``ROUTES`` = [(prefix, viewset, basename)]."""

ROUTES: list = []
