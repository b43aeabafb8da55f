"""Background jobs of improvement: the continual improvement register (10.2)."""
