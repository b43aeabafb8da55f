"""REST API of tailoring: ``/api/v1/tailoring/`` (the one setting).

- ``GET``: the profile, every module's switch (with the reason it is off), the KPI set and
  the dashboard widgets;
- ``POST …/apply-profile/`` ``{"profile"}``: apply a profile (replaces all of them);
- ``POST …/switch-module/`` ``{"module", "enabled", "reason"}``: one module on or off;
- ``POST …/choose/`` ``{"kpi_codes", "dashboard_widgets"}``: the KPI set and/or widgets.

Staff read; the management-system owner and administrators write (403 for other staff);
customers get 404. Answers carry ``ETag``; writes honour ``If-Match`` (412 when stale).
"""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from serviceloop.planning import services_tailoring as services
from serviceloop.planning.api_support import (
    IF_MATCH,
    ManagementViewSetMixin,
    enum_field,
    if_match,
)
from serviceloop.planning.models import (
    KPI_CATALOGUE,
    WIDGET_CATALOGUE,
    Module,
    Profile,
    TailoringSetting,
)
from serviceloop.planning.permissions import require_manage
from serviceloop.planning.queries_tailoring import module_rows, tailoring_setting


class TailoringModuleSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    enabled = serializers.BooleanField()
    reason = serializers.CharField()


class TailoringSerializer(serializers.Serializer):
    profile = serializers.CharField()
    modules = serializers.SerializerMethodField()
    kpi_codes = serializers.ListField(child=serializers.CharField())
    dashboard_widgets = serializers.ListField(child=serializers.CharField())
    applied_at = serializers.DateTimeField(allow_null=True)
    applied_by = serializers.SerializerMethodField()
    version = serializers.IntegerField()

    def get_applied_by(self, setting) -> str | None:
        return setting.applied_by.username if setting.applied_by_id else None

    @extend_schema_field(TailoringModuleSerializer(many=True))
    def get_modules(self, setting) -> list[dict]:
        return TailoringModuleSerializer(module_rows(setting), many=True).data


class TailoringProfileSerializer(serializers.Serializer):
    profile = enum_field(Profile.choices, "planning-tailoring-profile")


class TailoringModuleSwitchSerializer(serializers.Serializer):
    module = enum_field(Module.choices, "planning-tailoring-module")
    enabled = serializers.BooleanField()
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class TailoringChoiceSerializer(serializers.Serializer):
    kpi_codes = serializers.ListField(
        child=serializers.ChoiceField(choices=list(KPI_CATALOGUE)), required=False
    )
    dashboard_widgets = serializers.ListField(
        child=serializers.ChoiceField(choices=list(WIDGET_CATALOGUE)), required=False
    )


class TailoringViewSet(ManagementViewSetMixin, viewsets.GenericViewSet):
    serializer_class = TailoringSerializer
    pagination_class = None
    queryset = TailoringSetting.objects.none()  # for the schema

    def _answer(self, setting=None):
        setting = setting or tailoring_setting()
        response = Response(TailoringSerializer(setting).data)
        response["ETag"] = f'"{setting.version}"'
        return response

    def _expected(self, request):
        return if_match(request, tailoring_setting())

    @extend_schema(responses=TailoringSerializer)
    def list(self, request):
        """The organisation's tailoring."""
        return self._answer()

    @extend_schema(
        request=TailoringProfileSerializer, responses=TailoringSerializer, parameters=[IF_MATCH]
    )
    @action(detail=False, methods=["post"], url_path="apply-profile")
    def apply_profile(self, request):
        """Apply a profile: its module switches, KPI set and dashboard widgets."""
        require_manage(request.user)
        serializer = TailoringProfileSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        setting = services.profile_apply(
            actor=request.user,
            profile=serializer.validated_data["profile"],
            expected_version=self._expected(request),
        )
        return self._answer(setting)

    @extend_schema(
        request=TailoringModuleSwitchSerializer,
        responses=TailoringSerializer,
        parameters=[IF_MATCH],
    )
    @action(detail=False, methods=["post"], url_path="switch-module")
    def switch_module(self, request):
        """Switch one module on, or off with the reason (the scope exclusion's)."""
        require_manage(request.user)
        serializer = TailoringModuleSwitchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        setting = services.module_switch(
            actor=request.user,
            expected_version=self._expected(request),
            **serializer.validated_data,
        )
        return self._answer(setting)

    @extend_schema(
        request=TailoringChoiceSerializer, responses=TailoringSerializer, parameters=[IF_MATCH]
    )
    @action(detail=False, methods=["post"])
    def choose(self, request):
        """Choose the KPI set and/or the dashboard widgets (catalogue codes)."""
        require_manage(request.user)
        serializer = TailoringChoiceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        setting = services.tailoring_choose(
            actor=request.user,
            expected_version=self._expected(request),
            **serializer.validated_data,
        )
        return self._answer(setting)


ROUTES: list = [("tailoring", TailoringViewSet, "tailoring")]
