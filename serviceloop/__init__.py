"""ServiceLoop: ISO/IEC 20000-1 service management."""
