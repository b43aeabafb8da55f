"""Pieces shared by the customers and agreements API modules: choice fields, optimistic concurrency (``ETag`` /
``If-Match``), and service errors as HTTP answers."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers, status
from rest_framework.exceptions import APIException

IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="The ETag read before the change; a stale one gets 412.",
)


def inline_choice_field(choices):
    """A ChoiceField class over ``choices`` (its enum is named in ENUM_NAME_OVERRIDES)."""

    class InlineChoiceField(serializers.ChoiceField):
        def __init__(self, **kwargs):
            super().__init__(choices=choices, **kwargs)

    return InlineChoiceField


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = gettext_lazy(
        "The record changed since you read it. Read it again and repeat your change."
    )
    default_code = "precondition_failed"


def if_match(request, current_version: int) -> int | None:
    """The version named by ``If-Match`` (None without the header or for ``*``); 412 when no
    tag in it is the record's current version."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        return None
    tags = [tag.strip() for tag in header.split(",")]
    if "*" in tags:
        return None
    for tag in tags:
        value = tag.removeprefix("W/").strip('"')
        if value.isdigit() and int(value) == current_version:
            return current_version
    raise PreconditionFailed


class StaleAsPreconditionFailed:
    """A service's "someone else changed it" (code ``stale``) becomes a 412."""

    def handle_exception(self, exc):
        if (
            isinstance(exc, DjangoValidationError)
            and not hasattr(exc, "error_dict")
            and any(getattr(e, "code", None) == "stale" for e in exc.error_list)
        ):
            exc = PreconditionFailed()
        return super().handle_exception(exc)


def with_etag(response, version: int):
    response["ETag"] = f'"{version}"'
    return response
