"""REST API of evaluation: management review (9.3)."""

ROUTES: list = []
