"""Navigation entries of improvement: proposals raised from operational signals."""
