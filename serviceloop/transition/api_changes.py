"""The change API: ``/api/v1/changes/`` (with transitions, CAB votes, incidents caused and
conflicts). (Templates, CAB rules and blackout periods: ``api_config``; the pieces every
transition API shares: ``api_common``.)

Staff only: customers get 404 everywhere. Serializers parse; the services write (403 for
read-only staff, 400 with the services' messages for bad input). A change's responses carry
``ETag: "<version>"``; PATCH and transition need ``If-Match`` (428 without, 412 when the
change moved on meanwhile). Choice fields are plain strings in the schema (the values are
listed in their descriptions; the services check them).
"""

import django_filters
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from serviceloop.core.models import User
from serviceloop.desk.models import Kind, Ticket
from serviceloop.portfolio.models import ConfigurationItem, Service
from serviceloop.transition import services_cab, services_change_links, services_changes
from serviceloop.transition.api_common import IF_MATCH, TransitionViewSetMixin, expected_version
from serviceloop.transition.change_moves import offered_moves
from serviceloop.transition.conflicts import change_conflicts
from serviceloop.transition.lifecycle import SYSTEM, ChangeStatus
from serviceloop.transition.models import CabVote, ChangeRequest, ChangeTemplate
from serviceloop.transition.permissions import change_role, get_change_for, get_change_for_vote
from serviceloop.transition.services_changes import cab_skip_refusals

STATUS_HELP = "One of: " + ", ".join(ChangeStatus.values)


# --- Changes -------------------------------------------------------------------------------


class ConflictSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="change | blackout")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    title = serializers.CharField()
    reference = serializers.CharField(help_text="the other change, for a change conflict")
    reason = serializers.CharField(help_text="same_item | related_item | same_service")
    customer = serializers.CharField(help_text="the blackout's customer; empty: every customer")
    items = serializers.ListField(child=serializers.CharField())
    message = serializers.CharField()


class CabVoteSerializer(serializers.ModelSerializer):
    voter = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decision = serializers.CharField(read_only=True, help_text="approve | reject | abstain")

    class Meta:
        model = CabVote
        fields = ["round", "voter", "decision", "comment", "decided_at"]
        read_only_fields = fields


class ChangeSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    change_type = serializers.CharField(read_only=True, help_text="standard | normal | emergency")
    status = serializers.CharField(read_only=True, help_text=STATUS_HELP)
    risk_level = serializers.CharField(read_only=True, help_text="low | medium | high, or empty")
    outcome = serializers.CharField(
        read_only=True, help_text="implemented | failed | backed_out, or empty"
    )
    likelihood = serializers.IntegerField(read_only=True, allow_null=True, help_text="1–3")
    impact = serializers.IntegerField(read_only=True, allow_null=True, help_text="1–3")
    template = serializers.SlugRelatedField(slug_field="name", read_only=True)
    requester = serializers.SlugRelatedField(slug_field="username", read_only=True)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    implementer = serializers.SlugRelatedField(slug_field="username", read_only=True)
    reviewed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    configuration_items = serializers.SlugRelatedField(
        slug_field="reference", many=True, read_only=True
    )
    services = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    affected_customers = serializers.SlugRelatedField(slug_field="uuid", many=True, read_only=True)
    cab_members = serializers.SlugRelatedField(slug_field="username", many=True, read_only=True)
    caused_incidents = serializers.SlugRelatedField(
        slug_field="reference", many=True, read_only=True
    )
    is_emergency = serializers.BooleanField(read_only=True)
    transitions = serializers.SerializerMethodField(
        help_text="The statuses the signed-in user may move the change to."
    )

    class Meta:
        model = ChangeRequest
        fields = [
            "id", "reference", "change_type", "is_emergency", "template", "title",
            "description", "reason", "requester", "owner", "implementer",
            "configuration_items", "services", "likelihood", "impact", "risk_level",
            "impact_snapshot", "affected_customers", "implementation_plan", "backout_plan",
            "test_plan", "planned_start", "planned_end", "actual_start", "actual_end", "status",
            "outcome", "outcome_note", "cancel_reason", "cab_round", "cab_quorum",
            "cab_members", "cab_decided_at", "schedule_override_reason", "schedule_conflicts",
            "review_success", "review_notes", "review_lessons", "reviewed_by", "reviewed_at",
            "caused_incidents", "transitions", "version", "created_at", "updated_at",
            "submitted_at", "approved_at", "closed_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_transitions(self, change) -> list[str]:
        request = self.context.get("request")
        role = change_role(request.user) if request else None
        return [m.target for m in offered_moves(change, role) if SYSTEM not in m.who]


class ChangeWriteSerializer(serializers.Serializer):
    change_type = serializers.CharField(
        required=False, help_text="standard | normal | emergency (creating only)"
    )
    template = serializers.PrimaryKeyRelatedField(
        queryset=ChangeTemplate.objects.all(),
        required=False,
        allow_null=True,
        help_text="a standard change's template (creating only)",
    )
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    reason = serializers.CharField(required=False, allow_blank=True)
    owner = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )
    implementer = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )
    configuration_items = serializers.SlugRelatedField(
        slug_field="reference",
        queryset=ConfigurationItem.objects.all(),
        many=True,
        required=False,
    )
    services = serializers.SlugRelatedField(
        slug_field="code", queryset=Service.objects.all(), many=True, required=False
    )
    likelihood = serializers.IntegerField(required=False, allow_null=True, help_text="1–3")
    impact = serializers.IntegerField(required=False, allow_null=True, help_text="1–3")
    implementation_plan = serializers.CharField(required=False, allow_blank=True)
    backout_plan = serializers.CharField(required=False, allow_blank=True)
    test_plan = serializers.CharField(required=False, allow_blank=True)
    planned_start = serializers.DateTimeField(required=False, allow_null=True)
    planned_end = serializers.DateTimeField(required=False, allow_null=True)


