"""Models of assurance."""
