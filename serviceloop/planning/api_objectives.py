"""REST API of the objectives (clause 6.2): ``/api/v1/objectives/`` (by reference).

List, read, create, ``PATCH``; ``…/state/`` ``{"state", "reason"}`` withdraws or reinstates;
``GET …/figures/`` lists the figures an objective can be measured by. Every answer carries
the value, its basis and the status computed from the figure (read-only: never typed).

Staff read; the management-system owner and administrators write (403 for other staff);
customers get 404. Updates answer ``ETag`` and honour ``If-Match`` (412 when stale).
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from serviceloop.core.models import User
from serviceloop.planning import queries_objectives as queries
from serviceloop.planning import services_objectives as services
from serviceloop.planning.api_support import (
    IF_MATCH,
    ManagementViewSetMixin,
    enum_field,
    if_match,
)
from serviceloop.planning.figures import FIGURES
from serviceloop.planning.models import Direction, Objective, ObjectiveState
from serviceloop.planning.permissions_management import get_objective_for, require_manage


class ObjectiveSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    owner = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True)
    )
    figure = serializers.ChoiceField(choices=list(FIGURES))
    direction = enum_field(Direction.choices, "planning-objective-direction", required=False)
    unit = serializers.CharField(max_length=20, required=False, allow_blank=True)
    state = enum_field(ObjectiveState.choices, "planning-objective-state", read_only=True)
    value = serializers.SerializerMethodField()
    basis = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()

    class Meta:
        model = Objective
        fields = [
            "id", "reference", "title", "description", "owner", "due_on", "plan", "figure",
            "target", "unit", "direction", "kpi_code", "state", "withdrawn_reason", "value",
            "basis", "status", "created_at", "updated_at", "version",
        ]  # fmt: skip
        read_only_fields = [
            "reference", "withdrawn_reason", "created_at", "updated_at", "version",
        ]  # fmt: skip

    def _evaluation(self, objective):
        cache = self.context.setdefault("figure_cache", queries.FigureCache())
        key = ("evaluation", objective.pk, objective.version)
        if key not in self.context:
            self.context[key] = queries.evaluate(objective, cache=cache)
        return self.context[key]

    def get_value(self, objective) -> float | None:
        value = self._evaluation(objective).value
        return None if value is None else float(value)

    def get_basis(self, objective) -> str:
        return self._evaluation(objective).basis

    def get_status(self, objective) -> str:
        """on_track, at_risk, achieved, missed, no_data or withdrawn."""
        return self._evaluation(objective).status


class ObjectiveStateSerializer(serializers.Serializer):
    state = enum_field(ObjectiveState.choices, "planning-objective-target")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ObjectiveFigureSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.CharField()
    direction = serializers.CharField()
    module = serializers.CharField()
    days = serializers.IntegerField()


class ObjectiveViewSet(
    ManagementViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ObjectiveSerializer
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = Objective.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        objectives = Objective.objects.visible_to(self.request.user).select_related("owner")
        state = self.request.query_params.get("state")
        if state in ObjectiveState.values:
            objectives = objectives.filter(state=state)
        return objectives

    def get_object(self):
        return get_objective_for(self.request.user, self.kwargs["reference"])

    @extend_schema(
        parameters=[OpenApiParameter("state", str, enum=ObjectiveState.values, required=False)]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def create(self, request):
        require_manage(request.user)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        objective = services.objective_create(actor=request.user, **serializer.validated_data)
        return self.respond(objective, status.HTTP_201_CREATED)

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request, reference=None):
        objective = get_objective_for(request.user, reference, write=True)
        serializer = self.get_serializer(objective, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        objective = services.objective_update(
            actor=request.user,
            objective=objective,
            expected_version=if_match(request, objective),
            **serializer.validated_data,
        )
        return self.respond(objective)

    @extend_schema(request=ObjectiveStateSerializer, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def state(self, request, reference=None):
        """Withdraw (with a ``reason``) or reinstate the objective."""
        objective = get_objective_for(request.user, reference, write=True)
        serializer = ObjectiveStateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        objective = services.objective_set_state(
            actor=request.user,
            objective=objective,
            expected_version=if_match(request, objective),
            **serializer.validated_data,
        )
        return self.respond(objective)

    @extend_schema(responses=ObjectiveFigureSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None)
    def figures(self, request):
        """The figures computed from the records that an objective can be measured by."""
        rows = [
            {
                "code": f.code, "label": str(f.label), "unit": f.unit,
                "direction": f.direction, "module": f.module, "days": f.days,
            }
            for f in FIGURES.values()
        ]  # fmt: skip
        return Response(ObjectiveFigureSerializer(rows, many=True).data)


ROUTES: list = [("objectives", ObjectiveViewSet, "objective")]
