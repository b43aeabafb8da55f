"""Periodic tasks of the services part (Huey)."""
