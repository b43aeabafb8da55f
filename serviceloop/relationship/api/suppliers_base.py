"""Shared pieces of the suppliers part's API: customers get 404 from every endpoint, a
stale ``If-Match`` is a 412; retrieve, create, change and ``transition`` go through the
part's permission helpers and services the same way for every record."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
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
    ``If-Match`` is a 412; a service's ValidationError a 400.

    A subclass names ``record_getter`` (its ``permissions_suppliers.get_<record>_for``, as a
    staticmethod) and ``record_arg`` (the keyword its services take the record by)."""

    lookup_field = "uuid"
    lookup_url_kwarg = "id"
    record_getter = None
    record_arg = ""

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

    def get_record(self, *, write: bool = False):
        """The record the URL names (404 when the user may not see it; 403 on ``write`` for
        the read-only roles)."""
        lookup = {self.lookup_field: self.kwargs[self.lookup_url_kwarg]}
        return self.record_getter(self.request.user, write=write, **lookup)

    def retrieve(self, request, *args, **kwargs):
        return self._respond(self.get_record())

    def _create(self, service, *, only=(), ignore=()):
        """Validate the body with the viewset's serializer (writers only) and create the
        record through ``service``; ``only`` / ``ignore`` narrow what is passed on. 201."""
        self._writer()
        serializer = self.get_serializer(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        data = {
            name: value
            for name, value in serializer.validated_data.items()
            if (not only or name in only) and name not in ignore
        }
        return self._respond(service(actor=self.request.user, **data), status.HTTP_201_CREATED)

    def _update(self, service, *, fixed=(), fixed_message="", versioned=True):
        """Apply the body as a partial change of the URL's record through ``service``; a
        change to a ``fixed`` field is a 400 (``fixed_message``); ``versioned`` services get
        the ``If-Match`` version."""
        record = self.get_record(write=True)
        serializer = self.get_serializer(record, data=self.request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        for name in fixed:
            if name in data and data.pop(name) != getattr(record, name):
                raise serializers.ValidationError({name: [fixed_message]})
        if versioned:
            data["expected_version"] = if_match(self.request)
        return self._respond(service(actor=self.request.user, **{self.record_arg: record}, **data))

    def _respond(self, obj, code=status.HTTP_200_OK):
        obj = self.get_queryset().get(pk=obj.pk)
        response = Response(self.get_serializer(obj).data, status=code)
        if hasattr(obj, "version"):
            response["ETag"] = f'"{obj.version}"'
        return response


def transition_action(body_serializer, service):
    """A ``transition`` action (POST, detail) moving the URL's record along its lifecycle:
    ``service(actor, <record_arg>=record, expected_version=<If-Match>, **body)``."""

    @extend_schema(request=body_serializer, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def transition(self, request, *args, **kwargs):
        record = self.get_record(write=True)
        serializer = body_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = service(
            actor=request.user,
            expected_version=if_match(request),
            **{self.record_arg: record},
            **serializer.validated_data,
        )
        return self._respond(record)

    return transition
