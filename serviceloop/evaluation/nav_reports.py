"""Navigation entries of evaluation: service reports (9.4)."""
