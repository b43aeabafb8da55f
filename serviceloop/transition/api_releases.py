"""The release API: ``/api/v1/releases/`` (transitions, deployments, acceptance criteria and
results, rollbacks, early-life incidents) and ``/api/v1/transition-plans/`` (acceptance
criteria, go-live). Staff only (404 to customers); writes for staff who operate (403
otherwise); a release's responses carry an ``ETag``, PATCH and transition need ``If-Match``.
"""

import django_filters
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from serviceloop.core.models import User
from serviceloop.desk.models import Kind, Ticket
from serviceloop.portfolio.models import Service
from serviceloop.transition import services_plans, services_release_deployments, services_releases
from serviceloop.transition.api_common import IF_MATCH, TransitionViewSetMixin, expected_version
from serviceloop.transition.lifecycle import ReleaseStatus
from serviceloop.transition.models import (
    AcceptanceCriterion,
    ChangeRequest,
    Deployment,
    PlanCriterion,
    Release,
    Rollback,
    TransitionPlan,
)
from serviceloop.transition.permissions import get_plan_for, get_release_for

RELEASE_STATUS_HELP = "One of: " + ", ".join(ReleaseStatus.values)


class DeploymentSerializer(serializers.ModelSerializer):
    environment = serializers.CharField(help_text="dev | test | prod")
    outcome = serializers.CharField(help_text="succeeded | failed")
    deployed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    deployed_at = serializers.DateTimeField(required=False, allow_null=True)

    class Meta:
        model = Deployment
        fields = ["id", "environment", "outcome", "deployed_at", "deployed_by", "notes"]
        read_only_fields = ["id", "deployed_by"]


class CriterionSerializer(serializers.ModelSerializer):
    result = serializers.CharField(read_only=True, help_text="pending | pass | fail")
    tested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = AcceptanceCriterion
        fields = ["id", "position", "description", "result", "note", "tested_by", "tested_at"]
        read_only_fields = fields


class RollbackSerializer(serializers.ModelSerializer):
    environment = serializers.CharField(help_text="dev | test | prod")
    rolled_back_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Rollback
        fields = ["id", "environment", "reason", "rolled_back_at", "rolled_back_by"]
        read_only_fields = ["id", "rolled_back_at", "rolled_back_by"]


class ReleaseSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    status = serializers.CharField(read_only=True, help_text=RELEASE_STATUS_HELP)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    changes = serializers.SlugRelatedField(slug_field="reference", many=True, read_only=True)
    services = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    els_incidents = serializers.SlugRelatedField(slug_field="reference", many=True, read_only=True)
    criteria = CriterionSerializer(many=True, read_only=True)
    deployments = DeploymentSerializer(many=True, read_only=True)
    rollbacks = RollbackSerializer(many=True, read_only=True)

    class Meta:
        model = Release
        fields = [
            "id", "reference", "name", "description", "status", "status_note", "owner",
            "changes", "services", "planned_deploy_at", "actual_deploy_at", "els_end",
            "criteria", "deployments", "rollbacks", "els_incidents", "version", "created_at",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class ReleaseWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    owner = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )
    changes = serializers.SlugRelatedField(
        slug_field="reference", queryset=ChangeRequest.objects.all(), many=True, required=False
    )
    services = serializers.SlugRelatedField(
        slug_field="code", queryset=Service.objects.all(), many=True, required=False
    )
    planned_deploy_at = serializers.DateTimeField(required=False, allow_null=True)
    els_end = serializers.DateTimeField(required=False, allow_null=True)
    criteria = serializers.ListField(
        child=serializers.CharField(max_length=300),
        required=False,
        help_text="acceptance criteria (creating only)",
    )


class ReleaseTransitionSerializer(serializers.Serializer):
    target = serializers.CharField(help_text=RELEASE_STATUS_HELP)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class CriterionWriteSerializer(serializers.Serializer):
    criterion = serializers.IntegerField(
        required=False, help_text="an existing criterion's id: record its result"
    )
    description = serializers.CharField(
        max_length=300, required=False, help_text="a new criterion's text"
    )
    result = serializers.CharField(required=False, help_text="pending | pass | fail")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class IncidentTagSerializer(serializers.Serializer):
    incidents = serializers.ListField(child=serializers.CharField(max_length=32), min_length=1)


class ReleaseFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ReleaseStatus.choices)

    class Meta:
        model = Release
        fields = ["status"]


