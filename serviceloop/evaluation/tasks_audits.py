"""Background jobs of evaluation: internal audit (9.2)."""
