"""Screens of demand: capacity plans and measurements, demand records, budgets, cost lines
and the cost allocation."""

from django.urls import path

from serviceloop.demand import views_budgets, views_capacity, views_demand

urlpatterns = [
    # capacity
    path("capacity/", views_capacity.plan_list, name="capacity_plan_list"),
    path("capacity/new/", views_capacity.plan_new, name="capacity_plan_new"),
    path(
        "capacity/import-template.csv",
        views_capacity.measurement_import_template,
        name="capacity_import_template",
    ),
    path("capacity/<str:reference>/", views_capacity.plan_detail, name="capacity_plan_detail"),
    path("capacity/<str:reference>/edit/", views_capacity.plan_edit, name="capacity_plan_edit"),
    path(
        "capacity/<str:reference>/evaluate/",
        views_capacity.plan_evaluate,
        name="capacity_plan_evaluate",
    ),
    path(
        "capacity/<str:reference>/measurements/",
        views_capacity.measurement_list,
        name="capacity_measurement_list",
    ),
    path(
        "capacity/<str:reference>/measurements/add/",
        views_capacity.measurement_add,
        name="capacity_measurement_add",
    ),
    path(
        "capacity/<str:reference>/import/",
        views_capacity.measurement_import,
        name="capacity_import",
    ),
    path(
        "capacity/<str:reference>/import/preview/",
        views_capacity.measurement_import_preview,
        name="capacity_import_preview",
    ),
    path(
        "capacity/<str:reference>/actions/new/",
        views_capacity.action_new,
        name="capacity_action_new",
    ),
    path(
        "capacity/<str:reference>/actions/<int:pk>/close/",
        views_capacity.action_close,
        name="capacity_action_close",
    ),
    # demand
    path("demand/", views_demand.demand_list, name="demand_list"),
    path("demand/new/", views_demand.demand_new, name="demand_new"),
    path("demand/<int:pk>/", views_demand.demand_detail, name="demand_detail"),
    path("demand/<int:pk>/edit/", views_demand.demand_edit, name="demand_edit"),
    # budgets and costs
    path("budgets/", views_budgets.budget_list, name="budget_list"),
    path("budgets/new/", views_budgets.budget_new, name="budget_new"),
    path("budgets/allocation/", views_budgets.cost_allocation, name="cost_allocation"),
    path("budgets/costs/", views_budgets.cost_line_list, name="cost_line_list"),
    path("budgets/costs/new/", views_budgets.cost_line_new, name="cost_line_new"),
    path("budgets/costs/import/", views_budgets.cost_import, name="cost_import"),
    path(
        "budgets/costs/import/preview/",
        views_budgets.cost_import_preview,
        name="cost_import_preview",
    ),
    path(
        "budgets/costs/import-template.csv",
        views_budgets.cost_import_template,
        name="cost_import_template",
    ),
    path("budgets/costs/<int:pk>/edit/", views_budgets.cost_line_edit, name="cost_line_edit"),
    path("budgets/<int:pk>/", views_budgets.budget_detail, name="budget_detail"),
    path("budgets/<int:pk>/edit/", views_budgets.budget_edit, name="budget_edit"),
]
