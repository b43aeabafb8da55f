"""REST API of management reviews (clause 9.3).

``/api/v1/management-reviews/`` (by reference, read-only: ``?status=``), with
``…/inputs/`` (the pack: each input's figures and entered text), ``…/decisions/`` (GET; POST
``{"input", "text"}``), ``…/decisions/<number>/`` (GET; ``PATCH {"text"}``) and
``…/actions/`` (GET; POST ``{"input", "description", "owner", "due_on", "decision"}``);
``/api/v1/management-review-actions/`` (by id, ``?status=``, ``?overdue=true``): read,
``PATCH {"description", "owner", "due_on", "decision"}`` and ``…/transition/``
``{"target", "note"}``.

Staff read; top management records decisions and actions during the meeting and changes them
until the chair approves the minutes (then they are read-only: 400 with the reason); an
action's owner, top management and the preparers move actions, top management and the
preparers change an open one (403 for other staff); customers 404. A decision and an action
answer ``ETag`` (their version) and their changes honour ``If-Match`` (412 when stale).
Writes go through the same services as the screens (400 on bad input).
"""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.response import Response

from serviceloop.core.models import User
from serviceloop.evaluation import queries_reviews as queries
from serviceloop.evaluation import services_actions_reviews as action_services
from serviceloop.evaluation import services_reviews as services
from serviceloop.evaluation.models import (
    ActionStatus,
    InputCode,
    ManagementReview,
    PackLanguage,
    ReviewAction,
    ReviewDecision,
    ReviewInput,
    ReviewStatus,
)
from serviceloop.evaluation.permissions_reviews import get_review_for, require_staff
from serviceloop.planning.api_support import (
    IF_MATCH,
    ManagementViewSetMixin,
    enum_field,
    if_match,
)


class ManagementReviewSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    status = enum_field(ReviewStatus.choices, "evaluation-review-status", read_only=True)
    language = enum_field(PackLanguage.choices, "evaluation-review-language", read_only=True)
    chair = serializers.SlugRelatedField(slug_field="username", read_only=True)
    attendees = serializers.SlugRelatedField(slug_field="username", read_only=True, many=True)
    approved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ManagementReview
        fields = [
            "id", "reference", "title", "period_start", "period_end", "scheduled_on",
            "location", "chair", "attendees", "guests", "status", "status_note", "language",
            "pack_generated_at", "held_on", "minutes_summary", "approved_by", "approved_at",
            "created_at", "updated_at", "version",
        ]  # fmt: skip
        read_only_fields = fields


class ManagementReviewInputSerializer(serializers.ModelSerializer):
    code = enum_field(InputCode.choices, "evaluation-review-input", read_only=True)
    title = serializers.CharField(source="get_code_display", read_only=True)

    class Meta:
        model = ReviewInput
        fields = ["code", "position", "title", "content", "entered_text", "generated_at"]
        read_only_fields = fields


class ManagementReviewDecisionSerializer(serializers.ModelSerializer):
    input = serializers.ChoiceField(choices=InputCode.choices, source="review_input.code")
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ReviewDecision
        fields = ["number", "input", "text", "recorded_by", "recorded_at", "version"]
        read_only_fields = ["number", "recorded_by", "recorded_at", "version"]


class ManagementReviewDecisionChangeSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=4000)


class ManagementReviewActionSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    review = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    input = serializers.ChoiceField(choices=InputCode.choices, source="review_input.code")
    decision = serializers.IntegerField(
        source="decision.number", required=False, allow_null=True, min_value=1
    )
    owner = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True)
    )
    status = enum_field(ActionStatus.choices, "evaluation-review-action-status", read_only=True)

    class Meta:
        model = ReviewAction
        fields = [
            "id", "review", "number", "input", "decision", "description", "owner", "due_on",
            "status", "closure_note", "closed_at", "improvement_reference", "created_at",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = [
            "number", "status", "closure_note", "closed_at", "improvement_reference",
            "created_at", "updated_at",
        ]  # fmt: skip


class ManagementReviewActionChangeSerializer(serializers.Serializer):
    description = serializers.CharField(required=False, max_length=4000)
    owner = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True), required=False
    )
    due_on = serializers.DateField(required=False)
    decision = serializers.IntegerField(
        required=False, allow_null=True, min_value=1,
        help_text="The number of a decision taken on the action's input; null: none.",
    )  # fmt: skip


class ManagementReviewActionMoveSerializer(serializers.Serializer):
    target = enum_field(ActionStatus.choices, "evaluation-review-action-target")
    note = serializers.CharField(required=False, allow_blank=True, max_length=4000)


NUMBER = OpenApiParameter("number", int, OpenApiParameter.PATH, description="D<number>")


def _tagged(data, record) -> Response:
    """The answer with the record's version as its ``ETag``."""
    response = Response(data)
    response["ETag"] = f'"{record.version}"'
    return response


def _input(review, code) -> ReviewInput:
    try:
        return review.inputs.get(code=code)
    except ReviewInput.DoesNotExist as exc:
        raise DRFValidationError({"input": ["Unknown input."]}) from exc


