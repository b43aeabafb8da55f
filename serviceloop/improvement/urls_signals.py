"""Screens of improvement: proposals raised from operational signals."""

urlpatterns: list = []
