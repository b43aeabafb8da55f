"""Shared pieces of the suppliers part's API: customers get 404 from every endpoint, a
stale ``If-Match`` is a 412."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status, viewsets
from rest_framework.exceptions import APIException, NotFound
from rest_framework.response import Response

from serviceloop.core.models import User
from serviceloop.core.roles import PROVIDER_ROLES, Capability
from serviceloop.relationship.permissions_suppliers import (
    require_supplier_writer,
)


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = gettext_lazy(
        "The record changed since you read it. Read it again and repeat your change."
    )
    default_code = "precondition_failed"


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=gettext_lazy(
        'Optional: the record\'s ETag as last read, e.g. "3"; 412 if it changed since.'
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


def staff_people():
    return User.objects.filter(is_active=True, role__in=PROVIDER_ROLES)


class StaffOnlyViewSet(viewsets.GenericViewSet):
    """Customers get 404 from every endpoint (the records do not exist for them); a stale
    ``If-Match`` is a 412; a service's ValidationError a 400."""

    lookup_field = "uuid"
    lookup_url_kwarg = "id"

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not request.user.has_capability(Capability.STAFF):
            raise NotFound

    def handle_exception(self, exc):
        if isinstance(exc, DjangoValidationError) and any(
            getattr(e, "code", None) == "stale" for e in getattr(exc, "error_list", [])
        ):
            exc = PreconditionFailed()
        return super().handle_exception(exc)

    def _writer(self):
        require_supplier_writer(self.request.user)

    def _respond(self, obj, code=status.HTTP_200_OK):
        obj = self.get_queryset().get(pk=obj.pk)
        response = Response(self.get_serializer(obj).data, status=code)
        if hasattr(obj, "version"):
            response["ETag"] = f'"{obj.version}"'
        return response
