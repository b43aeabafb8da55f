"""REST API of nonconformities and corrective and preventive actions (clause 10.1).

``/api/v1/nonconformities/`` (by reference): list (``?status=`` a status or ``not_closed``,
``?source=``, ``?severity=``, ``?overdue=true``), read, raise (``POST``), ``PATCH`` the
details; ``…/containment/`` ``{"containment", "contained_on"}``; ``…/analysis/``
``{"method", "whys": [{"why", "answer"}], "fishbone": {"people": [...]}, "root_cause"}``;
``…/cancel/`` and ``…/reopen/`` ``{"note"}``; ``GET``/``POST …/actions/`` its corrective
actions.

``/api/v1/improvement-actions/`` (by reference): list (``?mine=true``, ``?status=`` a status
or ``open``, ``?kind=``, ``?overdue=true``), read, raise a preventive action (``POST``),
``PATCH`` (details and the verification: ``verification_method`` manual or kpi, with
``kpi`` code, ``kpi_slice``, ``kpi_comparator``, ``kpi_threshold``, ``kpi_periods``);
``…/transition/`` ``{"target", "note", "done_on"}``; ``…/verify/`` (manual) ``{"effective",
"note", "evidence_note", "evidence_link"}``; ``GET …/verifications/`` the history.

Staff read; writes as in ``permissions_nonconformities`` (403 for other staff); customers get
404. Updates answer ``ETag`` and honour ``If-Match`` (412 when stale).
"""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action as route
from rest_framework.response import Response

from serviceloop.core.models import User
from serviceloop.evaluation.models import KpiDefinition
from serviceloop.improvement import queries_nonconformities as queries
from serviceloop.improvement import services_actions_nonconformities as action_services
from serviceloop.improvement import services_nonconformities as services
from serviceloop.improvement.models import (
    Action,
    ActionKind,
    ActionStatus,
    ActionVerification,
    Comparator,
    NcSource,
    NcStatus,
    Nonconformity,
    RcaMethod,
    Severity,
    VerificationMethod,
)
from serviceloop.improvement.permissions_nonconformities import (
    can_manage,
    can_raise,
    get_action_for,
    get_nonconformity_for,
    require,
)
from serviceloop.planning.api_support import (
    IF_MATCH,
    ManagementViewSetMixin,
    enum_field,
    if_match,
)


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class ClauseNumbersField(serializers.ListField):
    """Clause numbers (``["8.6.1", "9.2"]``) in and out."""

    child = serializers.CharField(max_length=20)

    def to_representation(self, data):
        return [clause.number for clause in data.all()]


def _owner_field():
    return serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )


class NonconformitySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    source = enum_field(NcSource.choices, "improvement-nc-source")
    severity = enum_field(Severity.choices, "improvement-nc-severity", required=False)
    status = enum_field(NcStatus.choices, "improvement-nc-status", read_only=True)
    rca_method = enum_field(RcaMethod.choices, "improvement-rca-method", read_only=True)
    clauses = ClauseNumbersField(required=False)
    owner = _owner_field()
    raised_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    cause_key = serializers.CharField(required=False, allow_blank=True, max_length=200)

    class Meta:
        model = Nonconformity
        fields = [
            "id", "reference", "title", "description", "source", "source_reference", "severity",
            "clauses", "owner", "due_on", "status", "status_note", "containment",
            "contained_on", "rca_method", "rca_whys", "rca_fishbone", "root_cause",
            "analysed_on", "closed_on", "reopen_count", "cause_key", "raised_on", "raised_by",
            "created_at", "updated_at", "version",
        ]  # fmt: skip
        read_only_fields = [
            "reference", "status_note", "containment", "contained_on", "rca_whys",
            "rca_fishbone", "root_cause", "analysed_on", "closed_on", "reopen_count",
            "raised_on", "created_at", "updated_at", "version",
        ]  # fmt: skip
        validators: list = []  # the open-cause uniqueness is the service's (no duplicate)

    def service_fields(self) -> dict:
        data = dict(self.validated_data)
        if "clauses" in data:
            data["clause_numbers"] = data.pop("clauses")
        return data


class ContainmentSerializer(serializers.Serializer):
    containment = serializers.CharField()
    contained_on = serializers.DateField()


class WhySerializer(serializers.Serializer):
    why = serializers.CharField(allow_blank=True)
    answer = serializers.CharField(allow_blank=True)


class AnalysisSerializer(serializers.Serializer):
    method = enum_field(RcaMethod.choices, "improvement-rca-method-in")
    root_cause = serializers.CharField()
    whys = WhySerializer(many=True, required=False)
    fishbone = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(allow_blank=True, max_length=2000)


class ActionSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    kind = enum_field(ActionKind.choices, "improvement-action-kind", read_only=True)
    status = enum_field(ActionStatus.choices, "improvement-action-status", read_only=True)
    nonconformity = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    source = enum_field(NcSource.choices, "improvement-action-source", required=False)
    owner = _owner_field()
    verification_method = enum_field(
        [("", ""), *VerificationMethod.choices],
        "improvement-verification-method",
        required=False,
        allow_blank=True,
    )
    kpi = serializers.SlugRelatedField(
        slug_field="code", queryset=KpiDefinition.objects.all(), required=False, allow_null=True
    )
    kpi_slice = serializers.DictField(required=False)
    kpi_comparator = enum_field(
        [("", ""), *Comparator.choices],
        "improvement-kpi-comparator",
        required=False,
        allow_blank=True,
    )
    kpi_threshold = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True
    )
    kpi_periods = serializers.IntegerField(required=False, allow_null=True)
    condition = serializers.SerializerMethodField()

    class Meta:
        model = Action
        fields = [
            "id", "reference", "kind", "nonconformity", "source", "source_reference", "title",
            "description", "owner", "due_on", "status", "status_note", "started_on", "done_on",
            "done_note", "verification_method", "verification_plan", "kpi", "kpi_slice",
            "kpi_comparator", "kpi_threshold", "kpi_periods", "condition", "verified_on",
            "cause_key", "created_at", "updated_at", "version",
        ]  # fmt: skip
        read_only_fields = [
            "reference", "status_note", "started_on", "done_on", "done_note", "verified_on",
            "created_at", "updated_at", "version",
        ]  # fmt: skip
        extra_kwargs = {"cause_key": {"required": False}}
        validators: list = []

    def get_condition(self, action) -> str:
        """The KPI condition in words ("" for a manual verification)."""
        return action.condition_text()


class ActionTransitionSerializer(serializers.Serializer):
    target = enum_field(ActionStatus.choices, "improvement-action-target")
    note = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    done_on = serializers.DateField(required=False)


class VerifySerializer(serializers.Serializer):
    effective = serializers.BooleanField()
    note = serializers.CharField(max_length=4000)
    evidence_note = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    evidence_link = serializers.CharField(required=False, allow_blank=True, max_length=500)


class VerificationRowSerializer(serializers.ModelSerializer):
    verified_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ActionVerification
        fields = [
            "id", "kind", "checked_on", "period_start", "period_end", "value", "numerator",
            "denominator", "met", "note", "evidence_note", "evidence_link", "verified_by",
            "created_at",
        ]  # fmt: skip


def _overdue(request):
    return timezone.localdate() if request.query_params.get("overdue") == "true" else None


