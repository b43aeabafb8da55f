"""Availability targets and outages, continuity plans and tests, information security controls and risks, security incidents (clause 8.7)."""
