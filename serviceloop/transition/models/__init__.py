"""Models of transition."""
