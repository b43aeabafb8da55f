"""Background jobs of evaluation: management review (9.3)."""
