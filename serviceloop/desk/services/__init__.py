"""Every write of the service desk: one transaction each, with history, audit row and SLA."""
