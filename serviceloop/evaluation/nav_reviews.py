"""Navigation entries of evaluation: management review (9.3)."""
