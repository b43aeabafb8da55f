"""REST API of evaluation: internal audit (9.2).

- ``/api/v1/audit-programmes/`` (by reference): list, read, create (``year``…), ``PATCH``;
  ``…/transition/`` ``{"target", "note"}``; ``GET …/coverage/`` (lines and clauses covered).
- ``/api/v1/audit-programme-lines/`` (by id, ``?programme=AP-…``): list, read, create
  (``programme``, ``clause`` number, ``risk``, ``owner_team`` id…), ``PATCH``, ``DELETE``.
- ``/api/v1/audits/`` (by reference, ``?status=``, ``?programme=``): list, read, create,
  ``PATCH``; ``…/transition/`` ``{"target", "note", "conclusion"}``.
- ``/api/v1/audit-checklist/`` (by id, ``?audit=AU-…``): list, read, create (an own
  question: ``audit``, ``clause``, ``question``), ``PATCH`` (the answer: ``result``,
  ``notes``, ``evidence_links``).
- ``/api/v1/audit-findings/`` (by reference, ``?kind=``, ``?status=``, ``?overdue=true``):
  list, read, create, ``PATCH``; ``…/transition/`` ``{"target", "note", "action_plan"}``;
  ``GET``/``POST …/attachments/`` (multipart ``file``).
- ``/api/v1/auditors/``: the auditor register with each person's qualification today.

Staff read; the management-system owner writes programmes and lines; internal auditors write
audits, checklists and findings (403 for other staff; a finding's owner may plan its action
and attach files); customers get 404. Updates answer ``ETag`` and honour ``If-Match``.
"""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from serviceloop.conformity.models import Clause
from serviceloop.conformity.permissions import ProviderStaffOr404
from serviceloop.core.models import Attachment, Team, User
from serviceloop.evaluation import auditors_audits as auditors
from serviceloop.evaluation import checklists_audits as checklists
from serviceloop.evaluation import findings_audits as findings
from serviceloop.evaluation import queries_audits as queries
from serviceloop.evaluation import services_audits as services
from serviceloop.evaluation.models import (
    Audit,
    AuditProgramme,
    AuditStatus,
    ChecklistItem,
    ChecklistResult,
    Finding,
    FindingKind,
    FindingStatus,
    ProgrammeLine,
    ProgrammeStatus,
    RiskRating,
)
from serviceloop.evaluation.permissions_audits import (
    get_audit_for,
    get_finding_for,
    get_line_for,
    get_programme_for,
    require_audit,
    require_manage_programme,
)
from serviceloop.planning.api_support import (
    IF_MATCH,
    ManagementViewSetMixin,
    enum_field,
    if_match,
)

STAFF = User.objects.filter(is_active=True)


def _clause_field(**kwargs):
    return serializers.SlugRelatedField(slug_field="number", queryset=Clause.objects.all(),
                                        **kwargs)  # fmt: skip


# --- Programmes --------------------------------------------------------------------------------


class AuditProgrammeSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    status = enum_field(ProgrammeStatus.choices, "evaluation-programme-status", read_only=True)
    approved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)

    class Meta:
        model = AuditProgramme
        fields = ["id", "reference", "year", "title", "objectives", "criteria", "status",
                  "status_note", "approved_by", "approved_at", "created_at", "updated_at",
                  "version"]  # fmt: skip
        read_only_fields = ["reference", "status_note", "approved_at", "created_at",
                            "updated_at", "version"]  # fmt: skip


class ProgrammeTransitionSerializer(serializers.Serializer):
    target = serializers.CharField(max_length=16)
    note = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class ProgrammeLineSerializer(serializers.ModelSerializer):
    programme = serializers.SlugRelatedField(
        slug_field="reference", queryset=AuditProgramme.objects.all()
    )
    clause = _clause_field()
    owner_team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True
    )
    risk = enum_field(RiskRating.choices, "evaluation-audit-risk", required=False)
    subject = serializers.CharField(read_only=True)
    frequency = serializers.CharField(source="frequency_label", read_only=True)

    class Meta:
        model = ProgrammeLine
        fields = ["id", "programme", "clause", "subject", "owner_team", "risk", "frequency",
                  "risk_note", "note"]  # fmt: skip
        validators: list = []  # the service checks the line is new (one message)


class ProgrammeCoverageSerializer(serializers.Serializer):
    lines = serializers.ListField(child=serializers.DictField())
    clauses = serializers.ListField(child=serializers.DictField())
    gaps = serializers.ListField(child=serializers.CharField())


