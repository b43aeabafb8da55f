"""Who may read the clause model: provider staff. To anyone else it does not exist (404)."""

from django.http import Http404
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission

from serviceloop.conformity.models import Clause
from serviceloop.core.permissions import user_can
from serviceloop.core.roles import Capability


def require_staff(user) -> None:
    """404 unless the user is provider staff (customers never learn these pages exist)."""
    if not user_can(user, Capability.STAFF):
        raise Http404


def get_clause_for(user, number: str) -> Clause:
    """The clause by number if the user may read it (staff), else 404."""
    try:
        return Clause.objects.visible_to(user).select_related("parent").get(number=number)
    except (Clause.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


class ProviderStaffOr404(BasePermission):
    """API: anonymous callers are refused (401/403), signed-in non-staff get 404."""

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        if not request.user.has_capability(Capability.STAFF):
            raise NotFound
        return True
