"""Periodic tasks of the knowledge part (Huey)."""
