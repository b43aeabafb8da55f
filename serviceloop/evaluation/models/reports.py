"""Models of evaluation: service reports (9.4)."""

__all__: list = []
