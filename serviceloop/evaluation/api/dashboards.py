"""REST API of evaluation: role-based dashboards."""

ROUTES: list = []
