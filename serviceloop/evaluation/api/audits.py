"""REST API of evaluation: internal audit (9.2)."""

ROUTES: list = []
