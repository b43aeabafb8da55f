"""Models of evaluation: role-based dashboards."""

__all__: list = []