class AuditProgrammeViewSet(
    ManagementViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):  # fmt: skip
    serializer_class = AuditProgrammeSerializer
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = AuditProgramme.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return AuditProgramme.objects.visible_to(self.request.user).select_related("approved_by")

    def get_object(self):
        return get_programme_for(self.request.user, self.kwargs["reference"])

    def create(self, request):
        require_manage_programme(request.user)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        programme = services.programme_create(
            actor=request.user, year=data["year"], title=data.get("title", ""),
            objectives=data.get("objectives", ""), criteria=data.get("criteria", ""),
        )  # fmt: skip
        return self.respond(programme, status.HTTP_201_CREATED)

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request, reference=None):
        programme = get_programme_for(request.user, reference, write=True)
        serializer = self.get_serializer(programme, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = {k: v for k, v in serializer.validated_data.items() if k != "year"}
        programme = services.programme_update(
            actor=request.user, programme=programme,
            expected_version=if_match(request, programme), **changes,
        )  # fmt: skip
        return self.respond(programme)

    @extend_schema(request=ProgrammeTransitionSerializer, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def transition(self, request, reference=None):
        """Approve, close (with a note), revise or reopen (with a reason)."""
        programme = get_programme_for(request.user, reference, write=True)
        serializer = ProgrammeTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        programme = services.programme_transition(
            actor=request.user, programme=programme,
            expected_version=if_match(request, programme), **serializer.validated_data,
        )  # fmt: skip
        return self.respond(programme)

    @extend_schema(responses=ProgrammeCoverageSerializer)
    @action(detail=True, methods=["get"], pagination_class=None)
    def coverage(self, request, reference=None):
        """Each line's audits this year against its risk, and the clauses in scope with the
        lines covering them (``gaps``: clauses no line covers)."""
        programme = self.get_object()
        coverage = queries.programme_coverage(programme)
        return Response({
            "lines": [
                {"id": row.line.pk, "clause": row.line.clause.number, "risk": row.line.risk,
                 "required": row.required, "scheduled": row.scheduled, "done": row.done,
                 "last_done_on": row.last_done_on, "state": row.state}
                for row in coverage.lines
            ],
            "clauses": [
                {"clause": row.clause.number, "lines": [x.clause.number for x in row.lines]}
                for row in coverage.clauses
            ],
            "gaps": [clause.number for clause in coverage.gaps],
        })  # fmt: skip


class ProgrammeLineViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    permission_classes = [ProviderStaffOr404]
    serializer_class = ProgrammeLineSerializer
    queryset = ProgrammeLine.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        lines = ProgrammeLine.objects.visible_to(self.request.user).select_related(
            "programme", "clause", "owner_team"
        )
        programme = self.request.query_params.get("programme")
        if programme:
            lines = lines.filter(programme__reference=programme)
        return lines

    def get_object(self):
        return get_line_for(self.request.user, self.kwargs["pk"])

    @extend_schema(parameters=[OpenApiParameter("programme", str, required=False)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def create(self, request):
        require_manage_programme(request.user)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        line = services.line_add(actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(line).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        line = get_line_for(request.user, pk, write=True)
        serializer = self.get_serializer(line, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = {k: v for k, v in serializer.validated_data.items()
                   if k not in ("programme", "clause")}  # fmt: skip
        line = services.line_update(actor=request.user, line=line, **changes)
        return Response(self.get_serializer(line).data)

    def destroy(self, request, pk=None):
        line = get_line_for(request.user, pk, write=True)
        services.line_remove(actor=request.user, line=line)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Audits ------------------------------------------------------------------------------------


class AuditSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    programme = serializers.SlugRelatedField(
        slug_field="reference", queryset=AuditProgramme.objects.all()
    )
    lines = serializers.PrimaryKeyRelatedField(queryset=ProgrammeLine.objects.all(), many=True)
    lead_auditor = serializers.SlugRelatedField(slug_field="username", queryset=STAFF)
    auditors = serializers.SlugRelatedField(
        slug_field="username", queryset=STAFF, many=True, required=False
    )
    status = enum_field(AuditStatus.choices, "evaluation-audit-status", read_only=True)

    class Meta:
        model = Audit
        fields = ["id", "reference", "programme", "title", "lines", "scope", "objectives",
                  "criteria", "agenda", "auditees", "planned_start", "planned_end",
                  "lead_auditor", "auditors", "status", "status_note", "started_on",
                  "reported_on", "closed_on", "conclusion", "created_at", "updated_at",
                  "version"]  # fmt: skip
        read_only_fields = ["reference", "status_note", "started_on", "reported_on",
                            "closed_on", "conclusion", "created_at", "updated_at",
                            "version"]  # fmt: skip


class AuditTransitionSerializer(ProgrammeTransitionSerializer):
    conclusion = serializers.CharField(required=False, allow_blank=True)


class AuditViewSet(
    ManagementViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):  # fmt: skip
    serializer_class = AuditSerializer
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = Audit.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        params = self.request.query_params
        audits = (
            Audit.objects.visible_to(self.request.user)
            .select_related("programme", "lead_auditor")
            .prefetch_related("lines", "auditors")
        )
        if params.get("status") in AuditStatus.values:
            audits = audits.filter(status=params["status"])
        if params.get("programme"):
            audits = audits.filter(programme__reference=params["programme"])
        return audits

    def get_object(self):
        return get_audit_for(self.request.user, self.kwargs["reference"])

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=AuditStatus.values, required=False),
            OpenApiParameter("programme", str, required=False),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def create(self, request):
        require_audit(request.user)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        audit = services.audit_create(actor=request.user, **serializer.validated_data)
        return self.respond(audit, status.HTTP_201_CREATED)

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request, reference=None):
        audit = get_audit_for(request.user, reference, write=True)
        serializer = self.get_serializer(audit, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = {k: v for k, v in serializer.validated_data.items() if k != "programme"}
        audit = services.audit_update(
            actor=request.user, audit=audit, expected_version=if_match(request, audit),
            **changes,
        )  # fmt: skip
        return self.respond(audit)

    @extend_schema(request=AuditTransitionSerializer, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def transition(self, request, reference=None):
        """Start, issue the report (with the ``conclusion``), close, cancel, reopen."""
        audit = get_audit_for(request.user, reference, write=True)
        serializer = AuditTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        audit = services.audit_transition(
            actor=request.user, audit=audit, expected_version=if_match(request, audit),
            target=serializer.validated_data["target"],
            note=serializer.validated_data.get("note", ""),
            conclusion=serializer.validated_data.get("conclusion"),
        )  # fmt: skip
        return self.respond(audit)


class AuditChecklistItemSerializer(serializers.ModelSerializer):
    audit = serializers.SlugRelatedField(slug_field="reference", queryset=Audit.objects.all())
    clause = _clause_field()
    question = serializers.CharField()
    result = enum_field(ChecklistResult.choices, "evaluation-checklist-result", required=False)
    evidence_links = serializers.ListField(
        child=serializers.CharField(max_length=500), required=False
    )
    checked_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ChecklistItem
        fields = ["id", "audit", "clause", "position", "question", "question_en", "question_zh",
                  "is_custom", "result", "notes", "evidence_links", "live_evidence",
                  "checked_by", "checked_at"]  # fmt: skip
        read_only_fields = ["position", "question_en", "question_zh", "is_custom",
                            "live_evidence", "checked_at"]  # fmt: skip


class ChecklistItemViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    permission_classes = [ProviderStaffOr404]
    serializer_class = AuditChecklistItemSerializer
    queryset = ChecklistItem.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        items = ChecklistItem.objects.visible_to(self.request.user).select_related(
            "audit", "clause", "checked_by"
        )
        audit = self.request.query_params.get("audit")
        if audit:
            items = items.filter(audit__reference=audit)
        return items

    @extend_schema(parameters=[OpenApiParameter("audit", str, required=False)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def create(self, request):
        require_audit(request.user)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        audit = get_audit_for(request.user, data["audit"].reference, write=True)
        item = checklists.checklist_item_add(
            actor=request.user, audit=audit, clause=data["clause"], question=data["question"]
        )
        return Response(self.get_serializer(item).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        """Answer the question: ``result``, ``notes``, ``evidence_links``."""
        item = self.get_object()
        require_audit(request.user)
        serializer = self.get_serializer(item, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        item = checklists.checklist_item_answer(
            actor=request.user, item=item, result=data.get("result", item.result),
            notes=data.get("notes", item.notes),
            evidence_links=data.get("evidence_links", item.evidence_links),
        )  # fmt: skip
        return Response(self.get_serializer(item).data)


# --- Findings ----------------------------------------------------------------------------------


class AuditFindingSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    audit = serializers.SlugRelatedField(slug_field="reference", queryset=Audit.objects.all())
    kind = enum_field(FindingKind.choices, "evaluation-finding-kind")
    clauses = _clause_field(many=True, required=False)
    owner = serializers.SlugRelatedField(
        slug_field="username", queryset=STAFF, required=False, allow_null=True
    )
    checklist_item = serializers.PrimaryKeyRelatedField(
        queryset=ChecklistItem.objects.all(), required=False, allow_null=True
    )
    status = enum_field(FindingStatus.choices, "evaluation-finding-status", read_only=True)

    class Meta:
        model = Finding
        fields = ["id", "reference", "audit", "kind", "title", "description", "clauses",
                  "checklist_item", "owner", "due_on", "status", "action_plan", "status_note",
                  "closed_on", "nonconformity_reference", "improvement_reference",
                  "created_at", "updated_at", "version"]  # fmt: skip
        read_only_fields = ["reference", "action_plan", "status_note", "closed_on",
                            "nonconformity_reference", "improvement_reference", "created_at",
                            "updated_at", "version"]  # fmt: skip


class AuditFindingTransitionSerializer(ProgrammeTransitionSerializer):
    action_plan = serializers.CharField(required=False, allow_blank=True)


class FindingAttachmentSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Attachment
        fields = ["id", "filename", "mime_type", "size", "sha256", "uploaded_by", "created_at"]


class FindingUploadSerializer(serializers.Serializer):
    file = serializers.FileField()


class FindingViewSet(
    ManagementViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):  # fmt: skip
    serializer_class = AuditFindingSerializer
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = Finding.objects.none()
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        params = self.request.query_params
        status_filter = params.get("status", "")
        return queries.findings_for_list(
            self.request.user,
            kind=params.get("kind", "") if params.get("kind") in FindingKind.values else "",
            status=status_filter if status_filter in FindingStatus.values else "",
            overdue_on=timezone.localdate() if params.get("overdue") == "true" else None,
        )

    def get_object(self):
        return get_finding_for(self.request.user, self.kwargs["reference"])

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", str, enum=FindingKind.values, required=False),
            OpenApiParameter("status", str, enum=FindingStatus.values, required=False),
            OpenApiParameter("overdue", OpenApiTypes.BOOL, required=False),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def create(self, request):
        require_audit(request.user)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        audit = get_audit_for(request.user, data.pop("audit").reference, write=True)
        finding = findings.finding_create(actor=request.user, audit=audit, **data)
        return self.respond(finding, status.HTTP_201_CREATED)

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request, reference=None):
        finding = get_finding_for(request.user, reference, write=True)
        serializer = self.get_serializer(finding, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = {k: v for k, v in serializer.validated_data.items()
                   if k not in ("audit", "kind")}  # fmt: skip
        finding = findings.finding_update(
            actor=request.user, finding=finding, expected_version=if_match(request, finding),
            **changes,
        )  # fmt: skip
        return self.respond(finding)

    @extend_schema(request=AuditFindingTransitionSerializer, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def transition(self, request, reference=None):
        """Plan the action (``action_plan``; the owner may), close, reject the action, reopen."""
        finding = get_finding_for(request.user, reference)
        serializer = AuditFindingTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        finding = findings.finding_transition(
            actor=request.user, finding=finding, target=data["target"],
            note=data.get("note", ""), action_plan=data.get("action_plan"),
            expected_version=if_match(request, finding),
        )  # fmt: skip
        return self.respond(finding)

    @extend_schema(methods=["GET"], request=None, responses=FindingAttachmentSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": FindingUploadSerializer},
        responses={201: FindingAttachmentSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def attachments(self, request, reference=None):
        """The finding's evidence files; ``POST`` a multipart ``file`` to add one."""
        if request.method == "POST":
            finding = get_finding_for(request.user, reference, action=True)
            serializer = FindingUploadSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            attachment = findings.finding_attach(
                actor=request.user, finding=finding, uploaded_file=serializer.validated_data["file"]
            )
            return Response(
                FindingAttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED
            )
        finding = self.get_object()
        return Response(
            FindingAttachmentSerializer(queries.finding_attachments(finding), many=True).data
        )


# --- Auditors ----------------------------------------------------------------------------------


class AuditorSerializer(serializers.Serializer):
    username = serializers.CharField(source="person.username")
    name = serializers.CharField(source="person.__str__")
    qualified = serializers.BooleanField(source="qualification.qualified")
    reason = serializers.CharField(source="qualification.reason")
    level = serializers.IntegerField(source="qualification.record.level", allow_null=True,
                                     default=None)  # fmt: skip
    expires_on = serializers.DateField(source="qualification.record.expires_on", allow_null=True,
                                       default=None)  # fmt: skip
    teams = serializers.SerializerMethodField()

    def get_teams(self, row) -> list[str]:
        return [team.name for team in row.teams]


class AuditorViewSet(viewsets.GenericViewSet):
    permission_classes = [ProviderStaffOr404]
    serializer_class = AuditorSerializer
    pagination_class = None

    def get_queryset(self):  # the register is computed, not a queryset
        return User.objects.none()

    @extend_schema(responses=AuditorSerializer(many=True))
    def list(self, request):
        """Everyone who holds the qualifying competence or the internal auditor role, with
        the qualification today."""
        if not request.user.is_authenticated:
            raise NotFound
        return Response(AuditorSerializer(auditors.auditor_register(), many=True).data)


ROUTES: list = [
    ("audit-programmes", AuditProgrammeViewSet, "audit-programme"),
    ("audit-programme-lines", ProgrammeLineViewSet, "audit-programme-line"),
    ("audits", AuditViewSet, "audit"),
    ("audit-checklist", ChecklistItemViewSet, "audit-checklist"),
    ("audit-findings", FindingViewSet, "audit-finding"),
    ("auditors", AuditorViewSet, "auditor"),
]
