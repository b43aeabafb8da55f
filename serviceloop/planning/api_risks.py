"""REST API of the risk register (clause 6.1): ``/api/v1/risks/`` (by reference).

List (``?kind=``, ``?status=``, ``?level=``, ``?overdue=true``, ``?spof_finding=<id>``: the
risks a single point of failure is the source of), read, create, ``PATCH`` (the score follows
the ratings; ``spof_finding``: the source, an id of ``/api/v1/spof-findings/`` or null);
``POST …/from-spof/`` ``{"spof_finding", "likelihood"?, "impact"?}`` adds a risk pre-filled
from the finding; ``…/transition/`` ``{"target", "note"}``; ``…/review/``
``{"likelihood", "impact", "next_review_on", "note"}`` and ``GET …/reviews/``;
``GET …/heatmap/`` (open items per cell); ``GET``/``PUT …/matrix/`` the rating matrix.

Staff read; the management-system owner and administrators write (403 for other staff);
customers get 404. Updates answer ``ETag`` and honour ``If-Match`` (412 when stale).
"""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from serviceloop.assurance.models import SpofFinding
from serviceloop.core.models import User
from serviceloop.planning import queries_risks as queries
from serviceloop.planning import services_risk_sources as source_services
from serviceloop.planning import services_risks as services
from serviceloop.planning.api_support import (
    IF_MATCH,
    ManagementViewSetMixin,
    enum_field,
    if_match,
)
from serviceloop.planning.models import (
    LEVELS,
    Objective,
    Risk,
    RiskKind,
    RiskReview,
    RiskStatus,
    Treatment,
)
from serviceloop.planning.permissions_management import get_risk_for, require_manage
from serviceloop.portfolio.models import ConfigurationItem, Service


class RiskSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    kind = enum_field(RiskKind.choices, "planning-risk-kind")
    treatment = enum_field(Treatment.choices, "planning-risk-treatment")
    status = enum_field(RiskStatus.choices, "planning-risk-status", read_only=True)
    owner = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True)
    )
    services = serializers.SlugRelatedField(
        slug_field="code", queryset=Service.objects.all(), many=True, required=False
    )
    configuration_items = serializers.SlugRelatedField(
        slug_field="reference",
        queryset=ConfigurationItem.objects.all(),
        many=True,
        required=False,
    )
    objectives = serializers.SlugRelatedField(
        slug_field="reference", queryset=Objective.objects.all(), many=True, required=False
    )
    spof_finding = serializers.PrimaryKeyRelatedField(
        queryset=SpofFinding.objects.all(),
        allow_null=True,
        required=False,
        help_text="The single point of failure the risk was raised for (its id; null: none).",
    )
    level = serializers.SerializerMethodField()

    class Meta:
        model = Risk
        fields = [
            "id", "reference", "kind", "title", "description", "likelihood", "impact", "score",
            "level", "treatment", "treatment_plan", "owner", "review_on", "last_reviewed_on",
            "status", "status_note", "closed_on", "services", "configuration_items",
            "objectives", "spof_finding", "created_at", "updated_at", "version",
        ]  # fmt: skip
        read_only_fields = [
            "reference", "score", "last_reviewed_on", "status_note", "closed_on",
            "created_at", "updated_at", "version",
        ]  # fmt: skip
        extra_kwargs = {"likelihood": {"min_value": 1}, "impact": {"min_value": 1}}

    def get_level(self, risk) -> str:
        """low, medium, high or critical, on the matrix in force."""
        matrix = self.context.setdefault("matrix", queries.matrix_setting())
        return matrix.level_of(risk.score)


class RiskFromSpofSerializer(serializers.Serializer):
    spof_finding = serializers.PrimaryKeyRelatedField(
        queryset=SpofFinding.objects.all(), help_text="The id of the single point of failure."
    )
    likelihood = serializers.IntegerField(
        required=False, help_text="1 to the matrix size; default: the middle of the scale"
    )
    impact = serializers.IntegerField(
        required=False, help_text="1 to the matrix size; default: one below the top"
    )


class RiskTransitionSerializer(serializers.Serializer):
    target = enum_field(RiskStatus.choices, "planning-risk-target")
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class RiskReviewSerializer(serializers.ModelSerializer):
    reviewer = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = RiskReview
        fields = [
            "id", "reviewed_on", "reviewer", "likelihood", "impact", "score", "note",
            "next_review_on",
        ]  # fmt: skip
        read_only_fields = ["reviewed_on", "reviewer", "score"]


class RiskMatrixSerializer(serializers.Serializer):
    size = serializers.IntegerField()
    medium_from = serializers.IntegerField()
    high_from = serializers.IntegerField()
    critical_from = serializers.IntegerField()
    version = serializers.IntegerField(read_only=True)


