"""Change requests (standard, normal, emergency; CAB approval), the change calendar, releases and deployments (clause 8.5)."""
