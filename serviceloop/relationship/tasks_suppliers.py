"""Periodic tasks of the suppliers part (Huey)."""
