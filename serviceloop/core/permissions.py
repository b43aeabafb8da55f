"""One lookup helper per kind of object, used by views and the API alike.

Each returns the object if the user may see it, raises Http404 if he may not (outsiders
never learn that the object exists), and raises PermissionDenied (403) when he may see it
but asked to change it without the right to.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from serviceloop.core.models import (
    Attachment,
    AuditEvent,
    Calendar,
    Notification,
    Organisation,
    Team,
    User,
)
from serviceloop.core.roles import Capability


def user_can(user, capability: Capability) -> bool:
    return bool(user.is_authenticated and user.has_capability(capability))


def require(user, capability: Capability) -> None:
    """403 unless the user holds ``capability``."""
    if not user_can(user, capability):
        raise PermissionDenied


def _get_visible(queryset, user, **lookup):
    try:
        return queryset.visible_to(user).get(**lookup)
    except (
        queryset.model.DoesNotExist,
        ValueError,
        TypeError,
        OverflowError,
        ValidationError,
    ) as exc:
        raise Http404 from exc


def get_organisation_for(user, pk, *, write: bool = False) -> Organisation:
    organisation = _get_visible(Organisation.objects, user, pk=pk)
    if write:
        require(user, Capability.ADMINISTER)
    return organisation


def get_person_for(user, pk, *, write: bool = False) -> User:
    person = _get_visible(User.objects.select_related("organisation"), user, pk=pk)
    if write and person.pk != user.pk:
        require(user, Capability.ADMINISTER)
    return person


def get_team_for(user, pk, *, write: bool = False) -> Team:
    team = _get_visible(Team.objects.select_related("organisation", "lead"), user, pk=pk)
    if write:
        require(user, Capability.ADMINISTER)
    return team


def get_calendar_for(user, pk, *, write: bool = False) -> Calendar:
    calendar = _get_visible(Calendar.objects, user, pk=pk)
    if write:
        require(user, Capability.ADMINISTER)
    return calendar


def get_attachment_for(user, uuid) -> Attachment:
    return _get_visible(Attachment.objects, user, uuid=uuid)


def get_notification_for(user, pk) -> Notification:
    return _get_visible(Notification.objects, user, pk=pk)


def get_audit_event_for(user, pk) -> AuditEvent:
    return _get_visible(AuditEvent.objects, user, pk=pk)
