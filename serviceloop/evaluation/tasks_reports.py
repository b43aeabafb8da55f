"""Background jobs of evaluation: service reports (9.4)."""
