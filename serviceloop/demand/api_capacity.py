"""The capacity API (staff only: 404 to customers).

- ``/api/v1/capacity-plans/{reference}/``: list, read (with the newest value and the open
  alert), create and PATCH (``ETag``/``If-Match``) by managers and the service's owner
  (403 for other staff); ``.../forecast/?window=`` the least-squares forecast.
- ``/api/v1/capacity-measurements/``: list (``?plan=`` a reference, ``since``, ``until``);
  POST one ``{"plan", "at", "value"}``; ``bulk/`` POST ``{"measurements": [...]}`` for
  monitoring. Both are idempotent on (plan, at): a repeat is skipped and reported, never
  stored twice. Any bad item refuses the whole body (400, naming each item). Written by
  staff who work operational records (403 for read-only staff). Token authentication
  (``Authorization: Token …``) serves monitoring systems.
"""

import uuid

from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from serviceloop.core.models import Team, User
from serviceloop.demand import queries, services_capacity
from serviceloop.demand.models import CapacityAlert, CapacityPlan, Measurement
from serviceloop.demand.permissions import get_plan_for, is_staff
from serviceloop.portfolio.api.common import (
    IF_MATCH,
    StaleToPreconditionMixin,
    if_match_version,
    with_etag,
)
from serviceloop.portfolio.models import ConfigurationItem, Service

DIRECTION_HELP = "higher (higher values are worse) | lower"
ALERT_ACTION_HELP = "incident (raise an incident) | action (record a capacity action)"
SOURCE_HELP = "manual | csv | api"
FORECAST_HELP = "rising | not_rising | already_crossed | insufficient_data"


class StaffOr404(permissions.BasePermission):
    """Capacity and budget records are the provider's: to anyone else they do not exist."""

    def has_permission(self, request, view):
        if not request.user.is_authenticated:
            return False
        if not is_staff(request.user):
            raise Http404
        return True


class StaffViewSetMixin(StaleToPreconditionMixin):
    permission_classes = [StaffOr404]


# --- Plans ---------------------------------------------------------------------------------


class OpenAlertSerializer(serializers.ModelSerializer):
    trigger = serializers.CharField(help_text="critical | forecast")
    ticket = serializers.SlugRelatedField(slug_field="reference", read_only=True)

    class Meta:
        model = CapacityAlert
        fields = ["trigger", "opened_at", "value", "predicted_crossing", "ticket", "action"]
        read_only_fields = fields


class PlanSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    service = serializers.SlugRelatedField(slug_field="code", read_only=True)
    configuration_item = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    alert_team = serializers.SlugRelatedField(slug_field="name", read_only=True)
    direction = serializers.CharField(read_only=True, help_text=DIRECTION_HELP)
    alert_action = serializers.CharField(read_only=True, help_text=ALERT_ACTION_HELP)
    latest_value = serializers.DecimalField(
        max_digits=18, decimal_places=4, read_only=True, allow_null=True
    )
    latest_at = serializers.DateTimeField(read_only=True, allow_null=True)
    open_alert = serializers.SerializerMethodField()

    class Meta:
        model = CapacityPlan
        fields = [
            "id", "reference", "name", "service", "configuration_item", "owner", "resource",
            "unit", "direction", "warning_threshold", "critical_threshold", "review_date",
            "forecast_window_days", "forecast_alert_days", "alert_action", "alert_team",
            "notes", "is_active", "latest_value", "latest_at", "open_alert", "version",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(OpenAlertSerializer(allow_null=True))
    def get_open_alert(self, plan):
        alerts = [a for a in plan.alerts.all() if a.cleared_at is None]
        return OpenAlertSerializer(alerts[0]).data if alerts else None


class PlanWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    service = serializers.SlugRelatedField(
        slug_field="code", queryset=Service.objects.all(), required=False, allow_null=True
    )
    configuration_item = serializers.SlugRelatedField(
        slug_field="reference",
        queryset=ConfigurationItem.objects.all(),
        required=False,
        allow_null=True,
    )
    owner = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True), required=False
    )
    resource = serializers.CharField(max_length=120, required=False)
    unit = serializers.CharField(max_length=40, required=False)
    direction = serializers.CharField(max_length=8, required=False, help_text=DIRECTION_HELP)
    warning_threshold = serializers.DecimalField(max_digits=18, decimal_places=4, required=False)
    critical_threshold = serializers.DecimalField(max_digits=18, decimal_places=4, required=False)
    review_date = serializers.DateField(required=False, allow_null=True)
    forecast_window_days = serializers.IntegerField(required=False)
    forecast_alert_days = serializers.IntegerField(required=False, allow_null=True)
    alert_action = serializers.CharField(max_length=16, required=False, help_text=ALERT_ACTION_HELP)
    alert_team = serializers.SlugRelatedField(
        slug_field="name", queryset=Team.objects.all(), required=False, allow_null=True
    )
    notes = serializers.CharField(required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


class ForecastSerializer(serializers.Serializer):
    status = serializers.CharField(help_text=FORECAST_HELP)
    crossing_date = serializers.DateField(allow_null=True)
    days_to_crossing = serializers.FloatField(allow_null=True)
    slope_per_day = serializers.FloatField(allow_null=True, help_text="units per day")
    points = serializers.IntegerField()
    threshold = serializers.CharField()


class PlanForecastSerializer(serializers.Serializer):
    window_days = serializers.IntegerField()
    critical = ForecastSerializer()
    warning = ForecastSerializer()


class PlanViewSet(StaffViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Capacity plans."""

    serializer_class = PlanSerializer
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = CapacityPlan.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        plans = queries.plans_for_list(self.request.user).prefetch_related("alerts__ticket")
        service = self.request.query_params.get("service")
        if service:
            plans = plans.filter(service__code=service)
        active = self.request.query_params.get("active")
        if active in ("true", "false"):
            plans = plans.filter(is_active=active == "true")
        return plans.order_by("-pk")

    @extend_schema(
        parameters=[
            OpenApiParameter("service", OpenApiTypes.STR, description="a service's code"),
            OpenApiParameter("active", OpenApiTypes.BOOL),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _respond(self, plan, code=status.HTTP_200_OK):
        plan = self.get_queryset().get(pk=plan.pk)
        return with_etag(Response(PlanSerializer(plan).data, status=code), plan)

    def retrieve(self, request, reference=None):
        return self._respond(get_plan_for(request.user, reference))

    @extend_schema(request=PlanWriteSerializer, responses={201: PlanSerializer})
    def create(self, request):
        serializer = PlanWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        missing = {
            name: [_("This field is required.")]
            for name in ("name", "owner", "resource", "unit", "warning_threshold",
                         "critical_threshold")
            if name not in data
        }  # fmt: skip
        if missing:
            raise serializers.ValidationError(missing)
        plan = services_capacity.plan_create(actor=request.user, **data)
        return self._respond(plan, status.HTTP_201_CREATED)

    @extend_schema(
        request=PlanWriteSerializer, responses={200: PlanSerializer}, parameters=[IF_MATCH]
    )
    def partial_update(self, request, reference=None):
        plan = get_plan_for(request.user, reference, write=True)
        serializer = PlanWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        plan = services_capacity.plan_update(
            actor=request.user,
            plan=plan,
            expected_version=if_match_version(request, plan),
            **serializer.validated_data,
        )
        return self._respond(plan)

    @extend_schema(
        responses={200: PlanForecastSerializer},
        parameters=[
            OpenApiParameter(
                "window", OpenApiTypes.INT, description="days (default: the plan's window)"
            )
        ],
    )
    @action(detail=True, methods=["get"])
    def forecast(self, request, reference=None):
        """The least-squares trend over the window and when it crosses each threshold."""
        plan = get_plan_for(request.user, reference)
        try:
            window = int(request.query_params.get("window") or plan.forecast_window_days)
        except ValueError:
            window = 0
        if not 2 <= window <= 3650:
            raise serializers.ValidationError({"window": [_("Enter from 2 to 3650 days.")]})
        now = timezone.now()
        body = {
            "window_days": window,
            "critical": queries.forecast_summary(
                queries.plan_forecast(plan, now=now, window_days=window), now=now
            ),
            "warning": queries.forecast_summary(
                queries.plan_forecast(
                    plan, now=now, window_days=window, threshold=plan.warning_threshold
                ),
                now=now,
            ),
        }
        return Response(PlanForecastSerializer(body).data)


# --- Measurements --------------------------------------------------------------------------


class MeasurementSerializer(serializers.ModelSerializer):
    plan = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    source = serializers.CharField(read_only=True, help_text=SOURCE_HELP)
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Measurement
        fields = ["id", "plan", "at", "value", "source", "recorded_by", "created_at"]
        read_only_fields = fields


class PlanReferenceField(serializers.RelatedField):
    """A capacity plan named by its reference (``CAP-2026-000001``) or its id (UUID)."""

    default_error_messages = {"missing": _("No capacity plan has this reference.")}

    def to_internal_value(self, value):
        text = str(value or "").strip()
        plan = CapacityPlan.objects.filter(reference=text.upper()).first()
        if plan is None:
            try:
                plan = CapacityPlan.objects.filter(uuid=uuid.UUID(text)).first()
            except ValueError:  # not a UUID either
                plan = None
        if plan is None:
            self.fail("missing")
        return plan

    def to_representation(self, value):
        return value.reference


@extend_schema_field(OpenApiTypes.STR)
class _PlanField(PlanReferenceField):
    pass


class MeasurementPushItemSerializer(serializers.Serializer):
    plan = _PlanField(queryset=CapacityPlan.objects.all(), help_text="reference or id")
    at = serializers.DateTimeField(help_text="ISO 8601; without an offset: the server's zone")
    value = serializers.DecimalField(max_digits=18, decimal_places=4)


class MeasurementBulkSerializer(serializers.Serializer):
    measurements = MeasurementPushItemSerializer(many=True, allow_empty=False)


class PushResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField(help_text="items already recorded: skipped")
    batch = serializers.CharField()
    alerts = serializers.DictField(
        child=serializers.CharField(), help_text="plan reference → opened | open | cleared | quiet"
    )


class MeasurementViewSet(StaffViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Measured utilisation of capacity plans."""

    serializer_class = MeasurementSerializer
    queryset = Measurement.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        measurements = Measurement.objects.filter(
            plan__in=CapacityPlan.objects.visible_to(self.request.user)
        ).select_related("plan", "recorded_by")
        params = self.request.query_params
        if params.get("plan"):
            measurements = measurements.filter(plan__reference=params["plan"].upper())
        for name, lookup in (("since", "at__gte"), ("until", "at__lt")):
            if params.get(name):
                instant = parse_datetime(params[name])
                if instant is None:
                    raise serializers.ValidationError({name: [_("Enter a date and time.")]})
                if timezone.is_naive(instant):
                    instant = timezone.make_aware(instant)
                measurements = measurements.filter(**{lookup: instant})
        return measurements

    @extend_schema(
        parameters=[
            OpenApiParameter("plan", OpenApiTypes.STR, description="a plan's reference"),
            OpenApiParameter("since", OpenApiTypes.DATETIME),
            OpenApiParameter("until", OpenApiTypes.DATETIME),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _push(self, request, items):
        result = services_capacity.measurements_push(actor=request.user, items=items)
        body = PushResultSerializer(result).data
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(body, status=code)

    @extend_schema(
        request=MeasurementPushItemSerializer,
        responses={201: PushResultSerializer, 200: PushResultSerializer},
    )
    def create(self, request):
        """Record one measurement; a repeat of (plan, at) is answered 200 and stores nothing."""
        serializer = MeasurementPushItemSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._push(request, [dict(serializer.validated_data)])

    @extend_schema(
        request=MeasurementBulkSerializer,
        responses={201: PushResultSerializer, 200: PushResultSerializer},
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        """Push many measurements (monitoring). 201 when any was stored, 200 when all were
        repeats; 400 naming each bad item, and then nothing is stored."""
        serializer = MeasurementBulkSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._push(
            request, [dict(item) for item in serializer.validated_data["measurements"]]
        )


ROUTES: list = [
    ("capacity-plans", PlanViewSet, "capacity-plan"),
    ("capacity-measurements", MeasurementViewSet, "capacity-measurement"),
]
