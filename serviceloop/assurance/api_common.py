"""What the assurance API modules share: who may call them (staff; everyone else 404),
choice fields named for the OpenAPI schema, and optimistic concurrency (``ETag`` is the
record's version; an optional ``If-Match`` that is stale gets 412)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, NotFound
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from serviceloop.core.roles import Capability

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="The ETag read before the change; a stale one gets 412.",
)


def choice_text(choices, **kwargs) -> serializers.CharField:
    """A choice field as plain text in the schema, its values listed in its description.

    Not an OpenAPI enum: drf-spectacular names enums after their field, and a second choice
    set under a common field name ("source", "status", "kind") would rename another app's
    enum and warn. The services check the values (400 with their message)."""
    values = " | ".join(value for value, _label in choices)
    kwargs.setdefault("help_text", f"One of: {values}")
    if not kwargs.get("read_only"):
        kwargs.setdefault("max_length", 40)
    return serializers.CharField(**kwargs)


@extend_schema_field({"type": "string", "nullable": True, "readOnly": True})
class TicketReferenceField(serializers.Field):
    """The reference of a record's ticket, or null when there is none or when it is a
    confidential ticket the caller is not cleared for (security incidents are not named to
    everyone who reads outages or invocations). Lists annotate ``ticket_hidden``
    (``queries.ticket_hidden_from``) so a page costs no query per row; a single record
    asks the desk's visibility once."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        kwargs.setdefault("source", "*")
        super().__init__(**kwargs)

    def to_representation(self, record):
        ticket = record.ticket
        if ticket is None:
            return None
        hidden = getattr(record, "ticket_hidden", None)
        if hidden is None and ticket.confidential:
            from serviceloop.desk.models import Ticket

            user = self.context["request"].user
            hidden = not Ticket.objects.visible_to(user).filter(pk=ticket.pk).exists()
        return None if hidden else ticket.reference


class StaffOr404(BasePermission):
    """Anonymous callers are refused (401/403); signed-in people outside the provider's staff
    get 404: to them these records do not exist."""

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        if not request.user.has_capability(Capability.STAFF):
            raise NotFound
        return True


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = gettext_lazy(
        "The record changed since you read it. Read it again and repeat your change."
    )
    default_code = "precondition_failed"


def if_match(request, record) -> int | None:
    """The version named by ``If-Match`` (None without it or for ``*``); 412 when stale."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        return None
    tags = [tag.strip().removeprefix("W/").strip('"') for tag in header.split(",")]
    if "*" in tags:
        return None
    if str(record.version) in tags:
        return record.version
    raise PreconditionFailed


class AssuranceViewSetMixin:
    permission_classes = [StaffOr404]

    def handle_exception(self, exc):
        if isinstance(exc, DjangoValidationError) and any(
            getattr(error, "code", None) == "stale" for error in getattr(exc, "error_list", [])
        ):
            exc = PreconditionFailed()
        return super().handle_exception(exc)

    def respond(self, instance, code=status.HTTP_200_OK):
        instance = self.get_queryset().get(pk=instance.pk)
        response = Response(self.get_serializer(instance).data, status=code)
        if hasattr(instance, "version"):
            response["ETag"] = f'"{instance.version}"'
        return response

    def retrieve(self, request, *args, **kwargs):
        return self.respond(self.get_object())


def required(data: dict, *names) -> None:
    """400 naming the fields a creation needs and did not get."""
    missing = [name for name in names if name not in data]
    if missing:
        raise serializers.ValidationError(
            {name: [gettext_lazy("This field is required.")] for name in missing}
        )
