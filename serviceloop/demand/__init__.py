"""Budgeting and accounting for services, demand, capacity plans and measurements (clause 8.4)."""
