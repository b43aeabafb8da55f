"""Screens of conformity."""

from django.urls import path

from serviceloop.conformity import views_clauses

urlpatterns = [
    path("conformity/clauses/", views_clauses.clause_list, name="clause_list"),
    path("conformity/clauses/<str:number>/", views_clauses.clause_detail, name="clause_detail"),
]
