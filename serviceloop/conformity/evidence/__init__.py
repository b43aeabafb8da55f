"""Live evidence per clause: small functions that read the operational and management-system
records and say how far the recorded work already shows a clause in practice (e.g. 8.3.3:
the share of live services with an SLA in force).

``registry`` holds the registry and the helpers; each other module holds the functions of
one group of clauses and registers them when imported (below). See ``registry`` for the
promise every function keeps.
"""

# The clause groups: importing them registers their functions.
from serviceloop.conformity.evidence import (  # noqa: F401
    context_and_scope,
    measurement_audit_review,
    nonconformity_improvement,
    operation,
    policy_and_roles,
    resources_competence_documents,
    risks_objectives_plan,
)
from serviceloop.conformity.evidence.registry import (
    _REGISTRY,
    GOOD_FROM,
    WARN_FROM,
    Evidence,
    evidence_clauses,
    evidence_for,
    evidence_register,
    share,
    tone_for,
)

__all__ = [
    "GOOD_FROM",
    "WARN_FROM",
    "_REGISTRY",
    "Evidence",
    "evidence_clauses",
    "evidence_for",
    "evidence_register",
    "share",
    "tone_for",
]
