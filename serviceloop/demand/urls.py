"""Screens of demand."""

urlpatterns: list = []
