"""Services and the catalogue, service components, configuration items and their relations (CMDB), assets (clause 8.2)."""
