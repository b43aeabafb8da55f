"""Shared pieces of the clause 4–6 API modules (``api_context``, ``api_objectives``,
``api_risks``, ``api_tailoring``): the permission class, choice fields with their own
OpenAPI enum id, and optimistic concurrency (``ETag`` = the record's version, ``If-Match``
checked, 412 when stale); ``planning.api``'s gap-analysis endpoints use them too."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from serviceloop.conformity.permissions import ProviderStaffOr404

IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="The ETag read before the change; a stale one gets 412.",
)


def enum_field(choices, enum_id: str, **kwargs) -> serializers.ChoiceField:
    """A ChoiceField whose OpenAPI enum carries its own id (no clash with another app's
    choice set of the same values)."""
    schema = {
        "type": "string",
        "enum": [value for value, _label in choices],
        "x-spec-enum-id": enum_id,
    }

    @extend_schema_field(schema)
    class EnumField(serializers.ChoiceField):
        pass

    return EnumField(choices=choices, **kwargs)


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = gettext_lazy(
        "The record changed since you read it. Read it again and repeat your change."
    )
    default_code = "precondition_failed"


def if_match(request, record) -> int | None:
    """The version named by ``If-Match`` (None without it or for ``*``); 412 if stale."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        return None
    tags = [tag.strip().removeprefix("W/").strip('"') for tag in header.split(",")]
    if "*" in tags:
        return None
    if str(record.version) in tags:
        return record.version
    raise PreconditionFailed


class ManagementViewSetMixin:
    permission_classes = [ProviderStaffOr404]

    def handle_exception(self, exc):
        if isinstance(exc, DjangoValidationError) and any(
            getattr(error, "code", None) == "stale" for error in getattr(exc, "error_list", [])
        ):
            exc = PreconditionFailed()
        return super().handle_exception(exc)

    def respond(self, instance, code=status.HTTP_200_OK):
        instance = self.get_queryset().get(pk=instance.pk)
        response = Response(self.get_serializer(instance).data, status=code)
        response["ETag"] = f'"{instance.version}"'
        return response

    def retrieve(self, request, *args, **kwargs):
        return self.respond(self.get_object())
