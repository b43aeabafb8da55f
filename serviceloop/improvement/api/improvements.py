"""REST API of improvement: the continual improvement register (10.2)."""

ROUTES: list = []
