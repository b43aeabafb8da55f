"""The availability API.

- ``/api/v1/outages/`` (by reference): list (``?service=<code>&kind=&source=&state=ongoing|ended``),
  read (with its history), ``POST`` records one by hand; ``…/from-incident/`` and
  ``…/from-change/`` record one from a major incident or a change; ``PATCH`` changes title,
  description, announcement; ``…/adjust/`` (times, with a reason), ``…/end/``, ``…/customers/``.
- ``/api/v1/availability/?service=<code>&start=<ISO>&end=<ISO>[&customer=<uuid>]``: the
  availability of a service over any period (seconds, exact); ``…/report/?month=YYYY-MM``: the
  monthly report (a customer gets his own organisation's rows only).
- ``/api/v1/availability-targets/`` (by service code): the services' own targets; ``PUT`` sets,
  ``DELETE`` removes one.

Staff read; staff who operate write outages; managers (and a service's owner) targets.
Customers get 404 except on the report. (Single points of failure: ``api_spof``.)
"""

import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from serviceloop.assurance import queries, services_availability
from serviceloop.assurance.api_common import (
    IF_MATCH,
    AssuranceViewSetMixin,
    TicketReferenceField,
    choice_text,
    if_match,
)
from serviceloop.assurance.models import (
    AvailabilityTarget,
    Outage,
    OutageEvent,
    OutageEventKind,
    OutageKind,
    OutageSource,
)
from serviceloop.assurance.permissions import (
    customer_report_allowed,
    get_outage_for,
    get_service_for,
    is_staff,
    require_operate,
)
from serviceloop.core.models import Organisation
from serviceloop.desk.models import Ticket
from serviceloop.portfolio.models import Service
from serviceloop.transition.models import ChangeRequest

# --- Outages -----------------------------------------------------------------------------------


class OutageEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)
    kind = choice_text(OutageEventKind.choices, read_only=True)

    class Meta:
        model = OutageEvent
        fields = ["at", "actor", "kind", "reason", "changes"]
        read_only_fields = fields


class OutageSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    service = serializers.SlugRelatedField(slug_field="code", read_only=True)
    kind = choice_text(OutageKind.choices, read_only=True)
    source = choice_text(OutageSource.choices, read_only=True)
    ticket = TicketReferenceField()
    change = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    customers = serializers.SlugRelatedField(slug_field="uuid", many=True, read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    counts_as_downtime = serializers.SerializerMethodField()
    events = OutageEventSerializer(many=True, read_only=True)

    class Meta:
        model = Outage
        fields = [
            "id", "reference", "service", "title", "description", "kind", "source", "ticket",
            "change", "start", "end", "announced_at", "counts_as_downtime", "all_customers",
            "customers", "created_by", "created_at", "updated_at", "version", "events",
        ]  # fmt: skip
        read_only_fields = fields

    def get_counts_as_downtime(self, outage) -> bool:
        return outage.counts_as_downtime()


def _customers(value) -> list:
    return list(value or [])


class OutageCustomersSerializer(serializers.Serializer):
    all_customers = serializers.BooleanField(required=False, default=True)
    customers = serializers.SlugRelatedField(
        slug_field="uuid",
        queryset=Organisation.objects.customers(),
        many=True,
        required=False,
        help_text="Customer organisation ids (with all_customers false).",
    )


class OutageCreateSerializer(OutageCustomersSerializer):
    service = serializers.SlugRelatedField(slug_field="code", queryset=Service.objects.all())
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    kind = choice_text(OutageKind.choices, default="unplanned")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(required=False, allow_null=True, default=None)
    announced_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class OutageFromIncidentSerializer(OutageCustomersSerializer):
    ticket = serializers.CharField(max_length=32, help_text="The major incident's reference.")
    service = serializers.SlugRelatedField(slug_field="code", queryset=Service.objects.all())
    start = serializers.DateTimeField(required=False, allow_null=True, default=None)
    end = serializers.DateTimeField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class OutageFromChangeSerializer(serializers.Serializer):
    change = serializers.CharField(max_length=32, help_text="The change's reference.")
    service = serializers.SlugRelatedField(slug_field="code", queryset=Service.objects.all())
    start = serializers.DateTimeField(required=False, allow_null=True, default=None)
    end = serializers.DateTimeField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    announced_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class OutageUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    announced_at = serializers.DateTimeField(required=False, allow_null=True)


class OutageAdjustSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(allow_null=True, help_text="null: still ongoing")
    reason = serializers.CharField()


class OutageEndSerializer(serializers.Serializer):
    end = serializers.DateTimeField(
        required=False, allow_null=True, default=None,
        help_text="Empty: the incident's resolution, or now.",
    )  # fmt: skip
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class OutageViewSet(AssuranceViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = OutageSerializer
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = Outage.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        outages = (
            Outage.objects.visible_to(self.request.user)
            .select_related("service", "ticket", "change", "created_by")
            .annotate(ticket_hidden=queries.ticket_hidden_from(self.request.user))
        )
        params = self.request.query_params
        if params.get("service"):
            outages = outages.filter(service__code=params["service"])
        for name in ("kind", "source"):
            if params.get(name):
                outages = outages.filter(**{name: params[name]})
        if params.get("state") == "ongoing":
            outages = outages.filter(end__isnull=True)
        elif params.get("state") == "ended":
            outages = outages.filter(end__isnull=False)
        return outages.prefetch_related("customers", "events__actor").order_by("-pk")

    def get_object(self):
        return get_outage_for(self.request.user, self.kwargs["reference"])

    @extend_schema(
        parameters=[
            OpenApiParameter("service", OpenApiTypes.STR, description="a service's code"),
            OpenApiParameter("kind", OpenApiTypes.STR, description="unplanned | planned"),
            OpenApiParameter(
                "source",
                OpenApiTypes.STR,
                description="major_incident | planned_maintenance | manual",
            ),
            OpenApiParameter("state", OpenApiTypes.STR, description="ongoing | ended"),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=OutageCreateSerializer, responses={201: OutageSerializer})
    def create(self, request):
        """Record an outage by hand."""
        require_operate(request.user)
        serializer = OutageCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        outage = services_availability.outage_create(
            actor=request.user,
            service=data["service"],
            title=data["title"],
            description=data["description"],
            kind=data["kind"],
            start=data["start"],
            end=data["end"],
            announced_at=data["announced_at"],
            all_customers=data["all_customers"],
            customers=_customers(data.get("customers")),
        )
        return self.respond(outage, status.HTTP_201_CREATED)

    @extend_schema(request=OutageFromIncidentSerializer, responses={201: OutageSerializer})
    @action(detail=False, methods=["post"], url_path="from-incident")
    def from_incident(self, request):
        """Record the outage of a major incident: its creation to its resolution, unless
        other times are given with a reason."""
        require_operate(request.user)
        serializer = OutageFromIncidentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        ticket = Ticket.objects.visible_to(request.user).filter(reference=data["ticket"]).first()
        if ticket is None:
            raise serializers.ValidationError(
                {"ticket": [_("No major incident with this reference.")]}
            )
        outage = services_availability.outage_from_incident(
            actor=request.user,
            ticket=ticket,
            service=data["service"],
            start=data["start"],
            end=data["end"],
            reason=data["reason"],
            all_customers=data["all_customers"],
            customers=_customers(data.get("customers")),
        )
        return self.respond(outage, status.HTTP_201_CREATED)

    @extend_schema(request=OutageFromChangeSerializer, responses={201: OutageSerializer})
    @action(detail=False, methods=["post"], url_path="from-change")
    def from_change(self, request):
        """Record the planned maintenance of a change (its actual, else planned, window)."""
        require_operate(request.user)
        serializer = OutageFromChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        change = (
            ChangeRequest.objects.visible_to(request.user).filter(reference=data["change"]).first()
        )
        if change is None:
            raise serializers.ValidationError({"change": [_("No change with this reference.")]})
        outage = services_availability.outage_from_change(
            actor=request.user,
            change=change,
            service=data["service"],
            start=data["start"],
            end=data["end"],
            reason=data["reason"],
            announced_at=data["announced_at"],
        )
        return self.respond(outage, status.HTTP_201_CREATED)

    @extend_schema(request=OutageUpdateSerializer, parameters=[IF_MATCH])
    def partial_update(self, request, reference=None):
        outage = get_outage_for(request.user, reference, write=True)
        serializer = OutageUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        outage = services_availability.outage_update(
            actor=request.user,
            outage=outage,
            title=data.get("title", outage.title),
            description=data.get("description", outage.description),
            announced_at=data.get("announced_at", outage.announced_at),
            expected_version=if_match(request, outage),
        )
        return self.respond(outage)

    @extend_schema(
        request=OutageAdjustSerializer, responses={200: OutageSerializer}, parameters=[IF_MATCH]
    )
    @action(detail=True, methods=["post"])
    def adjust(self, request, reference=None):
        """Correct the start and end; the reason is kept in the history and the audit trail."""
        outage = get_outage_for(request.user, reference, write=True)
        serializer = OutageAdjustSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        outage = services_availability.outage_adjust(
            actor=request.user,
            outage=outage,
            expected_version=if_match(request, outage),
            **serializer.validated_data,
        )
        return self.respond(outage)

    @extend_schema(request=OutageEndSerializer, responses={200: OutageSerializer})
    @action(detail=True, methods=["post"])
    def end(self, request, reference=None):
        outage = get_outage_for(request.user, reference, write=True)
        serializer = OutageEndSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        outage = services_availability.outage_end(
            actor=request.user, outage=outage, **serializer.validated_data
        )
        return self.respond(outage)

    @extend_schema(request=OutageCustomersSerializer, responses={200: OutageSerializer})
    @action(detail=True, methods=["post"])
    def customers(self, request, reference=None):
        """Whom the outage affected: every entitled customer, or those named."""
        outage = get_outage_for(request.user, reference, write=True)
        serializer = OutageCustomersSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        outage = services_availability.outage_customers_set(
            actor=request.user,
            outage=outage,
            all_customers=serializer.validated_data["all_customers"],
            customers=_customers(serializer.validated_data.get("customers")),
        )
        return self.respond(outage)


# --- Availability --------------------------------------------------------------------------------


class AvailabilityResultSerializer(serializers.Serializer):
    service = serializers.CharField(source="service.code")
    customer = serializers.UUIDField(source="customer.uuid", allow_null=True)
    start = serializers.DateTimeField(source="result.start")
    end = serializers.DateTimeField(source="result.end")
    agreed_seconds = serializers.IntegerField(source="result.agreed_seconds")
    downtime_seconds = serializers.IntegerField(source="result.downtime_seconds")
    excluded_seconds = serializers.IntegerField(
        source="result.excluded_seconds", help_text="announced planned maintenance, not counted"
    )
    availability_percent = serializers.DecimalField(
        source="result.percent", max_digits=7, decimal_places=3, allow_null=True,
        help_text="rounded down to three decimals",
    )  # fmt: skip
    breaks = serializers.IntegerField(source="result.breaks")
    mtbf_seconds = serializers.IntegerField(source="result.mtbf_seconds", allow_null=True)
    mtrs_seconds = serializers.IntegerField(source="result.mtrs_seconds", allow_null=True)
    target_percent = serializers.DecimalField(
        source="target", max_digits=6, decimal_places=3, allow_null=True
    )
    target_source = serializers.CharField(help_text="agreement | service | empty")
    met = serializers.BooleanField(allow_null=True)
    outages = serializers.IntegerField()


class AvailabilityReportSerializer(serializers.Serializer):
    month = serializers.CharField()
    per_service = AvailabilityResultSerializer(many=True)
    per_customer = AvailabilityResultSerializer(many=True)


def _instant(value: str, name: str):
    parsed = parse_datetime(value or "")
    if parsed is None:
        raise serializers.ValidationError({name: [_("Give an ISO 8601 date and time.")]})
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


class AvailabilityViewSet(viewsets.GenericViewSet):
    """Availability computed from the outages for any period (nothing stored)."""

    permission_classes = [IsAuthenticated]
    serializer_class = AvailabilityResultSerializer
    pagination_class = None
    queryset = Outage.objects.none()

    @extend_schema(
        responses={200: AvailabilityResultSerializer},
        parameters=[
            OpenApiParameter("service", OpenApiTypes.STR, required=True, description="code"),
            OpenApiParameter("start", OpenApiTypes.DATETIME, required=True),
            OpenApiParameter("end", OpenApiTypes.DATETIME, required=True),
            OpenApiParameter("customer", OpenApiTypes.UUID, description="one customer's view"),
        ],
    )
    def list(self, request):
        """The availability of a service over ``[start, end)`` against its service hours."""
        if not is_staff(request.user):
            raise NotFound
        params = request.query_params
        service = Service.objects.filter(code=params.get("service", "")).first()
        if service is None:
            raise serializers.ValidationError({"service": [_("Unknown service.")]})
        service = get_service_for(request.user, service.pk)
        start, end = _instant(params.get("start"), "start"), _instant(params.get("end"), "end")
        if end <= start or end - start > datetime.timedelta(days=3660):
            raise serializers.ValidationError({"end": [_("Give a period of up to ten years.")]})
        customer = None
        if params.get("customer"):
            customer = Organisation.objects.filter(uuid=params["customer"]).first()
            if customer is None:
                raise serializers.ValidationError({"customer": [_("Unknown customer.")]})
        result = queries.service_availability(service, start, end, customer=customer)
        target, source = queries.target_for(
            service, customer, timezone.localtime(end - datetime.timedelta(seconds=1)).date()
        )
        outages = Outage.objects.filter(service=service).overlapping(start, end)
        if customer is not None:
            outages = outages.affecting(customer)
        row = queries.ReportRow(service, customer, result, target, source, outages.count())
        return Response(AvailabilityResultSerializer(row).data)

    @extend_schema(
        responses={200: AvailabilityReportSerializer},
        parameters=[
            OpenApiParameter("month", OpenApiTypes.STR, required=True, description="YYYY-MM")
        ],
    )
    @action(detail=False, methods=["get"])
    def report(self, request):
        """The monthly report: per service and per customer (a customer: his own rows)."""
        staff = is_staff(request.user)
        if not staff and not customer_report_allowed(request.user):
            raise NotFound
        try:
            month = datetime.datetime.strptime(request.query_params.get("month", ""), "%Y-%m")
        except ValueError as exc:
            raise serializers.ValidationError({"month": [_("Give a month as YYYY-MM.")]}) from exc
        start, end = queries.month_period(month.year, month.month)
        customer = None if staff else request.user.organisation
        services = None if staff else Service.objects.entitled(customer)
        per_service, per_customer = queries.availability_report(
            start, end, services=services, customer=customer
        )
        data = {
            "month": f"{month.year}-{month.month:02d}",
            "per_service": per_service,
            "per_customer": per_customer,
        }
        return Response(AvailabilityReportSerializer(data).data)


# --- Targets -----------------------------------------------------------------------------------


class AvailabilityTargetSerializer(serializers.ModelSerializer):
    service = serializers.SlugRelatedField(slug_field="code", read_only=True)
    updated_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = AvailabilityTarget
        fields = ["service", "target_percent", "note", "updated_by", "updated_at", "version"]
        read_only_fields = ["service", "updated_by", "updated_at", "version"]


class AvailabilityTargetViewSet(
    AssuranceViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    serializer_class = AvailabilityTargetSerializer
    lookup_field = "service"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = AvailabilityTarget.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return (
            AvailabilityTarget.objects.visible_to(self.request.user)
            .select_related("service", "updated_by")
            .order_by("-pk")
        )

    def _service(self, code, write=False):
        service = Service.objects.filter(code=code).first()
        if service is None:
            raise NotFound
        return get_service_for(self.request.user, service.pk, write=write)

    def get_object(self):
        service = self._service(self.kwargs["service"])
        target = AvailabilityTarget.objects.filter(service=service).first()
        if target is None:
            raise NotFound
        return target

    @extend_schema(
        request=AvailabilityTargetSerializer,
        responses={200: AvailabilityTargetSerializer},
        parameters=[IF_MATCH],
    )
    def update(self, request, service=None):
        """Set the service's own target (percent)."""
        service = self._service(service, write=True)
        serializer = AvailabilityTargetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        current = AvailabilityTarget.objects.filter(service=service).first()
        target = services_availability.target_set(
            actor=request.user,
            service=service,
            target_percent=serializer.validated_data["target_percent"],
            note=serializer.validated_data.get("note", ""),
            expected_version=if_match(request, current) if current else None,
        )
        return self.respond(target)

    def destroy(self, request, service=None):
        services_availability.target_clear(
            actor=request.user, service=self._service(service, write=True)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


ROUTES = [
    ("outages", OutageViewSet, "outage"),
    ("availability", AvailabilityViewSet, "availability"),
    ("availability-targets", AvailabilityTargetViewSet, "availability-target"),
]
