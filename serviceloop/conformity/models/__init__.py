"""Models of conformity."""