class ChangeTransitionSerializer(serializers.Serializer):
    target = serializers.CharField(help_text=STATUS_HELP)
    note = serializers.CharField(
        required=False, allow_blank=True, help_text="why: cancelling, failing, backing out"
    )
    likelihood = serializers.IntegerField(required=False, allow_null=True)
    impact = serializers.IntegerField(required=False, allow_null=True)
    planned_start = serializers.DateTimeField(required=False, allow_null=True)
    planned_end = serializers.DateTimeField(required=False, allow_null=True)
    override_reason = serializers.CharField(
        required=False, allow_blank=True, help_text="scheduling into a conflict"
    )
    success = serializers.BooleanField(required=False, allow_null=True, default=None)
    notes = serializers.CharField(required=False, allow_blank=True, help_text="the review's notes")
    lessons = serializers.CharField(required=False, allow_blank=True)


class VoteWriteSerializer(serializers.Serializer):
    decision = serializers.CharField(help_text="approve | reject | abstain")
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class IncidentReferencesSerializer(serializers.Serializer):
    incidents = serializers.ListField(child=serializers.CharField(max_length=32), min_length=1)


class ChangeFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ChangeStatus.choices)
    change_type = django_filters.CharFilter()
    risk_level = django_filters.CharFilter()
    caused_incident = django_filters.CharFilter(
        method="filter_caused_incident", label="incident reference"
    )
    planned_after = django_filters.IsoDateTimeFilter(field_name="planned_end", lookup_expr="gt")
    planned_before = django_filters.IsoDateTimeFilter(field_name="planned_start", lookup_expr="lt")

    class Meta:
        model = ChangeRequest
        fields = ["status", "change_type", "risk_level", "caused_incident"]

    def filter_caused_incident(self, queryset, name, value):
        # only incidents the reader may see: a confidential one matches nothing for others
        visible = Ticket.objects.visible_to(self.request.user).filter(reference=value)
        return queryset.filter(incident_links__incident__in=visible.values("pk"))


def _incidents(user, references):
    found = list(
        Ticket.objects.visible_to(user).filter(reference__in=references, kind=Kind.INCIDENT)
    )
    if len(found) != len(set(references)):
        raise serializers.ValidationError({"incidents": [_("Unknown incident reference.")]})
    return found


