"""What the tickets API reads and writes (``api/tickets.py``): the ticket as shown, the bodies
of its writes (create, change, transition, assign, comment), its SLA status, and the list's
filters. They parse and check shapes; the desk's services decide."""

import django_filters
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from serviceloop.core.models import Organisation, Team, User
from serviceloop.core.roles import Capability
from serviceloop.desk.lifecycle import Status
from serviceloop.desk.models import (
    Category,
    Comment,
    Impact,
    Kind,
    Priority,
    Ticket,
    Urgency,
)

# Statuses a person (or client) may move a ticket to: "new" and "waiting for approval" are
# entered by the system only. (A choice set of its own, named TargetEnum in the schema.)
TRANSITION_TARGETS = [
    (value, label)
    for value, label in Status.choices
    if value not in (Status.NEW, Status.PENDING_APPROVAL)
]


class TicketSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    # plain text here: one enum per field name keeps the schema's enum names stable
    kind = serializers.CharField(read_only=True, help_text="incident | request")
    organisation = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    requester = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    team = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    assignee = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    category = serializers.SlugRelatedField(slug_field="name", read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "reference",
            "kind",
            "title",
            "description",
            "service",
            "category",
            "impact",
            "urgency",
            "priority",
            "status",
            "organisation",
            "requester",
            "team",
            "assignee",
            "is_major",
            "source",
            "created_at",
            "updated_at",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "resolution",
            "response_due_at",
            "resolution_due_at",
            "response_breached",
            "resolution_breached",
            "sla_paused",
            "version",
        ]
        read_only_fields = fields

    def to_representation(self, ticket) -> dict:
        """The ticket as DRF's fields would give it (``test_api_representation`` holds the two
        equal), written out: the API answers every write with it and lists pages of it, and
        building and running the 29 fields cost a sixth of a ticket create's CPU."""
        zone = timezone.get_current_timezone()
        return {  # in Meta.fields' order
            "id": str(ticket.uuid),
            "reference": ticket.reference,
            "kind": _text(ticket.kind),
            "title": ticket.title,
            "description": ticket.description,
            "service": ticket.service,
            "category": _related(ticket.category, "name"),
            "impact": ticket.impact,
            "urgency": ticket.urgency,
            "priority": _text(ticket.priority),
            "status": _text(ticket.status),
            "organisation": _related(ticket.organisation, "uuid"),
            "requester": _related(ticket.requester, "uuid"),
            "team": _related(ticket.team, "uuid"),
            "assignee": _related(ticket.assignee, "uuid"),
            "is_major": bool(ticket.is_major),
            "source": _text(ticket.source),
            "created_at": _instant(ticket.created_at, zone),
            "updated_at": _instant(ticket.updated_at, zone),
            "first_response_at": _instant(ticket.first_response_at, zone),
            "resolved_at": _instant(ticket.resolved_at, zone),
            "closed_at": _instant(ticket.closed_at, zone),
            "resolution": ticket.resolution,
            "response_due_at": _instant(ticket.response_due_at, zone),
            "resolution_due_at": _instant(ticket.resolution_due_at, zone),
            "response_breached": bool(ticket.response_breached),
            "resolution_breached": bool(ticket.resolution_breached),
            "sla_paused": bool(ticket.sla_paused),
            "version": ticket.version,
        }


def _text(value):
    return None if value is None else str(value)


def _related(obj, attribute):
    return None if obj is None else getattr(obj, attribute)


