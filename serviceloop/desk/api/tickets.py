"""The tickets API: ``/api/v1/tickets/`` (list, retrieve, create, change details, comments,
transition, assign, SLA status).

Serializers parse; the desk's services write; reads go through ``get_ticket_for`` and
``Ticket.objects.visible_to`` (customers get 404 for other organisations' tickets,
read-only staff 403 on writes).

Optimistic concurrency: every ticket response carries ``ETag: "<version>"``; a change
(PATCH, transition, assign, comment) needs ``If-Match`` with that tag: 428 without it,
412 when the ticket changed meanwhile. ``Idempotency-Key`` on create: the same key for the
same organisation returns the first ticket (201 the first time, 200 on a replay).
"""

import re

import django_filters
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from serviceloop.core.models import Organisation, Team, User
from serviceloop.core.roles import Capability
from serviceloop.desk.lifecycle import AGENT, Status
from serviceloop.desk.models import (
    Category,
    Comment,
    Impact,
    Kind,
    Priority,
    Source,
    Ticket,
    Urgency,
)
from serviceloop.desk.permissions import get_ticket_for, ticket_role
from serviceloop.desk.services import tickets as services
from serviceloop.desk.sla import ticket_clock

TICKET_RELATED = ("organisation", "requester", "team", "assignee", "category", "sla_version")
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,190}$")


# --- Errors ------------------------------------------------------------------------------


class PreconditionRequired(APIException):
    status_code = 428
    default_detail = gettext_lazy(
        "Send If-Match with the ETag of the ticket as you read it, so that nobody's change "
        "is overwritten."
    )
    default_code = "precondition_required"


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = gettext_lazy(
        "The ticket changed since you read it. Read it again and repeat your change."
    )
    default_code = "precondition_failed"

    def __init__(self, current_version: int):
        super().__init__()
        self.current_version = current_version


class IdempotencyConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("This Idempotency-Key was already used for another request.")
    default_code = "idempotency_conflict"


class ApiErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class StaleErrorSerializer(ApiErrorSerializer):
    current_version = serializers.IntegerField()


def etag(ticket: Ticket) -> str:
    return f'"{ticket.version}"'


