"""The API's conditional requests, shared by the desk's endpoints: optimistic concurrency
(every record response carries ``ETag: "<version>"``; a change needs ``If-Match`` with that
tag: 428 without it, 412 when the record changed meanwhile), ``Idempotency-Key`` on create
(409 when the key was used for another request), and the error bodies the schema names."""

import re

from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers, status
from rest_framework.exceptions import APIException

IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,190}$")


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


def etag(ticket) -> str:
    return f'"{ticket.version}"'


def expected_version(request, ticket) -> int | None:
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
