"""REST API of improvement: proposals raised from operational signals."""

ROUTES: list = []
