"""Problems through the API: ``/api/v1/problems/`` (staff only; customers get 404).

List and read for all staff; create, change, transition and link incidents for those the
problem services allow (403 otherwise). ``ETag``/``If-Match`` as on tickets.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from serviceloop.core.models import User
from serviceloop.core.roles import Capability
from serviceloop.desk.api.preconditions import PreconditionFailed, expected_version
from serviceloop.desk.models import Category, Problem, ProblemStatus, Ticket
from serviceloop.desk.services import problems as services


class ProblemSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    category = serializers.SlugRelatedField(slug_field="name", read_only=True)
    incidents = serializers.SlugRelatedField(slug_field="reference", many=True, read_only=True)

    class Meta:
        model = Problem
        fields = [
            "id", "reference", "title", "description", "service", "category", "status", "owner",
            "five_whys", "fishbone", "root_cause", "workaround", "workaround_published",
            "resolution", "accepted_risk", "risk_justification", "incidents", "version",
            "created_at", "updated_at",
        ]  # fmt: skip


class ProblemWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    service = serializers.CharField(max_length=120, required=False, allow_blank=True)
    category = serializers.SlugRelatedField(
        slug_field="name", queryset=Category.objects.all(), required=False, allow_null=True
    )
    owner = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )
    five_whys = serializers.JSONField(required=False)
    fishbone = serializers.JSONField(required=False)
    root_cause = serializers.CharField(required=False, allow_blank=True)
    workaround = serializers.CharField(required=False, allow_blank=True)
    workaround_published = serializers.BooleanField(required=False)


class ProblemTransitionSerializer(serializers.Serializer):
    target = serializers.ChoiceField(choices=ProblemStatus.choices)
    resolution = serializers.CharField(required=False, allow_blank=True)
    accepted_risk = serializers.CharField(required=False, allow_blank=True)
    risk_justification = serializers.CharField(required=False, allow_blank=True)


class LinkIncidentsSerializer(serializers.Serializer):
    incidents = serializers.ListField(child=serializers.CharField(max_length=32), min_length=1)


class ProblemViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ProblemSerializer
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = Problem.objects.none()  # for the schema

    def handle_exception(self, exc):
        if isinstance(exc, DjangoValidationError) and any(
            e.code == "stale" for e in exc.error_list if hasattr(exc, "error_list")
        ):
            problem = Problem.objects.filter(reference=self.kwargs.get("reference")).first()
            exc = PreconditionFailed(problem.version if problem else 0)
        return super().handle_exception(exc)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return (
            Problem.objects.visible_to(self.request.user)
            .select_related("owner", "category")
            .prefetch_related("incidents")
            .order_by("-pk")
        )

    def _respond(self, problem, code=status.HTTP_200_OK):
        problem = self.get_queryset().get(pk=problem.pk)
        response = Response(ProblemSerializer(problem).data, status=code)
        response["ETag"] = f'"{problem.version}"'
        return response

    def retrieve(self, request, reference=None):
        return self._respond(services.get_problem_for(request.user, reference))

    @extend_schema(request=ProblemWriteSerializer, responses={201: ProblemSerializer})
    def create(self, request):
        if not request.user.has_capability(Capability.STAFF):
            raise Http404
        serializer = ProblemWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "title" not in data:
            raise serializers.ValidationError({"title": ["This field is required."]})
        problem = services.problem_create(
            actor=request.user,
            title=data.pop("title"),
            description=data.pop("description", ""),
            service=data.pop("service", ""),
            category=data.pop("category", None),
            owner=data.pop("owner", None),
        )
        if data:
            problem = services.problem_update(actor=request.user, problem=problem, **data)
        return self._respond(problem, status.HTTP_201_CREATED)

    @extend_schema(request=ProblemWriteSerializer, responses={200: ProblemSerializer})
    def partial_update(self, request, reference=None):
        problem = services.get_problem_for(request.user, reference, write=True)
        serializer = ProblemWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        problem = services.problem_update(
            actor=request.user,
            problem=problem,
            expected_version=expected_version(request, problem),
            **serializer.validated_data,
        )
        return self._respond(problem)

    @extend_schema(request=ProblemTransitionSerializer, responses={200: ProblemSerializer})
    @action(detail=True, methods=["post"])
    def transition(self, request, reference=None):
        problem = services.get_problem_for(request.user, reference, write=True)
        serializer = ProblemTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        problem = services.problem_transition(
            actor=request.user,
            problem=problem,
            expected_version=expected_version(request, problem),
            **serializer.validated_data,
        )
        return self._respond(problem)

    @extend_schema(request=LinkIncidentsSerializer, responses={200: ProblemSerializer})
    @action(detail=True, methods=["post"])
    def incidents(self, request, reference=None):
        problem = services.get_problem_for(request.user, reference, write=True)
        serializer = LinkIncidentsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        references = serializer.validated_data["incidents"]
        incidents = list(Ticket.objects.visible_to(request.user).filter(reference__in=references))
        if len(incidents) != len(set(references)):
            raise serializers.ValidationError({"incidents": ["Unknown ticket reference."]})
        services.problem_link_incidents(actor=request.user, problem=problem, incidents=incidents)
        return self._respond(problem)
