"""The continuity API.

- ``/api/v1/continuity-plans/`` (by reference): plans with their ordered steps and contacts;
  ``POST`` creates a draft, ``PATCH`` changes it (steps and contacts replaced when given);
  ``…/transition/``; ``…/tests/`` (``POST``: record a test with its issues); ``…/invoke/``
  (for a major incident).
- ``/api/v1/continuity-tests/`` (by id, read); ``…/issues/`` (``POST``: add an issue).
- ``/api/v1/continuity-issues/`` (by id): ``…/transition/``.
- ``/api/v1/continuity-invocations/`` (by id): ``…/stand-down/``.

Staff read; managers, the service's owner and the plan's owner write plans and tests; staff
who operate invoke and stand down. Customers get 404.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from serviceloop.assurance import queries, services_continuity
from serviceloop.assurance.api_common import (
    IF_MATCH,
    AssuranceViewSetMixin,
    TicketReferenceField,
    choice_text,
    if_match,
    required,
)
from serviceloop.assurance.lifecycle import IssueStatus, PlanStatus
from serviceloop.assurance.models import (
    ContinuityContact,
    ContinuityIssue,
    ContinuityPlan,
    ContinuityStep,
    ContinuityTest,
    ContinuityTestKind,
    ContinuityTestResult,
    Invocation,
)
from serviceloop.assurance.permissions import (
    can_create_plans,
    can_edit_service_records,
    get_invocation_for,
    get_issue_for,
    get_plan_for,
    get_test_for,
    require_operate,
)
from serviceloop.core.models import User
from serviceloop.core.roles import PROVIDER_ROLES
from serviceloop.desk.models import Ticket
from serviceloop.portfolio.models import Service

STAFF = User.objects.filter(is_active=True, role__in=PROVIDER_ROLES)


class ContinuityStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContinuityStep
        fields = ["position", "action", "responsible"]
        read_only_fields = ["position"]


class ContinuityContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContinuityContact
        fields = ["name", "role", "phone", "email"]


class ContinuityPlanSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    service = serializers.SlugRelatedField(slug_field="code", queryset=Service.objects.all())
    owner = serializers.SlugRelatedField(slug_field="username", queryset=STAFF)
    status = choice_text(PlanStatus.choices, read_only=True)
    steps = ContinuityStepSerializer(many=True, required=False)
    contacts = ContinuityContactSerializer(many=True, required=False)

    class Meta:
        model = ContinuityPlan
        fields = [
            "id", "reference", "service", "title", "status", "rto_minutes", "rpo_minutes",
            "invocation_criteria", "owner", "review_on", "test_due_on", "retire_reason", "steps",
            "contacts", "created_at", "updated_at", "version",
        ]  # fmt: skip
        read_only_fields = ["reference", "retire_reason", "created_at", "updated_at", "version"]


class ContinuityIssueSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="username", queryset=STAFF)
    status = choice_text(IssueStatus.choices, read_only=True)
    test = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = ContinuityIssue
        fields = [
            "id", "test", "description", "action", "owner", "due_on", "status", "status_note",
            "closed_at", "version",
        ]  # fmt: skip
        read_only_fields = ["id", "test", "status", "status_note", "closed_at", "version"]


class ContinuityTestSerializer(serializers.ModelSerializer):
    plan = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    kind = choice_text(ContinuityTestKind.choices)
    result = choice_text(ContinuityTestResult.choices)
    participants = serializers.SlugRelatedField(
        slug_field="username", queryset=STAFF, many=True, required=False
    )
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    issues = ContinuityIssueSerializer(many=True, required=False)

    class Meta:
        model = ContinuityTest
        fields = [
            "id", "plan", "kind", "tested_on", "result", "summary", "participants",
            "other_participants", "recovery_minutes", "issues", "recorded_by", "recorded_at",
        ]  # fmt: skip
        read_only_fields = ["id", "plan", "recorded_by", "recorded_at"]


class ContinuityInvocationSerializer(serializers.ModelSerializer):
    plan = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    ticket = TicketReferenceField()
    invoked_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    stood_down_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Invocation
        fields = [
            "id", "plan", "ticket", "invoked_at", "invoked_by", "stood_down_at", "stood_down_by",
            "notes",
        ]  # fmt: skip
        read_only_fields = fields


class ContinuityInvokeSerializer(serializers.Serializer):
    ticket = serializers.CharField(max_length=32, help_text="The major incident's reference.")
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class ContinuityNotesSerializer(serializers.Serializer):
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class ContinuityTransitionSerializer(serializers.Serializer):
    target = serializers.CharField(max_length=20)
    note = serializers.CharField(required=False, allow_blank=True, default="")


def _plan_fields(data: dict) -> dict:
    fields = {k: v for k, v in data.items() if k not in ("steps", "contacts", "service")}
    if "steps" in data:
        fields["steps"] = [(s["action"], s.get("responsible", "")) for s in data["steps"]]
    if "contacts" in data:
        fields["contacts"] = [dict(c) for c in data["contacts"]]
    return fields


class ContinuityPlanViewSet(AssuranceViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ContinuityPlanSerializer
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = ContinuityPlan.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        plans = ContinuityPlan.objects.visible_to(self.request.user).select_related(
            "service", "owner"
        )
        if self.request.query_params.get("status"):
            plans = plans.filter(status=self.request.query_params["status"])
        return plans.prefetch_related("steps", "contacts").order_by("-pk")

    def get_object(self):
        return get_plan_for(self.request.user, self.kwargs["reference"])

    def create(self, request):
        if not can_create_plans(request.user):
            raise PermissionDenied
        serializer = ContinuityPlanSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if not can_edit_service_records(request.user, data["service"]):
            raise PermissionDenied
        plan = services_continuity.plan_create(
            actor=request.user, service=data["service"], **_plan_fields(data)
        )
        return self.respond(plan, status.HTTP_201_CREATED)

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request, reference=None):
        plan = get_plan_for(request.user, reference, write=True)
        serializer = ContinuityPlanSerializer(plan, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "service" in data and data["service"] != plan.service:
            raise serializers.ValidationError({"service": [_("A plan stays with its service.")]})
        plan = services_continuity.plan_update(
            actor=request.user,
            plan=plan,
            expected_version=if_match(request, plan),
            **_plan_fields(data),
        )
        return self.respond(plan)

    @extend_schema(request=ContinuityTransitionSerializer, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def transition(self, request, reference=None):
        """Approve for use (``active``, needs steps), back to ``draft``, or ``retired`` (note)."""
        plan = get_plan_for(request.user, reference, write=True)
        serializer = ContinuityTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        plan = services_continuity.plan_transition(
            actor=request.user,
            plan=plan,
            expected_version=if_match(request, plan),
            **serializer.validated_data,
        )
        return self.respond(plan)

    @extend_schema(
        request=ContinuityTestSerializer,
        responses={201: ContinuityTestSerializer, 200: ContinuityTestSerializer(many=True)},
    )
    @action(detail=True, methods=["get", "post"])
    def tests(self, request, reference=None):
        """The plan's tests; ``POST`` records one with the issues it found."""
        if request.method == "GET":
            plan = self.get_object()
            tests = ContinuityTest.objects.filter(plan=plan).prefetch_related(
                "participants", "issues__owner"
            )
            return Response(ContinuityTestSerializer(tests, many=True).data)
        plan = get_plan_for(request.user, reference, write=True)
        serializer = ContinuityTestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        required(data, "kind", "tested_on", "result", "summary")
        test = services_continuity.plan_test_record(
            actor=request.user,
            plan=plan,
            kind=data["kind"],
            tested_on=data["tested_on"],
            result=data["result"],
            summary=data["summary"],
            participants=data.get("participants", []),
            other_participants=data.get("other_participants", ""),
            recovery_minutes=data.get("recovery_minutes"),
            issues=[dict(issue) for issue in data.get("issues", [])],
        )
        return Response(ContinuityTestSerializer(test).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ContinuityInvokeSerializer, responses={201: ContinuityInvocationSerializer}
    )
    @action(detail=True, methods=["post"])
    def invoke(self, request, reference=None):
        """Invoke the plan for a major incident."""
        plan = get_plan_for(request.user, reference)
        require_operate(request.user)
        serializer = ContinuityInvokeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = (
            Ticket.objects.visible_to(request.user)
            .filter(reference=serializer.validated_data["ticket"])
            .first()
        )
        if ticket is None:
            raise serializers.ValidationError(
                {"ticket": [_("No major incident with this reference.")]}
            )
        invocation = services_continuity.plan_invoke(
            actor=request.user, plan=plan, ticket=ticket, notes=serializer.validated_data["notes"]
        )
        return Response(
            ContinuityInvocationSerializer(invocation).data, status=status.HTTP_201_CREATED
        )


