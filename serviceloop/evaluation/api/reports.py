"""REST API of evaluation: service reports (9.4)."""

ROUTES: list = []
