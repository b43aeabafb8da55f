"""Who may see and change customer accounts, contacts, reviews, actions and surveys.

One lookup helper per kind of object, used by the screens and the API alike: it returns the
object if the user may see it, raises Http404 if he may not (a customer never learns that
another customer's record exists), and PermissionDenied (403) when he may see it but asks to
change it without the right to (auditors, top management, customers).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from serviceloop.core.roles import Capability
from serviceloop.relationship.models import (
    CustomerAccount,
    CustomerContact,
    ReviewAction,
    ReviewMeeting,
    Survey,
    SurveyResponse,
)


def can_write_relationship(user) -> bool:
    """Provider staff who work operational records or the management system keep customer
    accounts, contacts, reviews and surveys; other staff read them only."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.has_capability(Capability.STAFF)
        and (
            user.has_capability(Capability.OPERATE) or user.has_capability(Capability.MANAGE_SYSTEM)
        )
    )


def require_relationship_writer(user) -> None:
    if not can_write_relationship(user):
        raise PermissionDenied


def is_staff(user) -> bool:
    return bool(user.is_authenticated and user.has_capability(Capability.STAFF))


def customers_prefetch(user, lookup: str = "customers"):
    """Prefetch of a record's customer organisations as ``user`` may see them: a customer sees
    only his own among the parties of a multi-customer SLA or survey, never the others."""
    from django.db.models import Prefetch

    from serviceloop.core.models import Organisation

    if is_staff(user):
        return Prefetch(lookup, queryset=Organisation.objects.order_by("name"))
    return Prefetch(lookup, queryset=Organisation.objects.filter(pk=user.organisation_id))


def _get(queryset, user, **lookup):
    try:
        return queryset.visible_to(user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError, OverflowError, ValidationError):
        raise Http404 from None


def get_account_for(user, pk, *, write: bool = False) -> CustomerAccount:
    account = _get(
        CustomerAccount.objects.select_related("organisation", "account_manager"), user, pk=pk
    )
    if write:
        require_relationship_writer(user)
    return account


def get_contact_for(user, pk, *, write: bool = False) -> CustomerContact:
    contact = _get(
        CustomerContact.objects.select_related("account__organisation", "user"), user, pk=pk
    )
    if write:
        require_relationship_writer(user)
    return contact


def get_review_for(user, reference, *, write: bool = False) -> ReviewMeeting:
    review = _get(
        ReviewMeeting.objects.select_related(
            "account__organisation", "account__account_manager", "created_by"
        ),
        user,
        reference=reference,
    )
    if write:
        require_relationship_writer(user)
    return review


def get_review_action_for(user, pk, *, write: bool = False) -> ReviewAction:
    """With ``write``: staff who keep reviews edit actions; the status moves are checked by
    ``review_action_transition`` (an action's owner may mark it done)."""
    action = _get(
        ReviewAction.objects.select_related("review__account__organisation", "owner"),
        user,
        pk=pk,
    )
    if write:
        require_relationship_writer(user)
    return action


def get_survey_for(user, reference, *, write: bool = False) -> Survey:
    survey = _get(Survey.objects.select_related("created_by"), user, reference=reference)
    if write:
        require_relationship_writer(user)
    return survey


def get_survey_response_for(user, pk) -> SurveyResponse:
    return _get(
        SurveyResponse.objects.select_related("survey", "organisation", "contact", "service"),
        user,
        pk=pk,
    )
