"""Screens of the cmdb part: configuration items, relations, types, import, assets."""

from django.urls import path

from serviceloop.portfolio import views_assets, views_cmdb

urlpatterns = [
    path("cmdb/", views_cmdb.ci_list, name="ci_list"),
    path("cmdb/new/", views_cmdb.ci_new, name="ci_new"),
    path("cmdb/import/", views_cmdb.ci_import, name="ci_import"),
    path("cmdb/import/preview/", views_cmdb.ci_import_preview, name="ci_import_preview"),
    path("cmdb/import/template.csv", views_cmdb.ci_import_template, name="ci_import_template"),
    path("cmdb/types/", views_cmdb.ci_type_list, name="ci_type_list"),
    path("cmdb/types/new/", views_cmdb.ci_type_edit, name="ci_type_new"),
    path("cmdb/types/<int:pk>/", views_cmdb.ci_type_edit, name="ci_type_edit"),
    path("cmdb/relations/<int:pk>/remove/", views_cmdb.relation_remove, name="relation_remove"),
    path("cmdb/items/<str:reference>/", views_cmdb.ci_detail, name="ci_detail"),
    path("cmdb/items/<str:reference>/edit/", views_cmdb.ci_edit, name="ci_edit"),
    path("cmdb/items/<str:reference>/move/", views_cmdb.ci_move, name="ci_move"),
    path("cmdb/items/<str:reference>/relations/", views_cmdb.relation_add, name="relation_add"),
    path("cmdb/items/<str:reference>/impact/", views_cmdb.ci_impact, name="ci_impact"),
    path("assets/", views_assets.asset_list, name="asset_list"),
    path("assets/new/", views_assets.asset_new, name="asset_new"),
    path("assets/<str:reference>/", views_assets.asset_detail, name="asset_detail"),
    path("assets/<str:reference>/edit/", views_assets.asset_edit, name="asset_edit"),
    path("assets/<str:reference>/move/", views_assets.asset_move, name="asset_move"),
]
