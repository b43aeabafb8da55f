"""What the transition API modules share: who may call them (staff; everyone else 404) and
optimistic concurrency (``ETag`` is the record's version; ``If-Match`` names the version read:
428 without it where it is required, 412 when the record moved on meanwhile)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import permissions, status
from rest_framework.exceptions import APIException

from serviceloop.transition.permissions import is_staff


class StaffOr404(permissions.BasePermission):
    """Change and release management is the provider's: to anyone else it does not exist."""

    def has_permission(self, request, view):
        if not request.user.is_authenticated:
            return False
        if not is_staff(request.user):
            raise Http404
        return True


class PreconditionRequired(APIException):
    status_code = 428
    default_detail = gettext_lazy(
        "Send If-Match with the ETag of the record as you read it, so that nobody's change "
        "is overwritten."
    )
    default_code = "precondition_required"


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = gettext_lazy(
        "The record changed since you read it. Read it again and repeat your change."
    )
    default_code = "precondition_failed"


def expected_version(request, obj, *, required: bool = True) -> int | None:
    """The version named by ``If-Match`` (None for ``*`` or, when not required, no header)."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        if required:
            raise PreconditionRequired
        return None
    tags = [tag.strip() for tag in header.split(",")]
    if "*" in tags:
        return None
    for tag in tags:
        value = tag.removeprefix("W/").strip('"')
        if value.isdigit() and int(value) == obj.version:
            return obj.version
    raise PreconditionFailed


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description=gettext_lazy('The record\'s ETag as last read, e.g. "3".'),
)


class TransitionViewSetMixin:
    permission_classes = [StaffOr404]

    def handle_exception(self, exc):
        if isinstance(exc, DjangoValidationError) and any(
            getattr(e, "code", None) == "stale" for e in getattr(exc, "error_list", [])
        ):
            exc = PreconditionFailed()
        return super().handle_exception(exc)
