"""REST API of the complaints part: ``ROUTES`` = [(prefix, viewset, basename)].

``/api/v1/complaints/`` (by reference): list, read, lodge, change (staff), ``transition``,
``acceptance`` (the customer's answer to the response) and ``notes`` (investigation notes,
staff only). Customers see their own complaints (a customer manager his organisation's) and
nobody else's (404); the read-only roles get 403 on writes. Responses carry
``ETag: "<version>"``; an optional ``If-Match`` on a change answers 412 when the complaint
changed meanwhile.
"""

import django_filters
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from serviceloop.core.models import Organisation, User
from serviceloop.core.roles import PROVIDER_ROLES, Capability
from serviceloop.portfolio.models import Service
from serviceloop.relationship import services_complaints as services
from serviceloop.relationship import services_complaints_lifecycle as lifecycle
from serviceloop.relationship.models import (
    Complaint,
    ComplaintChannel,
    ComplaintNote,
    ComplaintSeverity,
    ComplaintStatus,
)
from serviceloop.relationship.models.complaints import COMPLAINT_TARGETS, CUSTOMER, STAFF
from serviceloop.relationship.queries_complaints import complaint_role, get_complaint_for

COMPLAINT_RELATED = ("organisation", "complainant", "service", "owner")


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = gettext_lazy(
        "The complaint changed since you read it. Read it again and repeat your change."
    )
    default_code = "precondition_failed"


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=gettext_lazy(
        'Optional: the complaint\'s ETag as last read, e.g. "3"; 412 if it changed since.'
    ),
)


def if_match(request) -> int | None:
    """The version named by ``If-Match`` (None without the header, or for ``*``)."""
    header = request.headers.get("If-Match", "").strip()
    for tag in (t.strip() for t in header.split(",")):
        value = tag.removeprefix("W/").strip('"')
        if value.isdigit():
            return int(value)
    return None


class ComplaintSerializer(serializers.ModelSerializer):
    """A complaint. Customers lodge one with ``subject``, ``description``, ``severity`` and
    optionally ``service``: the organisation, the complainant (themselves) and the channel
    (portal) follow. Staff name the ``organisation`` and the complainant (a person, or a
    name and contact details), and may give ``received_at`` and the ``owner``."""

    id = serializers.UUIDField(source="uuid", read_only=True)
    organisation = serializers.SlugRelatedField(
        slug_field="uuid", queryset=Organisation.objects.all(), required=False
    )
    complainant = serializers.SlugRelatedField(
        slug_field="uuid", queryset=User.objects.all(), required=False, allow_null=True
    )
    service = serializers.SlugRelatedField(
        slug_field="code", queryset=Service.objects.all(), required=False, allow_null=True
    )
    owner = serializers.SlugRelatedField(
        slug_field="uuid",
        queryset=User.objects.filter(role__in=PROVIDER_ROLES),
        required=False,
        allow_null=True,
    )

    class Meta:
        model = Complaint
        fields = [
            "id", "reference", "channel", "organisation", "complainant", "complainant_name",
            "complainant_email", "complainant_phone", "service", "severity", "subject",
            "description", "status", "owner", "response", "customer_accepted",
            "acceptance_date", "acceptance_note", "received_at", "acknowledged_at",
            "responded_at", "closed_at", "response_due_at", "response_breached", "version",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = [
            "reference", "status", "response", "customer_accepted", "acceptance_date",
            "acceptance_note", "acknowledged_at", "responded_at", "closed_at",
            "response_due_at", "response_breached", "version", "created_at", "updated_at",
        ]  # fmt: skip
        extra_kwargs = {"channel": {"required": False}, "received_at": {"required": False}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is None:  # the schema generator
            return
        user = request.user
        # Outsiders' organisations, people and services do not exist for this user.
        self.fields["organisation"].queryset = Organisation.objects.visible_to(user)
        self.fields["complainant"].queryset = User.objects.visible_to(user)
        self.fields["service"].queryset = Service.objects.visible_to(user)


class ComplaintTransitionSerializer(serializers.Serializer):
    target = serializers.ChoiceField(choices=COMPLAINT_TARGETS)
    response = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=gettext_lazy("The response to the customer (to respond)."),
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("Why it is reopened (to reopen)."),
    )
    accepted = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy(
            "To close: the customer's acceptance, if not recorded yet (with acceptance_date)."
        ),
    )
    acceptance_date = serializers.DateField(required=False, allow_null=True, default=None)
    acceptance_note = serializers.CharField(required=False, allow_blank=True, default="")


class AcceptanceSerializer(serializers.Serializer):
    accepted = serializers.BooleanField()
    acceptance_date = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("Staff: the date of the customer's answer; customers: today."),
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ComplaintNoteSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="uuid", read_only=True)

    class Meta:
        model = ComplaintNote
        fields = ["id", "author", "body", "created_at"]
        read_only_fields = ["id", "author", "created_at"]


class ComplaintFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ComplaintStatus.choices)
    severity = django_filters.ChoiceFilter(choices=ComplaintSeverity.choices)
    channel = django_filters.ChoiceFilter(choices=ComplaintChannel.choices)
    organisation = django_filters.UUIDFilter(field_name="organisation__uuid")
    service = django_filters.CharFilter(field_name="service__code")
    breached = django_filters.BooleanFilter(field_name="response_breached")
    received_after = django_filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="gte")
    received_before = django_filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="lt")

    class Meta:
        model = Complaint
        fields = [
            "status", "severity", "channel", "organisation", "service", "breached",
            "received_after", "received_before",
        ]  # fmt: skip


class ComplaintViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Complaints visible to the signed-in user."""

    serializer_class = ComplaintSerializer
    filterset_class = ComplaintFilter
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = Complaint.objects.none()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        language = getattr(request.user, "language", "")
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()

    def handle_exception(self, exc):
        if isinstance(exc, DjangoValidationError) and any(
            getattr(e, "code", None) == "stale" for e in getattr(exc, "error_list", [])
        ):
            exc = PreconditionFailed()
        return super().handle_exception(exc)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return (
            Complaint.objects.visible_to(self.request.user)
            .select_related(*COMPLAINT_RELATED)
            .order_by("-pk")
        )

    def _respond(self, complaint, code=status.HTTP_200_OK):
        complaint = Complaint.objects.select_related(*COMPLAINT_RELATED).get(pk=complaint.pk)
        response = Response(ComplaintSerializer(complaint).data, status=code)
        response["ETag"] = f'"{complaint.version}"'
        return response

    def retrieve(self, request, reference=None):
        return self._respond(get_complaint_for(request.user, reference))

    def create(self, request):
        role = complaint_role(request.user)
        if role is None:
            raise PermissionDenied  # before validation: read-only staff cannot probe
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if role == CUSTOMER:
            data.setdefault("organisation", request.user.organisation)
        else:
            missing = {
                name: [gettext_lazy("This field is required.")]
                for name in ("organisation", "channel")
                if name not in data
            }
            if missing:
                raise serializers.ValidationError(missing)
        complaint = services.complaint_create(actor=request.user, **data)
        return self._respond(complaint, status.HTTP_201_CREATED)

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request, reference=None):
        complaint = get_complaint_for(request.user, reference, write=True)
        if complaint_role(request.user, complaint) != STAFF:
            raise PermissionDenied
        serializer = self.get_serializer(complaint, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        for fixed in ("organisation", "received_at"):
            if fixed in data and data.pop(fixed) != getattr(complaint, fixed):
                raise serializers.ValidationError(
                    {fixed: ["Fixed once the complaint is received."]}
                )
        complaint = services.complaint_update(
            actor=request.user, complaint=complaint, expected_version=if_match(request), **data
        )
        return self._respond(complaint)

    @extend_schema(request=ComplaintTransitionSerializer, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def transition(self, request, reference=None):
        """Move the complaint: acknowledge, investigate, respond (with the response), close
        (with the customer's acceptance recorded), reopen (with a reason)."""
        complaint = get_complaint_for(request.user, reference, write=True)
        serializer = ComplaintTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        complaint = lifecycle.complaint_transition(
            actor=request.user,
            complaint=complaint,
            expected_version=if_match(request),
            **serializer.validated_data,
        )
        return self._respond(complaint)

    @extend_schema(request=AcceptanceSerializer, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def acceptance(self, request, reference=None):
        """Record the customer's answer to the response (a responded complaint)."""
        complaint = get_complaint_for(request.user, reference, write=True)
        serializer = AcceptanceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        complaint = lifecycle.complaint_acceptance_record(
            actor=request.user,
            complaint=complaint,
            expected_version=if_match(request),
            **serializer.validated_data,
        )
        return self._respond(complaint)

    @extend_schema(methods=["GET"], responses={200: ComplaintNoteSerializer(many=True)})
    @extend_schema(
        methods=["POST"], request=ComplaintNoteSerializer, responses={201: ComplaintNoteSerializer}
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def notes(self, request, reference=None):
        """Investigation notes: staff only (they do not exist for customers)."""
        if not request.user.has_capability(Capability.STAFF):
            raise Http404
        if request.method == "POST":
            complaint = get_complaint_for(request.user, reference, write=True)
            serializer = ComplaintNoteSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            note = services.complaint_note_add(
                actor=request.user, complaint=complaint, body=serializer.validated_data["body"]
            )
            return Response(ComplaintNoteSerializer(note).data, status=status.HTTP_201_CREATED)
        complaint = get_complaint_for(request.user, reference)
        notes = complaint.notes.select_related("author")
        return Response(ComplaintNoteSerializer(notes, many=True).data)


ROUTES: list = [("complaints", ComplaintViewSet, "complaint")]
