"""Navigation entries of evaluation: internal audit (9.2)."""
