"""KPI definitions and values, dashboards, service reports, internal audit, management review (clause 9)."""
