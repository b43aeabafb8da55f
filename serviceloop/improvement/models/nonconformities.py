"""Models of improvement: nonconformities, corrective and preventive actions (10.1)."""

__all__: list = []
