"""Scope, policy, objectives, risks and opportunities, gap analysis against the clause list, the implementation plan (clauses 4-6)."""
