"""Periodic tasks of the customers part (Huey)."""
