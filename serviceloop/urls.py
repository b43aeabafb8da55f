from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from serviceloop.assurance import api as assurance_api
from serviceloop.conformity import api as conformity_api
from serviceloop.core import api as core_api
from serviceloop.core.forms import (
    StyledPasswordChangeForm,
    StyledPasswordResetForm,
    StyledSetPasswordForm,
)
from serviceloop.core.views import account, errors
from serviceloop.demand import api as demand_api
from serviceloop.desk import api as desk_api
from serviceloop.evaluation import api as evaluation_api
from serviceloop.improvement import api as improvement_api
from serviceloop.planning import api as planning_api
from serviceloop.portfolio import api as portfolio_api
from serviceloop.relationship import api as relationship_api
from serviceloop.support import api as support_api
from serviceloop.transition import api as transition_api

router = DefaultRouter()
router.register("organisations", core_api.OrganisationViewSet, basename="organisation")
router.register("people", core_api.PersonViewSet, basename="person")
router.register("teams", core_api.TeamViewSet, basename="team")
router.register("calendars", core_api.CalendarViewSet, basename="calendar")
router.register("audit-events", core_api.AuditEventViewSet, basename="audit-event")
router.register("notifications", core_api.NotificationViewSet, basename="notification")
router.register("tickets", desk_api.TicketViewSet, basename="ticket")
router.register("problems", desk_api.ProblemViewSet, basename="problem")
for prefix, viewset, basename in [
    *portfolio_api.ROUTES,
    *relationship_api.ROUTES,
    *support_api.ROUTES,
    *transition_api.ROUTES,
    *demand_api.ROUTES,
    *assurance_api.ROUTES,
    *planning_api.ROUTES,
    *conformity_api.ROUTES,
    *evaluation_api.ROUTES,
    *improvement_api.ROUTES,
]:
    router.register(prefix, viewset, basename=basename)

urlpatterns = [
    path("accounts/login/", account.SignInView.as_view(), name="login"),
    path(
        "accounts/password_change/",
        auth_views.PasswordChangeView.as_view(form_class=StyledPasswordChangeForm),
        name="password_change",
    ),
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(form_class=StyledPasswordResetForm),
        name="password_reset",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=StyledSetPasswordForm),
        name="password_reset_confirm",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path(
        "api/v1/intake/alertmanager",
        desk_api.AlertmanagerIntakeView.as_view(),
        name="intake_alertmanager",
    ),
    path("api/v1/intake/zabbix", desk_api.ZabbixIntakeView.as_view(), name="intake_zabbix"),
    path("api/v1/intake/generic", desk_api.GenericIntakeView.as_view(), name="intake_generic"),
    path(
        "api/v1/tickets/<str:reference>/attachments/",
        desk_api.TicketAttachmentsView.as_view(),
        name="ticket_attachments_api",
    ),
    path(
        "api/v1/tickets/<str:reference>/configuration-items/",
        desk_api.TicketAffectedItemsView.as_view(),
        name="ticket_affected_items_api",
    ),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api_docs"),
    path("", include("serviceloop.desk.urls")),
    path("", include("serviceloop.portfolio.urls")),
    path("", include("serviceloop.relationship.urls")),
    path("", include("serviceloop.support.urls")),
    path("", include("serviceloop.transition.urls")),
    path("", include("serviceloop.demand.urls")),
    path("", include("serviceloop.assurance.urls")),
    path("", include("serviceloop.planning.urls")),
    path("", include("serviceloop.conformity.urls")),
    path("", include("serviceloop.evaluation.urls")),
    path("", include("serviceloop.improvement.urls")),
    path("", include("serviceloop.core.urls")),
]

handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error
