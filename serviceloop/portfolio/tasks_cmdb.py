"""Periodic tasks of the cmdb part (Huey)."""
