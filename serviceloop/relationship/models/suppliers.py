"""Models of the suppliers part."""