class ManagementReviewViewSet(
    ManagementViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):  # fmt: skip
    serializer_class = ManagementReviewSerializer
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = ManagementReview.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        wanted = self.request.query_params.get("status", "")
        return queries.reviews_for_list(
            self.request.user, status=wanted if wanted in ReviewStatus.values else ""
        ).prefetch_related("attendees")

    def get_object(self):
        return get_review_for(self.request.user, self.kwargs["reference"])

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=ReviewStatus.values, required=False)]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses=ManagementReviewInputSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def inputs(self, request, reference=None):
        """The pack: every input in order, its figures as generated and the entered text."""
        review = self.get_object()
        return Response(
            ManagementReviewInputSerializer(review.inputs.order_by("position"), many=True).data
        )

    @extend_schema(
        methods=["GET"], request=None, responses=ManagementReviewDecisionSerializer(many=True)
    )
    @extend_schema(
        methods=["POST"],
        request=ManagementReviewDecisionSerializer,
        responses={201: ManagementReviewDecisionSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def decisions(self, request, reference=None):
        """The decisions; POST records one on an input (top management, during the meeting)."""
        if request.method == "GET":
            review = self.get_object()
            rows = review.decisions.select_related("review_input", "recorded_by")
            return Response(ManagementReviewDecisionSerializer(rows, many=True).data)
        review = get_review_for(request.user, reference, hold=True)
        serializer = ManagementReviewDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        decision = services.review_decision_record(
            actor=request.user,
            review_input=_input(review, data["review_input"]["code"]),
            text=data["text"],
        )
        return Response(
            ManagementReviewDecisionSerializer(decision).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        methods=["GET"],
        request=None,
        parameters=[NUMBER],
        responses=ManagementReviewDecisionSerializer,
    )
    @extend_schema(
        methods=["PATCH"],
        request=ManagementReviewDecisionChangeSerializer,
        parameters=[NUMBER, IF_MATCH],
        responses=ManagementReviewDecisionSerializer,
    )
    @action(
        detail=True,
        methods=["get", "patch"],
        url_path=r"decisions/(?P<number>[0-9]+)",
        url_name="decision",
        pagination_class=None,
    )
    def decision(self, request, reference=None, number=None):
        """One decision; PATCH changes its text (top management, until the chair approves
        the minutes)."""
        review = self.get_object()
        if request.method == "PATCH":
            review = get_review_for(request.user, reference, hold=True)
        decision = (
            review.decisions.select_related("review_input", "recorded_by")
            .filter(number=number)
            .first()
        )
        if decision is None:
            raise NotFound
        if request.method == "PATCH":
            serializer = ManagementReviewDecisionChangeSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            services.review_decision_update(
                actor=request.user, decision=decision, text=serializer.validated_data["text"],
                expected_version=if_match(request, decision),
            )  # fmt: skip
            decision = review.decisions.select_related("review_input", "recorded_by").get(
                pk=decision.pk
            )
        return _tagged(ManagementReviewDecisionSerializer(decision).data, decision)

    @extend_schema(
        methods=["GET"], request=None, responses=ManagementReviewActionSerializer(many=True)
    )
    @extend_schema(
        methods=["POST"],
        request=ManagementReviewActionSerializer,
        responses={201: ManagementReviewActionSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def actions(self, request, reference=None):
        """The actions; POST records one on an input (and optionally one of its decisions)."""
        if request.method == "GET":
            review = self.get_object()
            rows = queries.actions_for_list(request.user, review=review).order_by("number")
            return Response(ManagementReviewActionSerializer(rows, many=True).data)
        review = get_review_for(request.user, reference, hold=True)
        serializer = ManagementReviewActionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        review_input = _input(review, data["review_input"]["code"])
        number = (data.get("decision") or {}).get("number")
        decision = None
        if number is not None:
            decision = review.decisions.filter(number=number).first()
            if decision is None:
                raise DRFValidationError({"decision": ["Unknown decision."]})
        created = services.review_action_add(
            actor=request.user,
            review_input=review_input,
            description=data["description"],
            owner=data["owner"],
            due_on=data["due_on"],
            decision=decision,
        )
        return Response(
            ManagementReviewActionSerializer(created).data, status=status.HTTP_201_CREATED
        )


class ManagementReviewActionViewSet(
    ManagementViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):  # fmt: skip
    serializer_class = ManagementReviewActionSerializer
    lookup_field = "uuid"
    queryset = ReviewAction.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        params = self.request.query_params
        wanted = params.get("status", "")
        return queries.actions_for_list(
            self.request.user,
            status=wanted if wanted in ActionStatus.values else "",
            overdue_on=timezone.localdate() if params.get("overdue") == "true" else None,
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=ActionStatus.values, required=False),
            OpenApiParameter("overdue", OpenApiTypes.BOOL, required=False),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=ManagementReviewActionChangeSerializer,
        parameters=[IF_MATCH],
        responses=ManagementReviewActionSerializer,
    )
    def partial_update(self, request, uuid=None):
        """Change an open action's description, owner, due date or decision (top management
        or a preparer, until the chair approves the minutes)."""
        require_staff(request.user)
        current = self.get_object()
        serializer = ManagementReviewActionChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        if "decision" in changes:
            number = changes["decision"]
            changes["decision"] = None
            if number is not None:
                changes["decision"] = current.review.decisions.filter(number=number).first()
                if changes["decision"] is None:
                    raise DRFValidationError({"decision": [_("Unknown decision.")]})
        changed = action_services.review_action_update(
            actor=request.user, action=current, expected_version=if_match(request, current),
            **changes,
        )  # fmt: skip
        return self.respond(changed)

    @extend_schema(
        request=ManagementReviewActionMoveSerializer, responses=ManagementReviewActionSerializer
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, uuid=None):
        """Mark done (the owner, top management, a preparer; say what was done), cancel or
        reopen (top management or a preparer; say why)."""
        require_staff(request.user)
        current = self.get_object()
        serializer = ManagementReviewActionMoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        moved = action_services.review_action_transition(
            actor=request.user, action=current, **serializer.validated_data
        )
        moved = queries.actions_for_list(request.user).get(pk=moved.pk)
        return Response(ManagementReviewActionSerializer(moved).data)


ROUTES: list = [
    ("management-reviews", ManagementReviewViewSet, "management-review"),
    ("management-review-actions", ManagementReviewActionViewSet, "management-review-action"),
]
