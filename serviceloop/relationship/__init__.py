"""Customers and contacts, relationship reviews, satisfaction surveys, SLAs and OLAs as documents, complaints (8.3), supplier management (8.3.4)."""
