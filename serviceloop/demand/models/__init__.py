"""Models of demand."""
