"""Named reads of documented information: the document and campaign lists, a campaign's
progress, a person's reading list, and the acknowledgement rate behind the "policy execution
rate" KPI."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from serviceloop.core.models import User
from serviceloop.core.roles import ROLE_CAPABILITIES, Capability
from serviceloop.support.models import (
    Acknowledgement,
    AcknowledgementCampaign,
    CampaignStatus,
    Document,
    DocumentSignoff,
    DocumentStatus,
    DocumentVersion,
    VersionStatus,
    documents_read_all,
)

# The capabilities that let a member of staff approve documents (services_documents'
# documents_may_approve: review, or the editors' manage-system and administer).
DOCUMENT_APPROVER_CAPABILITIES = frozenset(
    {Capability.REVIEW, Capability.MANAGE_SYSTEM, Capability.ADMINISTER}
)


def documents_for_list(
    user,
    *,
    q: str = "",
    kind: str = "",
    status: str = "",
    owner=None,
    clause: str = "",
    overdue: bool = False,
    self_signed: bool = False,
    today: datetime.date | None = None,
) -> QuerySet:
    """The documents ``user`` may see, filtered, with owner and versions loaded (a fixed
    number of queries for any page). ``status`` is the document's status, or ``open`` for
    documents whose newest version is a draft, in review or approved. Each carries
    ``self_signed``: a version was approved or reviewed by its own author (the recorded
    exception; for readers of what is in force only, the version in force);
    ``self_signed=True`` keeps only those."""
    documents = Document.objects.visible_to(user).annotate(
        self_signed=Exists(self_signed_versions(user).filter(document_id=OuterRef("pk")))
    )
    if self_signed:
        documents = documents.filter(self_signed=True)
    if q:
        documents = documents.filter(Q(reference__icontains=q) | Q(title__icontains=q))
    if kind:
        documents = documents.filter(kind=kind)
    if status == "open":
        documents = documents.filter(
            current_version__status__in=[
                VersionStatus.DRAFT,
                VersionStatus.IN_REVIEW,
                VersionStatus.APPROVED,
            ]
        )
    elif status:
        documents = documents.filter(status=status)
    if owner is not None:
        documents = documents.filter(owner=owner)
    if clause:
        # clauses are stored as "7.5, 8.6.1": match whole numbers only
        documents = documents.filter(
            Q(clauses=clause)
            | Q(clauses__startswith=f"{clause}, ")
            | Q(clauses__endswith=f", {clause}")
            | Q(clauses__contains=f", {clause}, ")
        )
    if overdue:
        documents = documents.review_overdue(today)
    return documents.select_related("owner", "current_version", "effective_version").order_by(
        "reference"
    )


def self_signed_versions(user) -> QuerySet:
    """The versions approved or reviewed by their own author, as a recorded exception (the
    lone author's, ``services_document_signoffs``), that ``user`` may know of: every one for
    readers of everything, the versions in force for other staff."""
    versions = DocumentVersion.objects.filter(
        Q(approved_by_author=True)
        | Exists(DocumentSignoff.objects.filter(version_id=OuterRef("pk"), by_author=True))
    )
    if not documents_read_all(user):
        versions = versions.filter(status=VersionStatus.EFFECTIVE)
    return versions


@dataclass(frozen=True)
class CampaignProgress:
    asked: int
    acknowledged: int
    on_time: int

    @property
    def outstanding(self) -> int:
        return self.asked - self.acknowledged

    @property
    def percent(self) -> int | None:
        return round(100 * self.acknowledged / self.asked) if self.asked else None


def campaigns_for_list(user, *, status: str = "", document=None, overdue=False, today=None):
    """The campaigns ``user`` may see, with their counts (``asked``, ``acknowledged_count``)
    as annotations."""
    today = today or timezone.localdate()
    campaigns = AcknowledgementCampaign.objects.visible_to(user)
    if status:
        campaigns = campaigns.filter(status=status)
    if document is not None:
        campaigns = campaigns.filter(document=document)
    if overdue:
        campaigns = campaigns.filter(status=CampaignStatus.OPEN, deadline__lt=today)
    return (
        AcknowledgementCampaign.objects.filter(pk__in=campaigns.values("pk"))
        .select_related("document", "version", "created_by")
        .annotate(
            asked=Count("acknowledgements", distinct=True),
            acknowledged_count=Count(
                "acknowledgements",
                filter=Q(acknowledgements__acknowledged_at__isnull=False),
                distinct=True,
            ),
        )
        .order_by("-created_at", "-id")
    )


def campaign_progress(campaign: AcknowledgementCampaign) -> CampaignProgress:
    rows = list(campaign.acknowledgements.values_list("acknowledged_at", flat=True))
    acknowledged = [at for at in rows if at is not None]
    on_time = [at for at in acknowledged if timezone.localdate(at) <= campaign.deadline]
    return CampaignProgress(len(rows), len(acknowledged), len(on_time))


def campaign_rows(campaign: AcknowledgementCampaign) -> QuerySet:
    """Everyone asked, outstanding first."""
    return campaign.acknowledgements.select_related("person__organisation").order_by(
        "-acknowledged_at", "person__username"
    )


# The roles whose holders may approve documents (staff with one of those capabilities).
DOCUMENT_APPROVER_ROLES = frozenset(
    role
    for role, capabilities in ROLE_CAPABILITIES.items()
    if Capability.STAFF in capabilities and capabilities & DOCUMENT_APPROVER_CAPABILITIES
)
# Whom a version may name as reviewer: any member of staff.
DOCUMENT_REVIEWER_ROLES = frozenset(
    role for role, capabilities in ROLE_CAPABILITIES.items() if Capability.STAFF in capabilities
)


def _colleagues_of(person) -> QuerySet:
    """The other active people of ``person``'s organisation."""
    return (
        User.objects.filter(is_active=True, organisation_id=person.organisation_id)
        .exclude(pk=person.pk)
        .order_by("display_name", "username")
    )


def document_approvers_besides(person) -> QuerySet:
    """The other active people of ``person``'s organisation who may approve documents (top
    management, management-system owners, administrators). Empty: ``person`` is the only
    one, the case in which an author may approve his own version as a recorded exception."""
    return _colleagues_of(person).filter(role__in=list(DOCUMENT_APPROVER_ROLES))


def document_reviewers_besides(person) -> QuerySet:
    """The other active members of staff of ``person``'s organisation (anyone of them may be
    named reviewer). Empty: an author may review his own version as a recorded exception."""
    return _colleagues_of(person).filter(role__in=list(DOCUMENT_REVIEWER_ROLES))


def approvers_besides_author(version: DocumentVersion) -> QuerySet:
    """Who may approve ``version``, its author apart: the active approvers named on it, or
    else everyone of the author's organisation whose role may approve documents (top
    management, the management-system owner, administrators). Empty: nobody can approve it
    yet."""
    if version.approvers.exists():
        return version.approvers.filter(
            is_active=True, role__in=list(DOCUMENT_APPROVER_ROLES)
        ).exclude(pk=version.author_id)
    return document_approvers_besides(version.author)


def reading_list(user, *, outstanding_only: bool = True) -> QuerySet:
    """The acknowledgements asked of ``user`` (open campaigns, outstanding first)."""
    rows = Acknowledgement.objects.filter(person=user).select_related(
        "campaign__document", "campaign__version"
    )
    if outstanding_only:
        rows = rows.filter(acknowledged_at__isnull=True, campaign__status=CampaignStatus.OPEN)
    return rows.order_by("acknowledged_at", "campaign__deadline", "pk")


def open_acknowledgements_for(user, document: Document) -> list[Acknowledgement]:
    """The open campaigns asking ``user`` to read ``document`` that he has not acknowledged."""
    if not user.is_authenticated:
        return []
    return list(
        Acknowledgement.objects.filter(
            person=user,
            campaign__document=document,
            campaign__status=CampaignStatus.OPEN,
            acknowledged_at__isnull=True,
        ).select_related("campaign__version")
    )


@dataclass(frozen=True)
class AcknowledgementRate:
    """Of the acknowledgements asked by campaigns whose deadline fell in a period: how many
    were given by the deadline (``on_time``), how many at all, and the on-time share."""

    asked: int
    acknowledged: int
    on_time: int

    @property
    def rate(self) -> float | None:
        """On-time acknowledgements per acknowledgement asked, in percent (None: none asked)."""
        return round(100 * self.on_time / self.asked, 1) if self.asked else None


def _as_date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value


def acknowledgement_rate(start, end) -> AcknowledgementRate:
    """The acknowledgement rate of campaigns whose deadline falls in ``[start, end)``
    (dates, or datetimes taken as their date in TIME_ZONE), closed campaigns included.

    An acknowledgement counts as on time when given on or before its campaign's deadline
    (by the date in TIME_ZONE). This is the "policy execution rate" of the KPI set: read
    ``.rate`` (percent, one decimal) or the counts. One query."""
    start, end = _as_date(start), _as_date(end)
    rows = Acknowledgement.objects.filter(
        campaign__deadline__gte=start, campaign__deadline__lt=end
    ).values_list("campaign__deadline", "acknowledged_at")
    asked = acknowledged = on_time = 0
    for deadline, acknowledged_at in rows.iterator(chunk_size=5000):
        asked += 1
        if acknowledged_at is not None:
            acknowledged += 1
            on_time += timezone.localdate(acknowledged_at) <= deadline
    return AcknowledgementRate(asked, acknowledged, on_time)


def document_counts(user, today=None) -> dict:
    """Figures for the list header: in force, open revisions, review overdue."""
    today = today or timezone.localdate()
    documents = Document.objects.visible_to(user)
    return documents.aggregate(
        effective=Count("pk", filter=Q(status=DocumentStatus.EFFECTIVE)),
        overdue=Count("pk", filter=Q(status=DocumentStatus.EFFECTIVE, next_review__lt=today)),
    )
