"""Who may see, edit, submit and agree SLAs and OLAs.

Staff see every agreement; a customer sees the agreed and superseded versions of the SLAs
naming his organisation, never a draft (404), never an OLA (404). Staff who keep the
relationship (operate or manage-system capability) draft versions; only the *submitters*
(the account manager of one of an SLA's customers, the lead of one of an OLA's teams, or a
holder of the manage-system capability) submit a version for review, and one of them other
than the version's author agrees it.
"""

from django.core.exceptions import ValidationError
from django.http import Http404

from serviceloop.core.roles import Capability
from serviceloop.relationship.models import (
    AGREEMENT_APPROVER,
    AGREEMENT_AUTHOR,
    AGREEMENT_SUBMITTER,
    Agreement,
    AgreementKind,
    AgreementVersion,
    CustomerAccount,
)
from serviceloop.relationship.permissions_customers import (
    can_write_relationship,
    require_relationship_writer,
)

AGREEMENT_WRITER = "writer"


def is_agreement_submitter(user, agreement: Agreement) -> bool:
    """May submit the agreement's versions (and, when not their author, agree them)."""
    if not (user.is_authenticated and user.is_active and user.has_capability(Capability.STAFF)):
        return False
    if user.has_capability(Capability.MANAGE_SYSTEM):
        return True
    if agreement.kind == AgreementKind.SLA:
        return CustomerAccount.objects.filter(
            organisation__in=agreement.customers.all(), account_manager=user
        ).exists()
    return agreement.teams.filter(lead=user, is_active=True).exists()


def agreement_roles(user, agreement: Agreement, version: AgreementVersion | None = None) -> set:
    """The roles ``user`` holds on the agreement (and on ``version``): ``writer`` (edits
    drafts), ``submitter``, ``approver`` (a submitter who is not the version's author),
    ``author``."""
    roles = set()
    if can_write_relationship(user):
        roles.add(AGREEMENT_WRITER)
    author = version is not None and version.author_id == getattr(user, "pk", None)
    if author:
        roles.add(AGREEMENT_AUTHOR)
    if is_agreement_submitter(user, agreement):
        roles.add(AGREEMENT_SUBMITTER)
        if not author:
            roles.add(AGREEMENT_APPROVER)
    return roles


def get_agreement_for(user, reference, *, write: bool = False) -> Agreement:
    try:
        agreement = (
            Agreement.objects.visible_to(user).select_related("created_by").get(reference=reference)
        )
    except (Agreement.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404 from None
    if write:
        require_relationship_writer(user)
    return agreement


def get_agreement_version_for(user, reference, number, *, write: bool = False):
    try:
        version = (
            AgreementVersion.objects.visible_to(user)
            .select_related("agreement", "author", "agreed_by", "submitted_by", "superseded_by")
            .get(agreement__reference=reference, number=number)
        )
    except (AgreementVersion.DoesNotExist, ValueError, TypeError, OverflowError, ValidationError):
        raise Http404 from None
    if write:
        require_relationship_writer(user)
    return version


def get_agreement_version_by_uuid(user, uuid, *, write: bool = False):
    try:
        version = (
            AgreementVersion.objects.visible_to(user)
            .select_related("agreement", "author", "agreed_by", "submitted_by", "superseded_by")
            .get(uuid=uuid)
        )
    except (AgreementVersion.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404 from None
    if write:
        require_relationship_writer(user)
    return version
