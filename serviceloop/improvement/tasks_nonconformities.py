"""Background jobs of improvement: nonconformities, corrective and preventive actions (10.1)."""