class ChangeViewSet(TransitionViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Change requests (staff only)."""

    serializer_class = ChangeSerializer
    filterset_class = ChangeFilter
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = ChangeRequest.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return (
            ChangeRequest.objects.visible_to(self.request.user)
            .select_related("template", "requester", "owner", "implementer", "reviewed_by")
            .prefetch_related(
                "configuration_items",
                "services",
                "affected_customers",
                "cab_members",
                # confidential incidents the reader is not cleared for are not listed
                Prefetch("caused_incidents", queryset=Ticket.objects.visible_to(self.request.user)),
            )
            .order_by("-pk")
        )

    def _respond(self, change, code=status.HTTP_200_OK):
        change = self.get_queryset().get(pk=change.pk)
        response = Response(
            ChangeSerializer(change, context={"request": self.request}).data, status=code
        )
        response["ETag"] = f'"{change.version}"'
        return response

    def retrieve(self, request, reference=None):
        return self._respond(get_change_for(request.user, reference))

    @extend_schema(request=ChangeWriteSerializer, responses={201: ChangeSerializer})
    def create(self, request):
        serializer = ChangeWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        change = services_changes.change_create(actor=request.user, **data)
        return self._respond(change, status.HTTP_201_CREATED)

    @extend_schema(
        request=ChangeWriteSerializer, responses={200: ChangeSerializer}, parameters=[IF_MATCH]
    )
    def partial_update(self, request, reference=None):
        change = get_change_for(request.user, reference, write=True)
        serializer = ChangeWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "change_type" in data or "template" in data:
            raise serializers.ValidationError(
                {"change_type": [_("The type and template are chosen when the change is raised.")]}
            )
        change = services_changes.change_update(
            actor=request.user,
            change=change,
            expected_version=expected_version(request, change),
            **data,
        )
        return self._respond(change)

    @extend_schema(
        request=ChangeTransitionSerializer, responses={200: ChangeSerializer}, parameters=[IF_MATCH]
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, reference=None):
        change = get_change_for(request.user, reference, write=True)
        serializer = ChangeTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        change = services_changes.change_transition(
            actor=request.user,
            change=change,
            expected_version=expected_version(request, change),
            target=data.pop("target"),
            **data,
        )
        return self._respond(change)

    @extend_schema(methods=["get"], request=None, responses={200: CabVoteSerializer(many=True)})
    @extend_schema(
        methods=["post"], request=VoteWriteSerializer, responses={201: CabVoteSerializer}
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def votes(self, request, reference=None):
        """GET: every CAB vote on the change, round by round. POST: the signed-in member's
        vote on the current round (the decision follows the CAB rule)."""
        if request.method == "GET":
            change = get_change_for(request.user, reference)
            votes = CabVote.objects.filter(change=change).select_related("voter")
            return Response(
                CabVoteSerializer(votes.order_by("round", "decided_at"), many=True).data
            )
        change = get_change_for_vote(request.user, reference)
        serializer = VoteWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        vote = services_cab.change_vote(
            actor=request.user, change=change, **serializer.validated_data
        )
        return Response(CabVoteSerializer(vote).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=IncidentReferencesSerializer, responses={200: ChangeSerializer})
    @action(detail=True, methods=["post"])
    def incidents(self, request, reference=None):
        """Link the incidents the change caused (by reference)."""
        change = get_change_for(request.user, reference, write=True)
        serializer = IncidentReferencesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        incidents = _incidents(request.user, serializer.validated_data["incidents"])
        services_change_links.change_link_incidents(
            actor=request.user, change=change, incidents=incidents
        )
        return self._respond(change)

    @extend_schema(
        request=None,
        responses={200: ConflictSerializer(many=True)},
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATETIME, description="default: planned start"),
            OpenApiParameter("end", OpenApiTypes.DATETIME, description="default: planned end"),
        ],
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def conflicts(self, request, reference=None):
        """The conflicts of the planned window (or of ``start``/``end``), and why the change
        may not skip the CAB (in the ``X-Cab-Needed`` count)."""
        change = get_change_for(request.user, reference)
        window = serializers.DateTimeField()
        start = end = None
        try:
            if request.query_params.get("start"):
                start = window.to_internal_value(request.query_params["start"])
            if request.query_params.get("end"):
                end = window.to_internal_value(request.query_params["end"])
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"start": exc.detail}) from exc
        conflicts = change_conflicts(change, start, end)
        response = Response([c.as_dict() for c in conflicts])
        response["X-Cab-Needed"] = str(len(cab_skip_refusals(change)))
        return response


ROUTES = [("changes", ChangeViewSet, "change")]
