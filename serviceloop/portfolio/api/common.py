"""What the portfolio's API viewsets share: optimistic concurrency with ``ETag``/``If-Match``
(optional here: without ``If-Match`` the change applies to the current version; with it, a
stale tag answers 412) and the mapping of a service's "stale" error to 412.

Choice values (statuses, relation kinds, roles) travel as plain strings documented in each
field's help text: the services validate them, and the OpenAPI schema keeps one enum name
per choice set across the whole API.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.response import Response

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description='The ETag you read (e.g. "3"); a changed record answers 412.',
)


class RecordChanged(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = gettext_lazy(
        "The record changed since you read it. Read it again and repeat your change."
    )
    default_code = "precondition_failed"


def if_match_version(request, obj) -> int | None:
    """The version ``If-Match`` names (None without the header or with ``*``); 412 when it
    does not name the record's current version."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        return None
    tags = [tag.strip() for tag in header.split(",")]
    if "*" in tags:
        return None
    for tag in tags:
        value = tag.removeprefix("W/").strip('"')
        if value.isdigit() and int(value) == obj.version:
            return obj.version
    raise RecordChanged


def with_etag(response: Response, obj) -> Response:
    response["ETag"] = f'"{obj.version}"'
    return response


class StaleToPreconditionMixin:
    """A service's "stale" ValidationError (a concurrent change) becomes 412."""

    def handle_exception(self, exc):
        if isinstance(exc, DjangoValidationError) and any(
            getattr(e, "code", None) == "stale" for e in getattr(exc, "error_list", [])
        ):
            exc = RecordChanged()
        return super().handle_exception(exc)