class ReleaseViewSet(TransitionViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Releases (staff only)."""

    serializer_class = ReleaseSerializer
    filterset_class = ReleaseFilter
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = Release.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return (
            Release.objects.visible_to(self.request.user)
            .select_related("owner")
            .prefetch_related(
                "changes",
                "services",
                # confidential incidents the reader is not cleared for are not listed
                Prefetch("els_incidents", queryset=Ticket.objects.visible_to(self.request.user)),
                "criteria__tested_by",
                "deployments__deployed_by",
                "rollbacks__rolled_back_by",
            )
            .order_by("-pk")
        )

    def _respond(self, release, code=status.HTTP_200_OK):
        release = self.get_queryset().get(pk=release.pk)
        response = Response(ReleaseSerializer(release).data, status=code)
        response["ETag"] = f'"{release.version}"'
        return response

    def retrieve(self, request, reference=None):
        return self._respond(get_release_for(request.user, reference))

    @extend_schema(request=ReleaseWriteSerializer, responses={201: ReleaseSerializer})
    def create(self, request):
        serializer = ReleaseWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "name" not in data:
            raise serializers.ValidationError({"name": [_("This field is required.")]})
        release = services_releases.release_create(actor=request.user, **data)
        return self._respond(release, status.HTTP_201_CREATED)

    @extend_schema(
        request=ReleaseWriteSerializer, responses={200: ReleaseSerializer}, parameters=[IF_MATCH]
    )
    def partial_update(self, request, reference=None):
        release = get_release_for(request.user, reference, write=True)
        serializer = ReleaseWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("criteria", None)
        release = services_releases.release_update(
            actor=request.user,
            release=release,
            expected_version=expected_version(request, release),
            **data,
        )
        return self._respond(release)

    @extend_schema(
        request=ReleaseTransitionSerializer,
        responses={200: ReleaseSerializer},
        parameters=[IF_MATCH],
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, reference=None):
        release = get_release_for(request.user, reference, write=True)
        serializer = ReleaseTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        release = services_release_deployments.release_transition(
            actor=request.user,
            release=release,
            expected_version=expected_version(request, release),
            **serializer.validated_data,
        )
        return self._respond(release)

    @extend_schema(request=DeploymentSerializer, responses={201: DeploymentSerializer})
    @action(detail=True, methods=["post"])
    def deployments(self, request, reference=None):
        """Record a deployment into an environment."""
        release = get_release_for(request.user, reference, write=True)
        serializer = DeploymentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        deployment = services_release_deployments.release_deploy(
            actor=request.user, release=release, **serializer.validated_data
        )
        return Response(DeploymentSerializer(deployment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RollbackSerializer, responses={201: RollbackSerializer})
    @action(detail=True, methods=["post"])
    def rollbacks(self, request, reference=None):
        """Record a rollback (a production rollback moves the release to "rolled back")."""
        release = get_release_for(request.user, reference, write=True)
        serializer = RollbackSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rollback = services_release_deployments.release_rollback(
            actor=request.user, release=release, **serializer.validated_data
        )
        return Response(RollbackSerializer(rollback).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CriterionWriteSerializer, responses={200: CriterionSerializer})
    @action(detail=True, methods=["post"])
    def criteria(self, request, reference=None):
        """Add an acceptance criterion (``description``) or record the result of one
        (``criterion`` with ``result`` and ``note``)."""
        release = get_release_for(request.user, reference, write=True)
        serializer = CriterionWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data.get("criterion") is not None:
            criterion = AcceptanceCriterion.objects.filter(
                release=release, pk=data["criterion"]
            ).first()
            if criterion is None:
                raise serializers.ValidationError({"criterion": [_("No such criterion.")]})
            criterion = services_releases.release_criterion_record(
                actor=request.user,
                criterion=criterion,
                result=data.get("result", ""),
                note=data.get("note", ""),
            )
        else:
            criterion = services_releases.release_criterion_add(
                actor=request.user, release=release, description=data.get("description", "")
            )
        return Response(CriterionSerializer(criterion).data)

    @extend_schema(request=IncidentTagSerializer, responses={200: ReleaseSerializer})
    @action(detail=True, methods=["post"])
    def incidents(self, request, reference=None):
        """Tag incidents to the release's early-life support."""
        release = get_release_for(request.user, reference, write=True)
        serializer = IncidentTagSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        references = serializer.validated_data["incidents"]
        incidents = list(
            Ticket.objects.visible_to(request.user).filter(
                reference__in=references, kind=Kind.INCIDENT
            )
        )
        if len(incidents) != len(set(references)):
            raise serializers.ValidationError({"incidents": [_("Unknown incident reference.")]})
        services_releases.release_tag_incidents(
            actor=request.user, release=release, incidents=incidents
        )
        return self._respond(release)


# --- Service transition plans --------------------------------------------------------------


class PlanCriterionSerializer(serializers.ModelSerializer):
    key = serializers.CharField(read_only=True)
    checked_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = PlanCriterion
        fields = ["id", "key", "met", "evidence", "automatic", "checked_by", "checked_at"]
        read_only_fields = fields


class TransitionPlanSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    kind = serializers.CharField(required=False, default="new", help_text="new | changed")
    status = serializers.CharField(read_only=True, help_text="open | live | cancelled")
    service = serializers.SlugRelatedField(slug_field="code", queryset=Service.objects.all())
    owner = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )
    release = serializers.SlugRelatedField(
        slug_field="reference", queryset=Release.objects.all(), required=False, allow_null=True
    )
    went_live_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    criteria = PlanCriterionSerializer(many=True, read_only=True)

    class Meta:
        model = TransitionPlan
        fields = [
            "id", "reference", "service", "kind", "title", "description", "owner", "release",
            "target_go_live", "status", "went_live_at", "went_live_by", "cancel_reason",
            "criteria", "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = [
            "id", "reference", "status", "went_live_at", "went_live_by", "cancel_reason",
            "criteria", "version", "created_at", "updated_at",
        ]  # fmt: skip


