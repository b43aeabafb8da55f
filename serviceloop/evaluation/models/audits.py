"""Models of evaluation: internal audit (9.2)."""

__all__: list = []
