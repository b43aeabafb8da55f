"""Documented information, competence and training, knowledge base (clause 7)."""
