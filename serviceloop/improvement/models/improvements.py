"""Models of improvement: the continual improvement register (10.2)."""

__all__: list = []