class RiskViewSet(
    ManagementViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = RiskSerializer
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = Risk.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        params = self.request.query_params
        status_filter = params.get("status", "")
        return queries.risks_for_list(
            self.request.user,
            kind=params.get("kind", "") if params.get("kind") in RiskKind.values else "",
            status=status_filter if status_filter in RiskStatus.values else "",
            level=params.get("level", ""),
            overdue_on=timezone.localdate() if params.get("overdue") == "true" else None,
            spof_finding=params.get("spof_finding", ""),
        ).prefetch_related("services", "configuration_items", "objectives")

    def get_object(self):
        return get_risk_for(self.request.user, self.kwargs["reference"])

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", str, enum=RiskKind.values, required=False),
            OpenApiParameter("status", str, enum=RiskStatus.values, required=False),
            OpenApiParameter("level", str, enum=list(LEVELS), required=False),
            OpenApiParameter("overdue", OpenApiTypes.BOOL, required=False),
            OpenApiParameter(
                "spof_finding",
                int,
                required=False,
                description="The id of a single point of failure: the risks it is the source of.",
            ),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def create(self, request):
        require_manage(request.user)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        risk = services.risk_create(actor=request.user, **serializer.validated_data)
        return self.respond(risk, status.HTTP_201_CREATED)

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request, reference=None):
        risk = get_risk_for(request.user, reference, write=True)
        serializer = self.get_serializer(risk, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        risk = services.risk_update(
            actor=request.user,
            risk=risk,
            expected_version=if_match(request, risk),
            **serializer.validated_data,
        )
        return self.respond(risk)

    @extend_schema(request=RiskFromSpofSerializer, responses={201: RiskSerializer})
    @action(detail=False, methods=["post"], url_path="from-spof")
    def from_spof(self, request):
        """Add a single point of failure to the register: a new risk naming the item, the
        services it carries and the dependency path, owned by the service's owner where known,
        with the finding as its source (refused while an open risk names it)."""
        require_manage(request.user)
        serializer = RiskFromSpofSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        risk = source_services.risk_from_spof_create(
            actor=request.user, finding=data.pop("spof_finding"), **data
        )
        return self.respond(risk, status.HTTP_201_CREATED)

    @extend_schema(request=RiskTransitionSerializer, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def transition(self, request, reference=None):
        """Start the treatment (needs a treatment plan), monitor, close or reopen (with a
        note)."""
        risk = get_risk_for(request.user, reference, write=True)
        serializer = RiskTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        risk = services.risk_transition(
            actor=request.user,
            risk=risk,
            expected_version=if_match(request, risk),
            **serializer.validated_data,
        )
        return self.respond(risk)

    @extend_schema(
        request=RiskReviewSerializer, responses={201: RiskReviewSerializer}, parameters=[IF_MATCH]
    )
    @action(detail=True, methods=["post"])
    def review(self, request, reference=None):
        """Record a review: the rating now, a note and the next review date (after today)."""
        risk = get_risk_for(request.user, reference, write=True)
        serializer = RiskReviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = services.risk_review(
            actor=request.user,
            risk=risk,
            expected_version=if_match(request, risk),
            **serializer.validated_data,
        )
        return Response(RiskReviewSerializer(review).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=RiskReviewSerializer(many=True))
    @action(detail=True, methods=["get"])
    def reviews(self, request, reference=None):
        """The risk's reviews, newest first."""
        risk = self.get_object()
        return Response(
            RiskReviewSerializer(risk.reviews.select_related("reviewer"), many=True).data
        )

    @extend_schema(
        responses=OpenApiTypes.OBJECT,
        parameters=[OpenApiParameter("kind", str, enum=RiskKind.values, required=False)],
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def heatmap(self, request):
        """Open risks (or opportunities) per likelihood × impact cell, with each cell's level:
        ``cells`` = [[impact - 1, likelihood - 1, count, level index]]."""
        kind = request.query_params.get("kind", "")
        data = queries.heatmap_data(
            request.user, queries.matrix_setting(), kind=kind if kind in RiskKind.values else ""
        )
        data.pop("rows")
        return Response(data)

    @extend_schema(methods=["GET"], request=None, responses=RiskMatrixSerializer)
    @extend_schema(methods=["PUT"], request=RiskMatrixSerializer, responses=RiskMatrixSerializer)
    @action(detail=False, methods=["get", "put"], pagination_class=None)
    def matrix(self, request):
        """The rating matrix: its size (3–5) and the lowest score of each level."""
        if request.method == "PUT":
            require_manage(request.user)
            serializer = RiskMatrixSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            current = queries.matrix_setting()
            setting = services.risk_matrix_update(
                actor=request.user,
                expected_version=if_match(request, current) if current.updated_at else None,
                **serializer.validated_data,
            )
        else:
            setting = queries.matrix_setting()
        response = Response(RiskMatrixSerializer(setting).data)
        response["ETag"] = f'"{setting.version}"'
        return response


ROUTES: list = [("risks", RiskViewSet, "risk")]
