"""Every write of the core app: one transaction each, with its audit row."""