def expected_version(request, ticket: Ticket) -> int | None:
    """The version named by ``If-Match`` (None for ``*``); 428 without the header, 412
    when no tag in it is the ticket's current version."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise PreconditionRequired
    tags = [tag.strip() for tag in header.split(",")]
    if "*" in tags:
        return None
    for tag in tags:
        value = tag.removeprefix("W/").strip('"')
        if value.isdigit() and int(value) == ticket.version:
            return ticket.version
    raise PreconditionFailed(ticket.version)


# --- Tickets -----------------------------------------------------------------------------


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


class OldestFirstCursorPagination(CursorPagination):
    """A conversation reads from its start."""

    ordering = "pk"
    page_size_query_param = "page_size"
    max_page_size = 500


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description=gettext_lazy('The ticket\'s ETag as last read, e.g. "3".'),
)
IDEMPOTENCY_KEY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=gettext_lazy(
        "Any unique string (up to 190 printable ASCII characters): a repeated create with "
        "the same key returns the first ticket (200) instead of a second one."
    ),
)
WRITE_ERRORS = {
    400: OpenApiResponse(ApiErrorSerializer, description="invalid input"),
    403: OpenApiResponse(ApiErrorSerializer, description="read-only user"),
    404: OpenApiResponse(ApiErrorSerializer, description="no such ticket for this user"),
    412: OpenApiResponse(StaleErrorSerializer, description="the ticket changed meanwhile"),
    428: OpenApiResponse(ApiErrorSerializer, description="If-Match is missing"),
}


class TicketViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Incidents and service requests visible to the signed-in user."""

    serializer_class = TicketSerializer
    filterset_class = TicketFilter
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = Ticket.objects.none()  # for the schema; requests use get_queryset

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Token-authenticated users are known only now: answer in their language.
        language = getattr(request.user, "language", "")
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()

    def handle_exception(self, exc):
        if isinstance(exc, services.StaleTicket):
            exc = PreconditionFailed(exc.args[0] if exc.args else 0)
        response = super().handle_exception(exc)
        if isinstance(exc, PreconditionFailed):
            response["ETag"] = f'"{exc.current_version}"'
            if isinstance(response.data, dict):
                response.data["current_version"] = exc.current_version
        return response

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return Ticket.objects.visible_to(self.request.user).select_related(*TICKET_RELATED)

    def _respond(self, ticket, code=status.HTTP_200_OK, *, reload=True, **headers):
        """The ticket as the API shows it, with its ETag (reloaded after a write)."""
        if reload:
            ticket = Ticket.objects.select_related(*TICKET_RELATED).get(pk=ticket.pk)
        response = Response(TicketSerializer(ticket).data, status=code)
        response["ETag"] = etag(ticket)
        for name, value in headers.items():
            response[name.replace("_", "-")] = value
        return response

    def _agent_ticket(self, reference):
        """The ticket for a change only agents make: 404 unseen, 403 for anyone else."""
        ticket = get_ticket_for(self.request.user, reference, write=True)
        if ticket_role(self.request.user, ticket) != AGENT:
            raise PermissionDenied
        return ticket

    @extend_schema(responses={200: TicketSerializer, 404: ApiErrorSerializer})
    def retrieve(self, request, reference=None):
        return self._respond(get_ticket_for(request.user, reference), reload=False)

    @extend_schema(
        request=TicketCreateSerializer,
        parameters=[IDEMPOTENCY_KEY_HEADER],
        responses={
            201: TicketSerializer,
            200: OpenApiResponse(TicketSerializer, description="a replay of an earlier key"),
            400: ApiErrorSerializer,
            403: ApiErrorSerializer,
            409: OpenApiResponse(ApiErrorSerializer, description="key used by someone else"),
        },
    )
    def create(self, request):
        user = request.user
        if user.has_capability(Capability.STAFF) and not user.has_capability(Capability.OPERATE):
            raise PermissionDenied  # before validation: read-only staff cannot probe
        key = request.headers.get("Idempotency-Key", "")
        if key and not IDEMPOTENCY_KEY.match(key):
            raise serializers.ValidationError(
                {"Idempotency-Key": _("Use up to 190 printable ASCII characters.")}
            )
        serializer = TicketCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        stored_key = f"api:{key}" if key else ""
        # A repeated key: the service returns the ticket the key created the first time.
        now = timezone.now()
        ticket = services.ticket_create(
            actor=user,
            source=Source.API,
            idempotency_key=stored_key,
            now=now,
            **data,
        )
        if key and ticket.created_at != now:  # a concurrent request with the key won
            return self._replay(ticket)
        # The new ticket holds its related rows already (the service set them): no reload.
        return self._respond(
            ticket,
            status.HTTP_201_CREATED,
            reload=False,
            Location=f"/api/v1/tickets/{ticket.reference}/",
        )

    def _replay(self, ticket):
        if not Ticket.objects.visible_to(self.request.user).filter(pk=ticket.pk).exists():
            raise IdempotencyConflict
        return self._respond(ticket, status.HTTP_200_OK, Idempotent_Replayed="true")

    @extend_schema(
        request=TicketUpdateSerializer,
        parameters=[IF_MATCH],
        responses={200: TicketSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request, reference=None):
        ticket = self._agent_ticket(reference)
        version = expected_version(request, ticket)
        serializer = TicketUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        ticket = services.ticket_update(
            actor=request.user, ticket=ticket, expected_version=version, **serializer.validated_data
        )
        return self._respond(ticket)

    @extend_schema(
        request=TransitionSerializer,
        parameters=[IF_MATCH],
        responses={200: TicketSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, reference=None):
        """Move the ticket to another status (resolving and cancelling need a note)."""
        ticket = get_ticket_for(request.user, reference, write=True)
        version = expected_version(request, ticket)
        serializer = TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = services.ticket_transition(
            actor=request.user,
            ticket=ticket,
            target=serializer.validated_data["target"],
            note=serializer.validated_data["note"],
            expected_version=version,
        )
        return self._respond(ticket)

    @extend_schema(
        request=AssignSerializer,
        parameters=[IF_MATCH],
        responses={200: TicketSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, reference=None):
        """Assign to a team and/or an agent (agents only). An assignment check that refuses
        (e.g. competence on "block") answers 400; its warnings (on "warn") come back in the
        ticket's extra ``warnings`` list."""
        ticket = self._agent_ticket(reference)
        version = expected_version(request, ticket)
        serializer = AssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = services.ticket_assign(
            actor=request.user,
            ticket=ticket,
            team=serializer.validated_data.get("team"),
            assignee=serializer.validated_data.get("assignee"),
            expected_version=version,
        )
        response = self._respond(ticket)
        if ticket.assignment_warnings:
            # e.g. the agent lacks a competence the category needs (the check is on "warn")
            response.data["warnings"] = ticket.assignment_warnings
        return response

    @extend_schema(
        methods=["GET"],
        responses={200: CommentSerializer(many=True), 404: ApiErrorSerializer},
        description="Replies and (for staff) internal notes, oldest first.",
    )
    @extend_schema(
        methods=["POST"],
        request=CommentCreateSerializer,
        parameters=[IF_MATCH],
        responses={201: CommentSerializer, **WRITE_ERRORS},
        description="A public reply, or an internal note (staff only).",
    )
    @action(
        detail=True,
        methods=["get", "post"],
        pagination_class=OldestFirstCursorPagination,
        filter_backends=[],
    )
    def comments(self, request, reference=None):
        if request.method == "POST":
            return self._comment(request, reference)
        ticket = get_ticket_for(request.user, reference)
        comments = Comment.objects.filter(ticket=ticket).select_related("author")
        if not request.user.has_capability(Capability.STAFF):
            comments = comments.filter(is_public=True)
        page = self.paginate_queryset(comments)
        response = self.get_paginated_response(CommentSerializer(page, many=True).data)
        response["ETag"] = etag(ticket)
        return response

    def _comment(self, request, reference):
        ticket = get_ticket_for(request.user, reference, write=True)
        version = expected_version(request, ticket)
        serializer = CommentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            # The comment service takes no version: hold the row at the expected one.
            services.ticket_lock(ticket, version)
            comment = services.ticket_comment(
                actor=request.user,
                ticket=ticket,
                body=serializer.validated_data["body"],
                public=not serializer.validated_data["internal"],
                source=Source.API,
            )
        response = Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)
        response["ETag"] = etag(Ticket.objects.only("version").get(pk=ticket.pk))
        return response

    @extend_schema(responses={200: SlaStatusSerializer, 404: ApiErrorSerializer})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def sla(self, request, reference=None):
        """The SLA clock replayed from the ticket's history as of now: due times, whether
        each target is met or breached, pauses, business time consumed so far."""
        ticket = get_ticket_for(request.user, reference)
        now = timezone.now()
        state = ticket_clock(ticket, now=now)
        version = ticket.sla_version

        def target(meter):
            return {
                "target_seconds": meter.target_seconds,
                "consumed_seconds": meter.consumed_seconds,
                "due_at": meter.due_at,
                "warn_at": meter.warn_at,
                "met_at": meter.met_at,
                "breached": meter.breached,
                "breached_at": meter.breached_at,
                "running": meter.running,
            }

        body = {
            "policy": version.policy.name if version else None,
            "policy_version": version.number if version else None,
            "calendar": version.calendar.name if version else None,
            "computed_at": now,
            "paused": state.paused if state else False,
            "paused_seconds": state.paused_seconds if state else 0,
            "next_update_due_at": state.next_update_due_at if state else None,
            "response": target(state.response) if state else None,
            "resolution": target(state.resolution) if state else None,
        }
        response = Response(SlaStatusSerializer(body).data)
        response["ETag"] = etag(ticket)
        return response
