"""Models of the customers part."""