class ContinuityTestViewSet(AssuranceViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ContinuityTestSerializer
    queryset = ContinuityTest.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return (
            ContinuityTest.objects.visible_to(self.request.user)
            .select_related("plan", "recorded_by")
            .prefetch_related("participants", "issues__owner")
            .order_by("-pk")
        )

    def get_object(self):
        return get_test_for(self.request.user, self.kwargs["pk"])

    @extend_schema(request=ContinuityIssueSerializer, responses={201: ContinuityIssueSerializer})
    @action(detail=True, methods=["post"])
    def issues(self, request, pk=None):
        """Add an issue (action, owner, due date) to the test."""
        test = get_test_for(request.user, pk, write=True)
        serializer = ContinuityIssueSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        issue = services_continuity.issue_add(
            actor=request.user, test=test, **serializer.validated_data
        )
        return Response(ContinuityIssueSerializer(issue).data, status=status.HTTP_201_CREATED)


class ContinuityIssueViewSet(AssuranceViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ContinuityIssueSerializer
    queryset = ContinuityIssue.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        issues = ContinuityIssue.objects.visible_to(self.request.user).select_related(
            "owner", "test"
        )
        if self.request.query_params.get("status"):
            issues = issues.filter(status=self.request.query_params["status"])
        return issues.order_by("-pk")

    def get_object(self):
        return get_issue_for(self.request.user, self.kwargs["pk"])

    @extend_schema(request=ContinuityTransitionSerializer, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """``done``, ``cancelled`` (note) or ``open`` again (editors and the issue's owner)."""
        issue = get_issue_for(request.user, pk, write=True)
        serializer = ContinuityTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        issue = services_continuity.issue_transition(
            actor=request.user,
            issue=issue,
            expected_version=if_match(request, issue),
            **serializer.validated_data,
        )
        return self.respond(issue)


class InvocationViewSet(AssuranceViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ContinuityInvocationSerializer
    queryset = Invocation.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return (
            Invocation.objects.visible_to(self.request.user)
            .select_related("plan", "ticket", "invoked_by", "stood_down_by")
            .annotate(ticket_hidden=queries.ticket_hidden_from(self.request.user))
            .order_by("-pk")
        )

    def get_object(self):
        return get_invocation_for(self.request.user, self.kwargs["pk"])

    @extend_schema(
        request=ContinuityNotesSerializer, responses={200: ContinuityInvocationSerializer}
    )
    @action(detail=True, methods=["post"], url_path="stand-down")
    def stand_down(self, request, pk=None):
        invocation = get_invocation_for(request.user, pk, write=True)
        serializer = ContinuityNotesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invocation = services_continuity.invocation_stand_down(
            actor=request.user, invocation=invocation, notes=serializer.validated_data["notes"]
        )
        return self.respond(invocation)


ROUTES = [
    ("continuity-plans", ContinuityPlanViewSet, "continuity-plan"),
    ("continuity-tests", ContinuityTestViewSet, "continuity-test"),
    ("continuity-issues", ContinuityIssueViewSet, "continuity-issue"),
    ("continuity-invocations", InvocationViewSet, "continuity-invocation"),
]
