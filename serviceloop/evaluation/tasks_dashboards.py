"""Background jobs of evaluation: role-based dashboards."""
