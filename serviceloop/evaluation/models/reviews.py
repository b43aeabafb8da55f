"""Models of evaluation: management review (9.3)."""

__all__: list = []
