"""The tickets API: ``/api/v1/tickets/`` (list, retrieve, create, change details, comments,
transition, assign, SLA status).

Serializers parse; the desk's services write; reads go through ``get_ticket_for`` and
``Ticket.objects.visible_to`` (customers get 404 for other organisations' tickets,
read-only staff 403 on writes).

Optimistic concurrency: every ticket response carries ``ETag: "<version>"``; a change
(PATCH, transition, assign, comment) needs ``If-Match`` with that tag: 428 without it,
412 when the ticket changed meanwhile. ``Idempotency-Key`` on create: the same key for the
same organisation returns the first ticket (201 the first time, 200 on a replay).

The request and response bodies are in ``api/ticket_serializers.py``; the conditional
requests (ETag, If-Match, Idempotency-Key) and their errors in ``api/preconditions.py``.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from serviceloop.core.roles import Capability
from serviceloop.desk.api.preconditions import (
    IDEMPOTENCY_KEY,
    IDEMPOTENCY_KEY_HEADER,
    IF_MATCH,
    WRITE_ERRORS,
    ApiErrorSerializer,
    IdempotencyConflict,
    PreconditionFailed,
    etag,
    expected_version,
)
from serviceloop.desk.api.ticket_serializers import (
    AssignSerializer,
    CommentCreateSerializer,
    CommentSerializer,
    SlaStatusSerializer,
    TicketCreateSerializer,
    TicketFilter,
    TicketSerializer,
    TicketUpdateSerializer,
    TransitionSerializer,
)
from serviceloop.desk.lifecycle import AGENT
from serviceloop.desk.models import Comment, Source, Ticket
from serviceloop.desk.permissions import get_ticket_for, ticket_role
from serviceloop.desk.services import tickets as services
from serviceloop.desk.sla import ticket_clock

TICKET_RELATED = ("organisation", "requester", "team", "assignee", "category", "sla_version")


class OldestFirstCursorPagination(CursorPagination):
    """A conversation reads from its start."""

    ordering = "pk"
    page_size_query_param = "page_size"
    max_page_size = 500


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
        """Change details (agents only). A new category puts the agent through the assignment
        checks again: their warnings come back in the extra ``warnings`` list; an agent they
        refuse loses the ticket (back to its team, unassigned) and ``warnings`` says so."""
        ticket = self._agent_ticket(reference)
        version = expected_version(request, ticket)
        serializer = TicketUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        ticket = services.ticket_update(
            actor=request.user, ticket=ticket, expected_version=version, **serializer.validated_data
        )
        return self._with_warnings(self._respond(ticket), ticket)

    @staticmethod
    def _with_warnings(response, ticket):
        if getattr(ticket, "assignment_warnings", None):
            # e.g. the agent lacks a competence the category needs (the check is on "warn")
            response.data["warnings"] = [str(w) for w in ticket.assignment_warnings]
        return response

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
        return self._with_warnings(self._respond(ticket), ticket)

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