class PlanCriterionWriteSerializer(serializers.Serializer):
    key = serializers.CharField(
        help_text="sla_agreed | support_trained | knowledge_published | monitoring"
    )
    met = serializers.BooleanField()
    evidence = serializers.CharField(required=False, allow_blank=True, default="")


class PlanTransitionSerializer(serializers.Serializer):
    target = serializers.CharField(help_text="live | cancelled")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class TransitionPlanViewSet(TransitionViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Service transition plans and their acceptance criteria (staff only)."""

    serializer_class = TransitionPlanSerializer
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = TransitionPlan.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return (
            TransitionPlan.objects.visible_to(self.request.user)
            .select_related("service", "owner", "release", "went_live_by")
            .prefetch_related("criteria__checked_by")
            .order_by("-pk")
        )

    def _respond(self, plan, code=status.HTTP_200_OK):
        plan = self.get_queryset().get(pk=plan.pk)
        response = Response(TransitionPlanSerializer(plan).data, status=code)
        response["ETag"] = f'"{plan.version}"'
        return response

    def retrieve(self, request, reference=None):
        return self._respond(get_plan_for(request.user, reference))

    def create(self, request):
        serializer = TransitionPlanSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        plan = services_plans.plan_create(actor=request.user, **serializer.validated_data)
        return self._respond(plan, status.HTTP_201_CREATED)

    @extend_schema(request=PlanCriterionWriteSerializer, responses={200: TransitionPlanSerializer})
    @action(detail=True, methods=["post"])
    def criteria(self, request, reference=None):
        """Record one acceptance criterion as met (with its evidence) or not."""
        plan = get_plan_for(request.user, reference, write=True)
        serializer = PlanCriterionWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        criterion = plan.criteria.filter(key=data["key"]).first()
        if criterion is None:
            raise serializers.ValidationError({"key": [_("No such criterion.")]})
        services_plans.plan_criterion_record(
            actor=request.user, criterion=criterion, met=data["met"], evidence=data["evidence"]
        )
        return self._respond(plan)

    @extend_schema(request=PlanTransitionSerializer, responses={200: TransitionPlanSerializer})
    @action(detail=True, methods=["post"])
    def transition(self, request, reference=None):
        """Go live (refused until every criterion is met) or cancel."""
        plan = get_plan_for(request.user, reference, write=True)
        serializer = PlanTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        plan = services_plans.plan_transition(
            actor=request.user,
            plan=plan,
            expected_version=expected_version(request, plan, required=False),
            **serializer.validated_data,
        )
        return self._respond(plan)


ROUTES = [
    ("releases", ReleaseViewSet, "release"),
    ("transition-plans", TransitionPlanViewSet, "transition-plan"),
]
