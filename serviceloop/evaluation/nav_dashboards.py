"""Navigation entries of evaluation: role-based dashboards."""
