"""Screens of the cmdb part."""

urlpatterns: list = []
