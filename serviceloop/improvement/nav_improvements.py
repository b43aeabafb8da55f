"""Navigation entries of improvement: the continual improvement register (10.2)."""
