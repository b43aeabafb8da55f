"""REST API of the context and leadership (clauses 4 and 5):

- ``/api/v1/context-issues/`` and ``/api/v1/interested-parties/`` (by id): list, read,
  create, ``PATCH``; ``…/current/`` ``{"current", "reason"}`` retires or reinstates;
- ``/api/v1/scope-statements/`` (by version number): ``POST`` starts the next draft (a copy
  of the approved version); ``PATCH`` changes the draft (services by code, customers by id,
  exclusions as a list); ``…/approve/`` (top management or the management-system owner);
  ``…/discard/``;
- ``/api/v1/policies/`` (by version number): ``POST`` starts a draft; ``PATCH``;
  ``…/approve/`` (top management); ``…/discard/``; ``…/communications/`` lists (``GET``) or
  records (``POST``) its communication;
- ``/api/v1/raci/``: the matrix (``GET``); ``POST …/update/`` ``{"cells": [{"process",
  "role", "letters"}]}`` changes cells.

Staff read; the management-system owner and administrators write (403 for other staff);
customers get 404. Updates answer ``ETag`` and honour ``If-Match`` (412 when stale).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from serviceloop.core.models import Organisation, User
from serviceloop.core.roles import PROVIDER_ROLES
from serviceloop.planning import services_context, services_leadership
from serviceloop.planning.api_support import (
    IF_MATCH,
    ManagementViewSetMixin,
    enum_field,
    if_match,
)
from serviceloop.planning.models import (
    PROCESS_AREAS,
    PROCESSES,
    CommunicationChannel,
    ContextIssue,
    InterestedParty,
    IssueKind,
    Module,
    PartyCategory,
    PolicyCommunication,
    PolicyVersion,
    RaciAssignment,
    ScopeStatement,
    VersionStatus,
)
from serviceloop.planning.permissions_management import (
    get_issue_for,
    get_party_for,
    get_policy_for,
    get_scope_for,
    require_manage,
)
from serviceloop.portfolio.models import Service

STAFF = User.objects.filter(is_active=True)


class RegisterCurrentSerializer(serializers.Serializer):
    current = serializers.BooleanField()
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class VersionApproveSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


# --- Issues and parties --------------------------------------------------------------------


class ContextIssueSerializer(serializers.ModelSerializer):
    kind = enum_field(IssueKind.choices, "planning-issue-kind")
    owner = serializers.SlugRelatedField(slug_field="username", queryset=STAFF)

    class Meta:
        model = ContextIssue
        fields = [
            "id", "kind", "title", "description", "impact", "owner", "review_on", "is_active",
            "retired_reason", "created_at", "updated_at", "version",
        ]  # fmt: skip
        read_only_fields = [
            "is_active", "retired_reason", "created_at", "updated_at", "version",
        ]  # fmt: skip


class InterestedPartySerializer(serializers.ModelSerializer):
    category = enum_field(PartyCategory.choices, "planning-party-category")
    owner = serializers.SlugRelatedField(slug_field="username", queryset=STAFF)

    class Meta:
        model = InterestedParty
        fields = [
            "id", "name", "category", "requirements", "how_addressed", "owner", "review_on",
            "is_active", "retired_reason", "created_at", "updated_at", "version",
        ]  # fmt: skip
        read_only_fields = [
            "is_active", "retired_reason", "created_at", "updated_at", "version",
        ]  # fmt: skip


class _RegisterViewSet(
    ManagementViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    model = None
    getter = None
    creator = None
    updater = None
    current_service = None
    noun = ""

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.model.objects.none()
        return self.model.objects.visible_to(self.request.user).select_related("owner")

    def get_object(self):
        return type(self).getter(self.request.user, self.kwargs["pk"])

    def create(self, request):
        require_manage(request.user)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = type(self).creator(actor=request.user, **serializer.validated_data)
        return self.respond(record, status.HTTP_201_CREATED)

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request, pk=None):
        record = type(self).getter(request.user, pk, write=True)
        serializer = self.get_serializer(record, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        record = type(self).updater(
            actor=request.user,
            expected_version=if_match(request, record),
            **{self.noun: record},
            **serializer.validated_data,
        )
        return self.respond(record)

    @extend_schema(request=RegisterCurrentSerializer, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def current(self, request, pk=None):
        """Retire (``current`` false, with a ``reason``) or reinstate (true)."""
        record = type(self).getter(request.user, pk, write=True)
        serializer = RegisterCurrentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = type(self).current_service(
            actor=request.user,
            expected_version=if_match(request, record),
            **{self.noun: record},
            **serializer.validated_data,
        )
        return self.respond(record)


class IssueViewSet(_RegisterViewSet):
    serializer_class = ContextIssueSerializer
    queryset = ContextIssue.objects.none()
    model = ContextIssue
    getter = staticmethod(get_issue_for)
    creator = staticmethod(services_context.issue_create)
    updater = staticmethod(services_context.issue_update)
    current_service = staticmethod(services_context.issue_set_current)
    noun = "issue"


class PartyViewSet(_RegisterViewSet):
    serializer_class = InterestedPartySerializer
    queryset = InterestedParty.objects.none()
    model = InterestedParty
    getter = staticmethod(get_party_for)
    creator = staticmethod(services_context.party_create)
    updater = staticmethod(services_context.party_update)
    current_service = staticmethod(services_context.party_set_current)
    noun = "party"


# --- Scope statement -----------------------------------------------------------------------


class ScopeExclusionSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=200, allow_blank=True, required=False)
    justification = serializers.CharField(allow_blank=True)
    module = serializers.ChoiceField(choices=Module.choices, allow_blank=True, required=False)


class ScopeStatementSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    status = enum_field(VersionStatus.choices, "planning-scope-status", read_only=True)
    services = serializers.SlugRelatedField(
        slug_field="code", queryset=Service.objects.all(), many=True, required=False
    )
    customers = serializers.SlugRelatedField(
        slug_field="uuid", queryset=Organisation.objects.customers(), many=True, required=False
    )
    locations = serializers.ListField(child=serializers.CharField(max_length=200), required=False)
    exclusions = ScopeExclusionSerializer(many=True, required=False)
    approved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ScopeStatement
        fields = [
            "id", "number", "status", "statement", "services", "customers", "locations",
            "exclusions", "change_summary", "approved_by", "approved_at", "approval_note",
            "superseded_at", "created_at", "updated_at", "version",
        ]  # fmt: skip
        read_only_fields = [
            "number", "approved_at", "approval_note", "superseded_at", "created_at",
            "updated_at", "version",
        ]  # fmt: skip

    def to_representation(self, scope):
        data = super().to_representation(scope)
        data["exclusions"] = [
            {"subject": e.subject, "justification": e.justification, "module": e.module}
            for e in scope.exclusions.all()
        ]
        return data


class ScopeViewSet(
    ManagementViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ScopeStatementSerializer
    lookup_field = "number"
    lookup_value_regex = r"[0-9]+"
    queryset = ScopeStatement.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return (
            ScopeStatement.objects.visible_to(self.request.user)
            .select_related("approved_by")
            .prefetch_related("services", "customers", "exclusions")
        )

    def get_object(self):
        return get_scope_for(self.request.user, self.kwargs["number"])

    @extend_schema(request=None)
    def create(self, request):
        """Start the next version as a draft: a copy of the approved one, plus an exclusion
        for each switched-off module."""
        require_manage(request.user)
        return self.respond(
            services_context.scope_draft_create(actor=request.user), status.HTTP_201_CREATED
        )

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request, number=None):
        scope = get_scope_for(request.user, number, write=True)
        serializer = self.get_serializer(scope, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        scope = services_context.scope_update(
            actor=request.user,
            scope=scope,
            expected_version=if_match(request, scope),
            **serializer.validated_data,
        )
        return self.respond(scope)

    @extend_schema(request=VersionApproveSerializer, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def approve(self, request, number=None):
        """Approve the draft (top management or the management-system owner)."""
        scope = get_scope_for(request.user, number, approve=True)
        serializer = VersionApproveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        scope = services_context.scope_approve(
            actor=request.user,
            scope=scope,
            note=serializer.validated_data.get("note", ""),
            expected_version=if_match(request, scope),
        )
        return self.respond(scope)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post"])
    def discard(self, request, number=None):
        """Throw the draft away."""
        scope = get_scope_for(request.user, number, write=True)
        services_context.scope_draft_discard(actor=request.user, scope=scope)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Policy --------------------------------------------------------------------------------


class PolicyVersionSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    status = enum_field(VersionStatus.choices, "planning-policy-status", read_only=True)
    approved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = PolicyVersion
        fields = [
            "id", "number", "status", "title", "body", "change_summary", "approved_by",
            "approved_at", "approval_note", "superseded_at", "created_at", "updated_at",
            "version",
        ]  # fmt: skip
        read_only_fields = [
            "number", "approved_at", "approval_note", "superseded_at", "created_at",
            "updated_at", "version",
        ]  # fmt: skip
        extra_kwargs = {"title": {"required": False}, "body": {"required": False}}


class PolicyCommunicationSerializer(serializers.ModelSerializer):
    channel = enum_field(CommunicationChannel.choices, "planning-policy-channel")
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = PolicyCommunication
        fields = ["id", "communicated_on", "audience", "channel", "note", "recorded_by"]
        read_only_fields = ["recorded_by"]


class PolicyViewSet(
    ManagementViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = PolicyVersionSerializer
    lookup_field = "number"
    lookup_value_regex = r"[0-9]+"
    queryset = PolicyVersion.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return PolicyVersion.objects.visible_to(self.request.user).select_related("approved_by")

    def get_object(self):
        return get_policy_for(self.request.user, self.kwargs["number"])

    def create(self, request):
        """Start the next version as a draft (the title and text given, else the approved
        version's)."""
        require_manage(request.user)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        draft = services_leadership.policy_draft_create(
            actor=request.user,
            title=serializer.validated_data.get("title", ""),
            body=serializer.validated_data.get("body", ""),
        )
        return self.respond(draft, status.HTTP_201_CREATED)

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request, number=None):
        policy = get_policy_for(request.user, number, write=True)
        serializer = self.get_serializer(policy, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        policy = services_leadership.policy_update(
            actor=request.user,
            policy=policy,
            expected_version=if_match(request, policy),
            **serializer.validated_data,
        )
        return self.respond(policy)

    @extend_schema(request=VersionApproveSerializer, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def approve(self, request, number=None):
        """Approve the draft (top management only)."""
        policy = get_policy_for(request.user, number, approve=True)
        serializer = VersionApproveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        policy = services_leadership.policy_approve(
            actor=request.user,
            policy=policy,
            note=serializer.validated_data.get("note", ""),
            expected_version=if_match(request, policy),
        )
        return self.respond(policy)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post"])
    def discard(self, request, number=None):
        policy = get_policy_for(request.user, number, write=True)
        services_leadership.policy_draft_discard(actor=request.user, policy=policy)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        methods=["GET"], request=None, responses={200: PolicyCommunicationSerializer(many=True)}
    )
    @extend_schema(
        methods=["POST"],
        request=PolicyCommunicationSerializer,
        responses={201: PolicyCommunicationSerializer},
    )
    @action(detail=True, methods=["get", "post"])
    def communications(self, request, number=None):
        """The records of the version's communication; ``POST`` records one."""
        if request.method == "GET":
            policy = get_policy_for(request.user, number)
            rows = policy.communications.select_related("recorded_by")
            return Response(PolicyCommunicationSerializer(rows, many=True).data)
        policy = get_policy_for(request.user, number, write=True)
        serializer = PolicyCommunicationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = services_leadership.policy_communication_record(
            actor=request.user, policy=policy, **serializer.validated_data
        )
        return Response(PolicyCommunicationSerializer(record).data, status=status.HTTP_201_CREATED)


# --- RACI ----------------------------------------------------------------------------------


class RaciCellSerializer(serializers.Serializer):
    process = serializers.ChoiceField(choices=[p.code for p in PROCESSES])
    role = serializers.ChoiceField(choices=sorted(PROVIDER_ROLES))
    letters = serializers.CharField(allow_blank=True, max_length=8)


class RaciRowSerializer(serializers.Serializer):
    process = serializers.CharField()
    title = serializers.CharField()
    area = serializers.CharField()
    area_title = serializers.CharField()
    module = serializers.CharField()
    cells = serializers.DictField(child=serializers.CharField())


class RaciUpdateSerializer(serializers.Serializer):
    cells = RaciCellSerializer(many=True)


class RaciViewSet(ManagementViewSetMixin, viewsets.GenericViewSet):
    serializer_class = RaciRowSerializer
    pagination_class = None
    queryset = RaciAssignment.objects.none()  # for the schema

    def _rows(self):
        matrix = {}
        for row in RaciAssignment.objects.all():
            matrix.setdefault(row.process, {})[row.role] = row.letters
        return [
            {
                "process": p.code,
                "title": str(p.title),
                "area": p.area,
                "area_title": str(PROCESS_AREAS[p.area]),
                "module": p.module,
                "cells": matrix.get(p.code, {}),
            }
            for p in PROCESSES
        ]

    @extend_schema(responses=RaciRowSerializer(many=True))
    def list(self, request):
        """Every process with its letters per role (only the roles that have some)."""
        return Response(RaciRowSerializer(self._rows(), many=True).data)

    @extend_schema(request=RaciUpdateSerializer, responses=RaciRowSerializer(many=True))
    @action(detail=False, methods=["post"], url_path="update")
    def update_cells(self, request):
        """Set cells (``letters`` out of R, A, C, I; empty clears the cell). A process has at
        most one accountable role."""
        require_manage(request.user)
        serializer = RaciUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services_leadership.raci_update(
            actor=request.user,
            cells={
                (c["process"], c["role"]): c["letters"] for c in serializer.validated_data["cells"]
            },
        )
        return Response(RaciRowSerializer(self._rows(), many=True).data)


ROUTES: list = [
    ("context-issues", IssueViewSet, "context-issue"),
    ("interested-parties", PartyViewSet, "interested-party"),
    ("scope-statements", ScopeViewSet, "scope-statement"),
    ("policies", PolicyViewSet, "policy"),
    ("raci", RaciViewSet, "raci"),
]
