"""Models of evaluation."""
