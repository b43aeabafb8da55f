"""The demand API: ``/api/v1/demand-records/{id}/`` (the record's UUID).

Staff read every record; a customer manager (organisation-wide) reads his own
organisation's records; other customers get 404. Written by managers and the service's
owner (403 for other staff and for customer managers); ``ETag``/``If-Match`` on PATCH.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.response import Response

from serviceloop.core.models import Organisation, OrganisationKind
from serviceloop.core.roles import Capability
from serviceloop.demand import queries, services_demand
from serviceloop.demand.models import DemandRecord
from serviceloop.demand.periods import Period
from serviceloop.demand.permissions import get_demand_record_for, is_staff
from serviceloop.portfolio.api.common import (
    IF_MATCH,
    StaleToPreconditionMixin,
    if_match_version,
    with_etag,
)
from serviceloop.portfolio.models import Service

PERIOD_HELP = "2026 | 2026-Q2 | 2026-05"


class DemandReaders(permissions.BasePermission):
    """Staff and customer managers; to everyone else demand records do not exist."""

    def has_permission(self, request, view):
        if not request.user.is_authenticated:
            return False
        if not (is_staff(request.user) or request.user.has_capability(Capability.ORG_WIDE)):
            raise Http404
        return True


class DemandRecordSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    customer = serializers.SlugRelatedField(
        source="organisation", slug_field="uuid", read_only=True
    )
    customer_name = serializers.CharField(source="organisation.name", read_only=True)
    service = serializers.SlugRelatedField(slug_field="code", read_only=True)
    period = serializers.SerializerMethodField()
    variance = serializers.DecimalField(
        max_digits=15, decimal_places=2, read_only=True, allow_null=True,
        help_text="actual − forecast",
    )  # fmt: skip
    variance_percent = serializers.DecimalField(
        max_digits=9, decimal_places=1, read_only=True, allow_null=True
    )

    class Meta:
        model = DemandRecord
        fields = [
            "id", "customer", "customer_name", "service", "period", "period_start", "period_end",
            "unit", "forecast_quantity", "actual_quantity", "variance", "variance_percent",
            "note", "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(help_text=PERIOD_HELP))
    def get_period(self, record) -> str:
        return record.period.label


class DemandRecordWriteSerializer(serializers.Serializer):
    customer = serializers.SlugRelatedField(
        slug_field="uuid",
        queryset=Organisation.objects.filter(kind=OrganisationKind.CUSTOMER),
        required=False,
        help_text="the customer organisation's id (creating only)",
    )
    service = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Service.objects.all(),
        required=False,
        help_text="creating only",
    )
    period = serializers.CharField(max_length=7, required=False, help_text=PERIOD_HELP)
    unit = serializers.CharField(max_length=40, required=False)
    forecast_quantity = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    actual_quantity = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True
    )
    note = serializers.CharField(required=False, allow_blank=True)


class DemandRecordViewSet(StaleToPreconditionMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = DemandRecordSerializer
    permission_classes = [DemandReaders]
    lookup_field = "uuid"
    queryset = DemandRecord.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        params = self.request.query_params
        records = queries.demand_for_list(self.request.user)
        if params.get("customer"):
            records = records.filter(organisation__uuid=_uuid_or_404(params["customer"]))
        if params.get("service"):
            records = records.filter(service__code=params["service"])
        if params.get("period"):
            try:
                period = Period.parse(params["period"])
            except ValueError as exc:
                raise serializers.ValidationError({"period": [PERIOD_HELP]}) from exc
            records = records.filter(period_kind=period.kind, period_start=period.start)
        if params.get("year", "").isdigit():
            records = records.filter(period_start__year=int(params["year"]))
        return records.order_by("-pk")

    @extend_schema(
        parameters=[
            OpenApiParameter("customer", OpenApiTypes.UUID),
            OpenApiParameter("service", OpenApiTypes.STR, description="a service's code"),
            OpenApiParameter("period", OpenApiTypes.STR, description=PERIOD_HELP),
            OpenApiParameter("year", OpenApiTypes.INT),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _record(self, uuid, *, write=False) -> DemandRecord:
        record = DemandRecord.objects.filter(uuid=_uuid_or_404(uuid)).values("pk").first()
        if record is None:
            raise Http404
        return get_demand_record_for(self.request.user, record["pk"], write=write)

    def _respond(self, record, code=status.HTTP_200_OK):
        return with_etag(Response(DemandRecordSerializer(record).data, status=code), record)

    def retrieve(self, request, uuid=None):
        return self._respond(self._record(uuid))

    @extend_schema(request=DemandRecordWriteSerializer, responses={201: DemandRecordSerializer})
    def create(self, request):
        if not is_staff(request.user):
            raise PermissionDenied  # a customer manager reads, never writes
        serializer = DemandRecordWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        missing = {
            name: [_("This field is required.")]
            for name in ("customer", "service", "period", "unit", "forecast_quantity")
            if name not in data
        }
        if missing:
            raise serializers.ValidationError(missing)
        record = services_demand.demand_record_create(
            actor=request.user, organisation=data.pop("customer"), **data
        )
        return self._respond(record, status.HTTP_201_CREATED)

    @extend_schema(
        request=DemandRecordWriteSerializer,
        responses={200: DemandRecordSerializer},
        parameters=[IF_MATCH],
    )
    def partial_update(self, request, uuid=None):
        record = self._record(uuid, write=True)
        serializer = DemandRecordWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("customer", None)
        data.pop("service", None)
        record = services_demand.demand_record_update(
            actor=request.user,
            record=record,
            expected_version=if_match_version(request, record),
            **data,
        )
        return self._respond(record)


def _uuid_or_404(value):
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise Http404 from exc


ROUTES: list = [("demand-records", DemandRecordViewSet, "demand-record")]
