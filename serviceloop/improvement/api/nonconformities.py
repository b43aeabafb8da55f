"""REST API of improvement: nonconformities, corrective and preventive actions (10.1)."""

ROUTES: list = []
