"""Screens of the customers part: customer accounts and contacts, relationship reviews and
their actions, satisfaction surveys, SLAs and OLAs."""

from django.urls import path

from serviceloop.relationship import views_agreements as agreements
from serviceloop.relationship import views_customers as customers
from serviceloop.relationship import views_customers_surveys as surveys

urlpatterns = [
    # Customer accounts and contacts
    path("customers/", customers.customer_list, name="customer_list"),
    path("customers/new/", customers.customer_new, name="customer_new"),
    path("customers/mine/", customers.customer_mine, name="customer_mine"),
    path("customers/<int:pk>/", customers.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/edit/", customers.customer_edit, name="customer_edit"),
    path(
        "customers/<int:pk>/contacts/new/",
        customers.customer_contact_new,
        name="customer_contact_new",
    ),
    path(
        "customers/contacts/<int:pk>/edit/",
        customers.customer_contact_edit,
        name="customer_contact_edit",
    ),
    # Relationship reviews and actions
    path("customers/reviews/", customers.customer_review_list, name="customer_review_list"),
    path(
        "customers/<int:pk>/reviews/new/",
        customers.customer_review_new,
        name="customer_review_new",
    ),
    path(
        "customers/reviews/<str:reference>/",
        customers.customer_review_detail,
        name="customer_review_detail",
    ),
    path(
        "customers/reviews/<str:reference>/edit/",
        customers.customer_review_edit,
        name="customer_review_edit",
    ),
    path(
        "customers/reviews/<str:reference>/actions/",
        customers.customer_review_action_add,
        name="customer_review_action_add",
    ),
    path(
        "customers/actions/",
        customers.customer_review_action_list,
        name="customer_review_action_list",
    ),
    path(
        "customers/actions/<int:pk>/edit/",
        customers.customer_review_action_edit,
        name="customer_review_action_edit",
    ),
    path(
        "customers/actions/<int:pk>/move/",
        customers.customer_review_action_move,
        name="customer_review_action_move",
    ),
    # Satisfaction surveys
    path("customers/surveys/", surveys.survey_list, name="survey_list"),
    path("customers/surveys/new/", surveys.survey_new, name="survey_new"),
    path("customers/surveys/<str:reference>/", surveys.survey_detail, name="survey_detail"),
    path("customers/surveys/<str:reference>/edit/", surveys.survey_edit, name="survey_edit"),
    path(
        "customers/surveys/<str:reference>/questions/",
        surveys.survey_question_add,
        name="survey_question_add",
    ),
    path(
        "customers/surveys/<str:reference>/questions/<int:pk>/remove/",
        surveys.survey_question_remove,
        name="survey_question_remove",
    ),
    path("customers/surveys/<str:reference>/move/", surveys.survey_move, name="survey_move"),
    path("customers/surveys/<str:reference>/answer/", surveys.survey_answer, name="survey_answer"),
    # SLAs and OLAs
    path("agreements/", agreements.agreement_list, name="agreement_list"),
    path("agreements/new/", agreements.agreement_new, name="agreement_new"),
    path("agreements/<str:reference>/", agreements.agreement_detail, name="agreement_detail"),
    path("agreements/<str:reference>/edit/", agreements.agreement_edit, name="agreement_edit"),
    path(
        "agreements/<str:reference>/versions/new/",
        agreements.agreement_version_new,
        name="agreement_version_new",
    ),
    path(
        "agreements/<str:reference>/v<int:number>/",
        agreements.agreement_version_detail,
        name="agreement_version_detail",
    ),
    path(
        "agreements/<str:reference>/v<int:number>/edit/",
        agreements.agreement_version_edit,
        name="agreement_version_edit",
    ),
    path(
        "agreements/<str:reference>/v<int:number>/move/",
        agreements.agreement_version_move,
        name="agreement_version_move",
    ),
    path(
        "agreements/<str:reference>/v<int:number>/reviewed/",
        agreements.agreement_version_reviewed,
        name="agreement_version_reviewed",
    ),
    path(
        "agreements/<str:reference>/v<int:number>/targets/",
        agreements.agreement_target_add,
        name="agreement_target_add",
    ),
    path(
        "agreements/<str:reference>/v<int:number>/targets/<int:pk>/remove/",
        agreements.agreement_target_remove,
        name="agreement_target_remove",
    ),
]
