"""REST API of the improvement register (clause 10.2): ``/api/v1/improvements/`` (by
reference).

List (``?status=``, ``?source=``, ``?priority=``, ``?overdue=true``), read, create (any staff
member proposes; a ``cause_key`` already open returns that record, 200), ``PATCH`` (managers
everything, owners their part); ``…/transition/`` ``{"target", "note", "owner"}``;
``…/measure/`` ``{"measured_benefit", "measured_figure", "measured_unit", "kpi"}``.

Staff read; customers get 404; other staff writing get 403. Updates answer ``ETag`` and
honour ``If-Match`` (412 when stale).
"""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action

from serviceloop.core.models import User
from serviceloop.evaluation.models import KpiDefinition
from serviceloop.improvement import queries_improvements as queries
from serviceloop.improvement import services_improvements as services
from serviceloop.improvement.models import (
    Benefit,
    Effort,
    Improvement,
    ImprovementPriority,
    ImprovementSource,
    ImprovementStatus,
)
from serviceloop.improvement.permissions_improvements import get_improvement_for
from serviceloop.planning.api_support import IF_MATCH, ManagementViewSetMixin, enum_field, if_match


class ImprovementSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    source = enum_field(ImprovementSource.choices, "improvement-source")
    effort = enum_field(Effort.choices, "improvement-effort", required=False)
    benefit_rating = serializers.ChoiceField(choices=Benefit.choices, required=False)
    priority = enum_field(
        ImprovementPriority.choices, "improvement-priority", required=False, allow_null=True
    )
    status = enum_field(ImprovementStatus.choices, "improvement-status", read_only=True)
    owner = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )
    kpi = serializers.SlugRelatedField(
        slug_field="code", queryset=KpiDefinition.objects.all(), required=False, allow_null=True
    )
    suggested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    cause_key = serializers.CharField(required=False, allow_blank=True, max_length=200)

    class Meta:
        model = Improvement
        fields = [
            "id", "reference", "title", "description", "source", "source_reference",
            "cause_key", "benefit", "benefit_rating", "effort", "priority", "priority_set",
            "owner", "status", "status_note", "target_on", "implemented_on",
            "measured_benefit", "measured_figure", "measured_unit", "measured_on", "kpi",
            "kpi_before", "kpi_after", "kpi_periods", "suggested_by", "created_at",
            "updated_at", "version",
        ]  # fmt: skip
        read_only_fields = [
            "reference", "priority_set", "status_note", "implemented_on", "measured_benefit",
            "measured_figure", "measured_unit", "measured_on", "kpi_before", "kpi_after",
            "kpi_periods", "created_at", "updated_at", "version",
        ]  # fmt: skip


class ImprovementTransitionSerializer(serializers.Serializer):
    target = enum_field(ImprovementStatus.choices, "improvement-target")
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    owner = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True), required=False
    )


class ImprovementMeasureSerializer(serializers.Serializer):
    measured_benefit = serializers.CharField(max_length=4000)
    measured_figure = serializers.DecimalField(
        max_digits=14, decimal_places=4, required=False, allow_null=True
    )
    measured_unit = serializers.CharField(required=False, allow_blank=True, max_length=30)
    kpi = serializers.SlugRelatedField(
        slug_field="code", queryset=KpiDefinition.objects.all(), required=False, allow_null=True
    )


class ImprovementViewSet(
    ManagementViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ImprovementSerializer
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = Improvement.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        params = self.request.query_params

        def choice(name, values):
            value = params.get(name, "")
            return value if value in values else ""

        return queries.improvements_for_list(
            self.request.user,
            status=choice("status", ImprovementStatus.values),
            source=choice("source", ImprovementSource.values),
            priority=choice("priority", ImprovementPriority.values),
            overdue_on=timezone.localdate() if params.get("overdue") == "true" else None,
        )

    def get_object(self):
        return get_improvement_for(self.request.user, self.kwargs["reference"])

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=ImprovementStatus.values, required=False),
            OpenApiParameter("source", str, enum=ImprovementSource.values, required=False),
            OpenApiParameter("priority", str, enum=ImprovementPriority.values, required=False),
            OpenApiParameter("overdue", OpenApiTypes.BOOL, required=False),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def create(self, request):
        """Propose an improvement (any member of staff). With a ``cause_key`` already open,
        the open record is returned (200) instead of a second one (201)."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        cause_key = (data.get("cause_key") or "").strip()
        existed = (
            bool(cause_key) and Improvement.objects.open().filter(cause_key=cause_key).exists()
        )
        improvement = services.improvement_propose(request.user, **data)
        return self.respond(improvement, status.HTTP_200_OK if existed else status.HTTP_201_CREATED)

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request, reference=None):
        improvement = get_improvement_for(request.user, reference, write=True)
        serializer = self.get_serializer(improvement, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("cause_key", None)
        improvement = services.improvement_update(
            actor=request.user,
            improvement=improvement,
            expected_version=if_match(request, improvement),
            **data,
        )
        return self.respond(improvement)

    @extend_schema(request=ImprovementTransitionSerializer, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def transition(self, request, reference=None):
        """Accept (with an owner), reject or reconsider (with a note), start, mark as
        implemented."""
        improvement = get_improvement_for(request.user, reference, write=True)
        serializer = ImprovementTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        improvement = services.improvement_transition(
            actor=request.user,
            improvement=improvement,
            expected_version=if_match(request, improvement),
            **serializer.validated_data,
        )
        return self.respond(improvement)

    @extend_schema(request=ImprovementMeasureSerializer, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def measure(self, request, reference=None):
        """Record the benefit of an implemented improvement (the KPI's value before and after
        is computed) and close it."""
        improvement = get_improvement_for(request.user, reference, write=True)
        serializer = ImprovementMeasureSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        improvement = services.improvement_measure(
            actor=request.user,
            improvement=improvement,
            expected_version=if_match(request, improvement),
            **serializer.validated_data,
        )
        return self.respond(improvement)


ROUTES: list = [("improvements", ImprovementViewSet, "improvement")]