def _instant(value, zone):
    """As DRF's DateTimeField shows it: ISO 8601 in the active time zone, "Z" for UTC."""
    if not value:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class TicketCreateSerializer(serializers.Serializer):
    """A new ticket. Customers raise tickets for their own organisation (``organisation``
    and ``requester`` default to theirs); agents name the ``requester``."""

    kind = serializers.ChoiceField(choices=Kind.choices, default=Kind.INCIDENT)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    service = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    category = serializers.SlugRelatedField(
        slug_field="name",
        # the routing reads the category's team: fetched with it
        queryset=Category.objects.filter(is_active=True).select_related("default_team"),
        required=False,
        allow_null=True,
    )
    impact = serializers.ChoiceField(choices=Impact.choices, default=Impact.MINOR)
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.MEDIUM)
    organisation = serializers.SlugRelatedField(
        slug_field="uuid", queryset=Organisation.objects.none(), required=False
    )
    requester = serializers.SlugRelatedField(
        slug_field="uuid", queryset=User.objects.none(), required=False
    )
    team = serializers.SlugRelatedField(
        slug_field="uuid",
        queryset=Team.objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )
    assignee = serializers.SlugRelatedField(
        slug_field="uuid",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is None:  # the schema generator
            return
        user = request.user
        # Outsiders' organisations and people do not exist for this user.
        self.fields["organisation"].queryset = Organisation.objects.visible_to(user).filter(
            is_active=True
        )
        self.fields["requester"].queryset = (
            User.objects.visible_to(user).filter(is_active=True).select_related("organisation")
        )

    def validate(self, attrs):
        user = self.context["request"].user
        if user.has_capability(Capability.STAFF):
            if attrs.get("requester") is None:
                raise serializers.ValidationError(
                    {"requester": _("Name the person the ticket is raised for.")}
                )
            attrs.setdefault("organisation", attrs["requester"].organisation)
        else:
            if attrs.get("team") or attrs.get("assignee"):
                raise serializers.ValidationError(
                    {"team": _("Only agents choose the team and the agent.")}
                )
            attrs.setdefault("organisation", user.organisation)
            attrs.setdefault("requester", user)
        return attrs


class TicketUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    service = serializers.CharField(max_length=120, required=False, allow_blank=True)
    category = serializers.SlugRelatedField(
        slug_field="name", queryset=Category.objects.all(), required=False, allow_null=True
    )
    impact = serializers.ChoiceField(choices=Impact.choices, required=False)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    priority = serializers.ChoiceField(
        choices=Priority.choices,
        required=False,
        help_text=gettext_lazy("Overrides the matrix; without it, impact × urgency decides."),
    )
    is_major = serializers.BooleanField(required=False)


class TransitionSerializer(serializers.Serializer):
    target = serializers.ChoiceField(choices=TRANSITION_TARGETS)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class AssignSerializer(serializers.Serializer):
    team = serializers.SlugRelatedField(
        slug_field="uuid",
        queryset=Team.objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )
    assignee = serializers.SlugRelatedField(
        slug_field="uuid",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text=gettext_lazy("Empty: the next agent of the team, in turn."),
    )


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    author_name = serializers.SerializerMethodField()
    internal = serializers.SerializerMethodField()

    class Meta:
        model = Comment
        fields = ["id", "author", "author_name", "body", "internal", "source", "created_at"]
        read_only_fields = fields

    def get_author_name(self, comment) -> str:
        return str(comment.author)

    def get_internal(self, comment) -> bool:
        return not comment.is_public


class CommentCreateSerializer(serializers.Serializer):
    body = serializers.CharField()
    internal = serializers.BooleanField(
        default=False,
        help_text=gettext_lazy("An internal note (staff only); customers always reply publicly."),
    )


class SlaTargetSerializer(serializers.Serializer):
    target_seconds = serializers.IntegerField(allow_null=True)
    consumed_seconds = serializers.IntegerField()
    due_at = serializers.DateTimeField(allow_null=True)
    warn_at = serializers.DateTimeField(allow_null=True)
    met_at = serializers.DateTimeField(allow_null=True)
    breached = serializers.BooleanField()
    breached_at = serializers.DateTimeField(allow_null=True)
    running = serializers.BooleanField()


class SlaStatusSerializer(serializers.Serializer):
    policy = serializers.CharField(allow_null=True)
    policy_version = serializers.IntegerField(allow_null=True)
    calendar = serializers.CharField(allow_null=True)
    computed_at = serializers.DateTimeField()
    paused = serializers.BooleanField()
    paused_seconds = serializers.IntegerField()
    next_update_due_at = serializers.DateTimeField(allow_null=True)
    response = SlaTargetSerializer(allow_null=True)
    resolution = SlaTargetSerializer(allow_null=True)


class TicketFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices)
    kind = django_filters.ChoiceFilter(choices=Kind.choices)
    organisation = django_filters.UUIDFilter(field_name="organisation__uuid")
    assignee = django_filters.UUIDFilter(field_name="assignee__uuid")
    team = django_filters.UUIDFilter(field_name="team__uuid")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Ticket
        fields = [
            "status",
            "priority",
            "kind",
            "organisation",
            "assignee",
            "team",
            "created_after",
            "created_before",
        ]
