"""REST API of evaluation: role-based dashboards.

* ``GET /api/v1/dashboard/``: the signed-in person's widgets in order, each with its data
  built for him (the same data as the home page: scoped by what he may see).
* ``GET /api/v1/dashboard/catalogue/``: the widgets he may add.
* ``PUT /api/v1/dashboard/layout/`` ``{"widgets": [codes], "settings": {code: {...}}}``:
  replace his layout (400 with the reason, nothing changed, on an unknown code or setting).
* ``POST /api/v1/dashboard/reset/``: back to his role's default.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from serviceloop.evaluation import services_dashboards as services
from serviceloop.evaluation.queries_dashboards import addable_widgets, dashboard_for, layout_for
from serviceloop.evaluation.widgets_dashboards import KPI, LIST, catalogue_for


class DashboardWidgetSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    kind = serializers.CharField(help_text=f"{KPI} or {LIST}")
    settings = serializers.DictField()
    error = serializers.BooleanField()
    data = serializers.DictField(
        allow_null=True,
        help_text="KPI: value, display, unit, target, status, period, start, end, numerator, "
        "denominator, trend [{period, value}], url. List: count, rows [{reference, title, "
        "url, meta, due, due_display, tone}], url, empty, summary.",
    )


class DashboardSerializer(serializers.Serializer):
    customised = serializers.BooleanField()
    widgets = DashboardWidgetSerializer(many=True)


class DashboardLayoutSerializer(serializers.Serializer):
    widgets = serializers.ListField(child=serializers.CharField(max_length=100), max_length=50)
    settings = serializers.DictField(child=serializers.DictField(), required=False)


class CatalogueEntrySerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    kind = serializers.CharField(help_text=f"{KPI} or {LIST}")
    settings = serializers.ListField(child=serializers.CharField())
    on_dashboard = serializers.BooleanField()


class OneObjectSchema(AutoSchema):
    """``list`` here answers one object (the person's dashboard), not an array of them."""

    def _is_list_view(self, serializer=None) -> bool:
        if getattr(self.view, "action", None) == "list":
            return False
        return super()._is_list_view(serializer)


class DashboardViewSet(viewsets.ViewSet):
    """The signed-in person's own dashboard."""

    schema = OneObjectSchema()

    def _answer(self, request):
        widgets, layout = dashboard_for(request.user)
        return Response(
            {"customised": layout.customised, "widgets": [w.as_dict() for w in widgets]}
        )

    @extend_schema(responses=DashboardSerializer)
    def list(self, request):
        """The person's widgets with their data."""
        return self._answer(request)

    @extend_schema(responses=CatalogueEntrySerializer(many=True))
    @action(detail=False, methods=["get"])
    def catalogue(self, request):
        """Every widget the person may have, and whether it is on his dashboard."""
        layout = layout_for(request.user)
        missing = {w.code for w in addable_widgets(request.user, layout)}
        return Response(
            [
                {
                    "code": w.code,
                    "title": str(w.title),
                    "kind": w.kind,
                    "settings": list(w.setting_names),
                    "on_dashboard": w.code not in missing,
                }
                for w in catalogue_for(request.user)
            ]
        )

    @extend_schema(request=DashboardLayoutSerializer, responses=DashboardSerializer)
    @action(detail=False, methods=["put"])
    def layout(self, request):
        """Replace the person's layout (codes in display order, optional settings)."""
        serializer = DashboardLayoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.dashboard_layout_save(
            actor=request.user,
            widgets=serializer.validated_data["widgets"],
            settings=serializer.validated_data.get("settings") or {},
        )
        return self._answer(request)

    @extend_schema(
        request=None,
        responses=inline_serializer("DashboardReset", {"reset": serializers.BooleanField()}),
    )
    @action(detail=False, methods=["post"])
    def reset(self, request):
        """Back to the role's default; ``reset`` is false when it already was."""
        return Response({"reset": services.dashboard_reset(actor=request.user)})


ROUTES: list = [("dashboard", DashboardViewSet, "dashboard")]
