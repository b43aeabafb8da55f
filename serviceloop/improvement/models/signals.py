"""Models of improvement: proposals raised from operational signals."""

__all__: list = []
