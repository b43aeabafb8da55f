"""Improvement (clause 10): nonconformities, corrective and preventive actions, effectiveness
verification, the improvement register, and proposals raised from operational signals."""
