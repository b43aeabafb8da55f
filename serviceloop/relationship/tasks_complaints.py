"""Periodic tasks of the complaints part (Huey)."""
