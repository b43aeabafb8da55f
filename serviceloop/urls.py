from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from serviceloop.core import api as core_api
from serviceloop.core.forms import LoginForm
from serviceloop.core.views import errors

router = DefaultRouter()
router.register("organisations", core_api.OrganisationViewSet, basename="organisation")
router.register("people", core_api.PersonViewSet, basename="person")
router.register("teams", core_api.TeamViewSet, basename="team")
router.register("calendars", core_api.CalendarViewSet, basename="calendar")
router.register("audit-events", core_api.AuditEventViewSet, basename="audit-event")
router.register("notifications", core_api.NotificationViewSet, basename="notification")

urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api_docs"),
    path("", include("serviceloop.core.urls")),
]

handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error
