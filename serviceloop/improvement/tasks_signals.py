"""Background jobs of improvement: proposals raised from operational signals."""
