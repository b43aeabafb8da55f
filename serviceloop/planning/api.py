"""REST API of planning: ``ROUTES`` = [(prefix, viewset, basename)].

- ``/api/v1/assessments/`` (by reference): gap analyses; ``POST`` creates one (copying the
  previous one unless ``copy_previous`` is false); ``…/transition/`` completes or reopens it;
  ``…/results/`` gives the group averages and the ranked gaps; ``…/answers/`` its answers.
- ``/api/v1/assessment-answers/`` (by id, ``?assessment=GAP-…``): answers; ``PATCH`` records one.
- ``/api/v1/plan-items/`` (by reference): the implementation plan; ``…/transition/`` and
  ``…/progress/`` (also for the item's owner).
- ``/api/v1/milestones/`` (by id): milestones; ``…/achieve/`` records the date reached.

Permissions: provider staff read; the management-system owner and administrators write (403
for other staff); customers get 404. Updates answer ``ETag`` (the record's version) and honour
an optional ``If-Match``: a stale version gets 412.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from serviceloop.conformity.models import Clause
from serviceloop.core.models import User
from serviceloop.planning import api_management, queries_assessments, queries_plan
from serviceloop.planning import services_assessments as gap_services
from serviceloop.planning import services_plan as plan_services
from serviceloop.planning.api_support import (
    IF_MATCH,
    ManagementViewSetMixin,
    enum_field,
    if_match,
)
from serviceloop.planning.models import (
    Assessment,
    AssessmentAnswer,
    AssessmentStatus,
    ItemStatus,
    Milestone,
    MilestoneKind,
    PlanItem,
)
from serviceloop.planning.permissions import (
    get_answer_for,
    get_assessment_for,
    get_milestone_for,
    get_plan_item_for,
    require_manage,
)
from serviceloop.planning.questions import question_for

# --- Gap analysis --------------------------------------------------------------------------


class AssessmentSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    assessor = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True), required=False
    )
    copied_from = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    status = enum_field(AssessmentStatus.choices, "planning-assessment-status", read_only=True)
    copy_previous = serializers.BooleanField(
        write_only=True,
        required=False,
        default=True,
        help_text="On creation: start from the previous gap analysis's answers.",
    )

    class Meta:
        model = Assessment
        fields = [
            "id", "reference", "title", "assessed_on", "assessor", "status", "summary",
            "copied_from", "copy_previous", "created_at", "updated_at", "completed_at", "version",
        ]  # fmt: skip
        read_only_fields = [
            "reference", "status", "created_at", "updated_at", "completed_at", "version",
        ]  # fmt: skip


class AssessmentTransitionSerializer(serializers.Serializer):
    target = enum_field(AssessmentStatus.choices, "planning-assessment-target")


class AnswerSerializer(serializers.ModelSerializer):
    assessment = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    clause = serializers.SlugRelatedField(slug_field="number", read_only=True)
    question = serializers.SerializerMethodField()
    evidence_links = serializers.ListField(
        child=serializers.CharField(max_length=500), required=False
    )

    class Meta:
        model = AssessmentAnswer
        fields = [
            "id", "assessment", "clause", "question", "maturity", "not_applicable",
            "justification", "current_practice", "evidence_links", "gap", "updated_at", "version",
        ]  # fmt: skip
        read_only_fields = ["updated_at", "version"]

    def get_question(self, answer) -> str:
        question = question_for(answer.clause.number)
        return question.text if question else ""


class GroupResultSerializer(serializers.Serializer):
    number = serializers.CharField()
    title = serializers.CharField()
    average = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True)
    answered = serializers.IntegerField()
    not_applicable = serializers.IntegerField()
    unanswered = serializers.IntegerField()


class GapSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    clause = serializers.CharField(source="clause.number")
    answer = serializers.IntegerField(source="answer.pk")
    maturity = serializers.IntegerField()
    weight = serializers.DecimalField(max_digits=4, decimal_places=2)
    score = serializers.DecimalField(max_digits=5, decimal_places=2)
    gap = serializers.CharField(source="answer.gap")


class ResultsSerializer(serializers.Serializer):
    overall = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True)
    answered = serializers.IntegerField()
    not_applicable = serializers.IntegerField()
    unanswered = serializers.IntegerField()
    groups = GroupResultSerializer(many=True)
    gaps = GapSerializer(many=True)


class AssessmentViewSet(
    ManagementViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = AssessmentSerializer
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = Assessment.objects.none()  # for the schema

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return (
            Assessment.objects.visible_to(self.request.user)
            .select_related("assessor", "copied_from")
            .order_by("-pk")
        )

    def get_object(self):
        return get_assessment_for(self.request.user, self.kwargs["reference"])

    def create(self, request):
        require_manage(request.user)  # before validation: no probing
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "title" not in data or "assessed_on" not in data:
            raise serializers.ValidationError(
                {k: ["This field is required."] for k in ("title", "assessed_on") if k not in data}
            )
        assessment = gap_services.assessment_create(
            actor=request.user,
            title=data["title"],
            assessed_on=data["assessed_on"],
            assessor=data.get("assessor"),
            summary=data.get("summary", ""),
            copy_previous=data.get("copy_previous", True),
        )
        return self.respond(assessment, status.HTTP_201_CREATED)

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request, reference=None):
        assessment = get_assessment_for(request.user, reference, write=True)
        serializer = self.get_serializer(assessment, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("copy_previous", None)
        assessment = gap_services.assessment_update(
            actor=request.user,
            assessment=assessment,
            expected_version=if_match(request, assessment),
            **data,
        )
        return self.respond(assessment)

    @extend_schema(request=AssessmentTransitionSerializer, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def transition(self, request, reference=None):
        """Complete (every clause answered) or reopen the gap analysis."""
        assessment = get_assessment_for(request.user, reference, write=True)
        serializer = AssessmentTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assessment = gap_services.assessment_transition(
            actor=request.user,
            assessment=assessment,
            target=serializer.validated_data["target"],
            expected_version=if_match(request, assessment),
        )
        return self.respond(assessment)

    @extend_schema(responses={200: ResultsSerializer})
    @action(detail=True, methods=["get"])
    def results(self, request, reference=None):
        """Average maturity per clause group and overall, and the ranked gaps (see the
        results page for how they are computed)."""
        assessment = self.get_object()
        results = queries_assessments.assessment_results(queries_assessments.answers_of(assessment))
        return Response(ResultsSerializer(results).data)

    @extend_schema(responses={200: AnswerSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def answers(self, request, reference=None):
        """Every answer of the gap analysis, in clause order."""
        assessment = self.get_object()
        answers = queries_assessments.answers_of(assessment)
        return Response(AnswerSerializer(answers, many=True).data)


class AnswerViewSet(
    ManagementViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = AnswerSerializer
    queryset = AssessmentAnswer.objects.none()  # for the schema

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        answers = AssessmentAnswer.objects.filter(
            assessment__in=Assessment.objects.visible_to(self.request.user)
        ).select_related("assessment", "clause")
        reference = self.request.query_params.get("assessment")
        if reference:
            answers = answers.filter(assessment__reference=reference)
        return answers.order_by("-pk")

    def get_object(self):
        return get_answer_for(self.request.user, self.kwargs["pk"])

    @extend_schema(
        parameters=[
            OpenApiParameter("assessment", str, description="A gap analysis reference (GAP-…).")
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request, pk=None):
        """Record the answer: ``maturity`` 0–5, or ``not_applicable`` with a
        ``justification`` (never both)."""
        answer = get_answer_for(request.user, pk, write=True)
        serializer = self.get_serializer(answer, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        answer = gap_services.answer_update(
            actor=request.user,
            answer=answer,
            expected_version=if_match(request, answer),
            **serializer.validated_data,
        )
        return self.respond(answer)


# --- Implementation plan -------------------------------------------------------------------


class PlanItemSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    owner = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True)
    )
    clauses = serializers.SlugRelatedField(
        slug_field="number", queryset=Clause.objects.all(), many=True, required=False
    )
    depends_on = serializers.SlugRelatedField(
        slug_field="reference", queryset=PlanItem.objects.all(), many=True, required=False
    )
    source_answer = serializers.PrimaryKeyRelatedField(
        queryset=AssessmentAnswer.objects.all(), required=False, allow_null=True
    )
    status = enum_field(ItemStatus.choices, "planning-item-status", read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = PlanItem
        fields = [
            "id", "reference", "title", "goal", "owner", "resources", "budget", "currency",
            "start_on", "due_on", "status", "percent_complete", "blocked_reason", "overdue",
            "clauses", "depends_on", "source_answer", "completed_on", "created_at",
            "updated_at", "version",
        ]  # fmt: skip
        read_only_fields = [
            "reference", "status", "percent_complete", "blocked_reason", "completed_on",
            "created_at", "updated_at", "version",
        ]  # fmt: skip

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_overdue(self, item) -> bool:
        from django.utils import timezone

        return item.is_overdue(timezone.localdate())


class PlanItemTransitionSerializer(serializers.Serializer):
    target = enum_field(ItemStatus.choices, "planning-item-target")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ProgressSerializer(serializers.Serializer):
    percent_complete = serializers.IntegerField(min_value=0, max_value=100)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class PlanItemViewSet(
    ManagementViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = PlanItemSerializer
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = PlanItem.objects.none()  # for the schema

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return queries_plan.items_for_list(self.request.user).order_by("-pk")

    def get_object(self):
        return get_plan_item_for(self.request.user, self.kwargs["reference"])

    def create(self, request):
        require_manage(request.user)  # before validation: no probing
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = plan_services.plan_item_create(actor=request.user, **serializer.validated_data)
        return self.respond(item, status.HTTP_201_CREATED)

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request, reference=None):
        item = get_plan_item_for(request.user, reference, write=True)
        serializer = self.get_serializer(item, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "source_answer" in data:
            raise serializers.ValidationError(
                {"source_answer": ["The gap an item closes is set when it is created."]}
            )
        item = plan_services.plan_item_update(
            actor=request.user, item=item, expected_version=if_match(request, item), **data
        )
        return self.respond(item)

    @extend_schema(request=PlanItemTransitionSerializer, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def transition(self, request, reference=None):
        """Start, block (with a reason), finish (dependencies done) or reopen the item."""
        item = get_plan_item_for(request.user, reference, progress=True)
        serializer = PlanItemTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = plan_services.plan_item_transition(
            actor=request.user,
            item=item,
            target=serializer.validated_data["target"],
            reason=serializer.validated_data.get("reason", ""),
            expected_version=if_match(request, item),
        )
        return self.respond(item)

    @extend_schema(request=ProgressSerializer, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def progress(self, request, reference=None):
        """Report the item's percentage complete (a manager or the item's owner)."""
        item = get_plan_item_for(request.user, reference, progress=True)
        serializer = ProgressSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = plan_services.plan_item_progress(
            actor=request.user,
            item=item,
            percent=serializer.validated_data["percent_complete"],
            note=serializer.validated_data.get("note", ""),
            expected_version=if_match(request, item),
        )
        return self.respond(item)


class MilestoneSerializer(serializers.ModelSerializer):
    kind = enum_field(MilestoneKind.choices, "planning-milestone-kind", required=False)
    items = serializers.SlugRelatedField(
        slug_field="reference", queryset=PlanItem.objects.all(), many=True, required=False
    )

    class Meta:
        model = Milestone
        fields = ["id", "title", "kind", "due_on", "achieved_on", "note", "items", "version"]
        read_only_fields = ["achieved_on", "version"]


class AchieveSerializer(serializers.Serializer):
    achieved_on = serializers.DateField(allow_null=True)


class MilestoneViewSet(
    ManagementViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = MilestoneSerializer
    queryset = Milestone.objects.none()  # for the schema

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return queries_plan.milestones_for_list(self.request.user).order_by("-pk")

    def get_object(self):
        return get_milestone_for(self.request.user, self.kwargs["pk"])

    def create(self, request):
        require_manage(request.user)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        milestone = plan_services.milestone_create(actor=request.user, **serializer.validated_data)
        return self.respond(milestone, status.HTTP_201_CREATED)

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request, pk=None):
        milestone = get_milestone_for(request.user, pk, write=True)
        serializer = self.get_serializer(milestone, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        milestone = plan_services.milestone_update(
            actor=request.user,
            milestone=milestone,
            expected_version=if_match(request, milestone),
            **serializer.validated_data,
        )
        return self.respond(milestone)

    @extend_schema(request=AchieveSerializer)
    @action(detail=True, methods=["post"])
    def achieve(self, request, pk=None):
        """Record the date the milestone was reached (``null`` clears it)."""
        milestone = get_milestone_for(request.user, pk, write=True)
        serializer = AchieveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        milestone = plan_services.milestone_achieve(
            actor=request.user,
            milestone=milestone,
            achieved_on=serializer.validated_data["achieved_on"],
        )
        return self.respond(milestone)


ROUTES: list = [
    ("assessments", AssessmentViewSet, "assessment"),
    ("assessment-answers", AnswerViewSet, "assessment-answer"),
    ("plan-items", PlanItemViewSet, "plan-item"),
    ("milestones", MilestoneViewSet, "milestone"),
    *api_management.ROUTES,  # context, leadership, objectives, risks, tailoring (clauses 4-6)
]