class NonconformityViewSet(
    ManagementViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = NonconformitySerializer
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = Nonconformity.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        params = self.request.query_params
        wanted = params.get("status", "")
        return queries.nonconformities_for_list(
            self.request.user,
            status=wanted if wanted in (*NcStatus.values, queries.OPEN) else "",
            source=params.get("source", "") if params.get("source") in NcSource.values else "",
            severity=params.get("severity", "")
            if params.get("severity") in Severity.values
            else "",
            overdue_on=_overdue(self.request),
        ).prefetch_related("clauses")

    def get_object(self):
        return get_nonconformity_for(self.request.user, self.kwargs["reference"])

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=[*NcStatus.values, "not_closed"], required=False),
            OpenApiParameter("source", str, enum=NcSource.values, required=False),
            OpenApiParameter("severity", str, enum=Severity.values, required=False),
            OpenApiParameter("overdue", OpenApiTypes.BOOL, required=False),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def create(self, request):
        require(request.user, can_raise(request.user))
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = serializer.service_fields()
        known = bool(fields.get("cause_key")) and (
            Nonconformity.objects.not_closed().filter(cause_key=fields["cause_key"]).exists()
        )
        nonconformity = services.nonconformity_raise(request.user, **fields)
        # The same open cause again: the existing record, not a new one.
        return self.respond(nonconformity, status.HTTP_200_OK if known else status.HTTP_201_CREATED)

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request, reference=None):
        nonconformity = get_nonconformity_for(request.user, reference, write=True)
        serializer = self.get_serializer(nonconformity, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        fields = serializer.service_fields()
        fields.pop("cause_key", None)
        nonconformity = services.nonconformity_update(
            actor=request.user,
            nonconformity=nonconformity,
            expected_version=if_match(request, nonconformity),
            **fields,
        )
        return self.respond(nonconformity)

    @extend_schema(request=ContainmentSerializer, parameters=[IF_MATCH])
    @route(detail=True, methods=["post"])
    def containment(self, request, reference=None):
        """Record the containment and correction (an open nonconformity becomes contained)."""
        nonconformity = get_nonconformity_for(request.user, reference, write=True)
        serializer = ContainmentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        nonconformity = services.nonconformity_contain(
            actor=request.user,
            nonconformity=nonconformity,
            expected_version=if_match(request, nonconformity),
            **serializer.validated_data,
        )
        return self.respond(nonconformity)

    @extend_schema(request=AnalysisSerializer, parameters=[IF_MATCH])
    @route(detail=True, methods=["post"])
    def analysis(self, request, reference=None):
        """Record the root cause analysis: five whys or fishbone, and the root cause."""
        nonconformity = get_nonconformity_for(request.user, reference, write=True)
        serializer = AnalysisSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        nonconformity = services.nonconformity_analyse(
            actor=request.user,
            nonconformity=nonconformity,
            expected_version=if_match(request, nonconformity),
            **serializer.validated_data,
        )
        return self.respond(nonconformity)

    def _move(self, request, reference, service):
        nonconformity = get_nonconformity_for(request.user, reference, manage=True)
        serializer = NoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        nonconformity = service(
            actor=request.user,
            nonconformity=nonconformity,
            note=serializer.validated_data["note"],
            expected_version=if_match(request, nonconformity),
        )
        return self.respond(nonconformity)

    @extend_schema(request=NoteSerializer, parameters=[IF_MATCH])
    @route(detail=True, methods=["post"])
    def cancel(self, request, reference=None):
        """Cancel (raised in error), with the reason; undecided actions are cancelled too."""
        return self._move(request, reference, services.nonconformity_cancel)

    @extend_schema(request=NoteSerializer, parameters=[IF_MATCH])
    @route(detail=True, methods=["post"])
    def reopen(self, request, reference=None):
        """Reopen a closed nonconformity, with the reason."""
        return self._move(request, reference, services.nonconformity_reopen)

    @extend_schema(methods=["GET"], request=None, responses=ActionSerializer(many=True))
    @extend_schema(methods=["POST"], request=ActionSerializer, responses={201: ActionSerializer})
    @route(detail=True, methods=["get", "post"], pagination_class=None)
    def actions(self, request, reference=None):
        """Its corrective actions; ``POST`` plans one (once the root cause is analysed)."""
        if request.method == "GET":
            nonconformity = self.get_object()
            rows = nonconformity.actions.select_related("owner", "kpi", "nonconformity")
            return Response(ActionSerializer(rows.order_by("created_at", "pk"), many=True).data)
        nonconformity = get_nonconformity_for(request.user, reference, write=True)
        serializer = ActionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("source", None)
        created = action_services.action_create(
            actor=request.user, nonconformity=nonconformity, **data
        )
        response = Response(ActionSerializer(created).data, status=status.HTTP_201_CREATED)
        response["ETag"] = f'"{created.version}"'
        return response


class ActionViewSet(
    ManagementViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ActionSerializer
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = Action.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        params = self.request.query_params
        wanted = params.get("status", "")
        return queries.actions_for_list(
            self.request.user,
            owner=self.request.user if params.get("mine") == "true" else None,
            status=wanted if wanted in ActionStatus.values else "",
            open_only=wanted == "open",
            kind=params.get("kind", "") if params.get("kind") in ActionKind.values else "",
            overdue_on=_overdue(self.request),
        )

    def get_object(self):
        return get_action_for(self.request.user, self.kwargs["reference"])

    @extend_schema(
        parameters=[
            OpenApiParameter("mine", OpenApiTypes.BOOL, required=False),
            OpenApiParameter("status", str, enum=[*ActionStatus.values, "open"], required=False),
            OpenApiParameter("kind", str, enum=ActionKind.values, required=False),
            OpenApiParameter("overdue", OpenApiTypes.BOOL, required=False),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def create(self, request):
        """Raise a preventive action (from a risk, a KPI trend...): ``source`` is required."""
        require(request.user, can_manage(request.user))
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.setdefault("source", "")
        created = action_services.action_create(actor=request.user, nonconformity=None, **data)
        return self.respond(created, status.HTTP_201_CREATED)

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request, reference=None):
        current = get_action_for(request.user, reference, write=True)
        serializer = self.get_serializer(current, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("cause_key", None)
        updated = action_services.action_update(
            actor=request.user,
            action=current,
            expected_version=if_match(request, current),
            **data,
        )
        return self.respond(updated)

    @extend_schema(request=ActionTransitionSerializer, parameters=[IF_MATCH])
    @route(detail=True, methods=["post"])
    def transition(self, request, reference=None):
        """Start, mark done (``note``: what was done; ``done_on``) or cancel (``note``)."""
        current = get_action_for(request.user, reference, write=True)
        serializer = ActionTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        updated = action_services.action_transition(
            actor=request.user,
            action=current,
            expected_version=if_match(request, current),
            **serializer.validated_data,
        )
        return self.respond(updated)

    @extend_schema(
        request=VerifySerializer,
        responses={201: VerificationRowSerializer},
        parameters=[IF_MATCH],
    )
    @route(detail=True, methods=["post"])
    def verify(self, request, reference=None):
        """Record the manual verification of a done action (MANAGE_SYSTEM or AUDIT)."""
        current = get_action_for(request.user, reference, verify=True)
        serializer = VerifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        row = action_services.action_verify(
            actor=request.user,
            action=current,
            expected_version=if_match(request, current),
            **serializer.validated_data,
        )
        return Response(VerificationRowSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=VerificationRowSerializer(many=True))
    @route(detail=True, methods=["get"], pagination_class=None)
    def verifications(self, request, reference=None):
        """The verification history: each KPI period checked, and the outcome."""
        current = self.get_object()
        rows = current.verifications.select_related("verified_by").order_by("period_start", "id")
        return Response(VerificationRowSerializer(rows, many=True).data)


ROUTES: list = [
    ("nonconformities", NonconformityViewSet, "nonconformity"),
    ("improvement-actions", ActionViewSet, "improvement-action"),
]
