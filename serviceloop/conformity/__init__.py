"""The clause model of ISO/IEC 20000-1 and the live checks behind the readiness board (all clauses)."""
