"""Models of the knowledge part."""
