"""Models of the complaints part."""
