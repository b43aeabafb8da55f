"""Documented information (clause 7.5): controlled documents, their versions with reviewers and
approvers, and read-and-acknowledge campaigns.

A *document* (``DOC-2026-0001``) holds its metadata: title, kind, owner, the clauses it serves
(as text: support never imports the conformity app) and its review interval. Its text lives in
*versions*, each moving along a lifecycle declared as data (``VERSION_TRANSITIONS``):

    draft → in review → approved → effective → obsolete

The author never approves (or reviews) his own version, with one recorded exception: when
nobody else in the organisation may approve (or review) it, as in a small provider whose one
management-system owner sets ServiceLoop up, the author may sign it himself with a written
reason, kept on the version (``approved_by_author``, ``approval_exception_reason``) and on
the sign-off (``by_author``, ``exception_reason``). When a version becomes effective (on its
effective date), the version that was effective until then becomes obsolete on that same
date and is kept, marked as superseded. At most one version of a document is effective.

A *campaign* asks people (named, by team, by role) to read one version and acknowledge it
by a deadline; each person acknowledges once. The rows of ``Acknowledgement`` are the
evidence of awareness (clause 7.3) and feed the "policy execution rate" KPI.
"""

import re
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from serviceloop.core.roles import Capability, Role

__all__ = [
    "DOCUMENT_APPROVER",
    "DOCUMENT_EDITOR",
    "VERSION_TRANSITIONS",
    "Acknowledgement",
    "AcknowledgementCampaign",
    "CampaignStatus",
    "Document",
    "DocumentKind",
    "DocumentQuerySet",
    "DocumentSignoff",
    "DocumentStatus",
    "DocumentVersion",
    "ObsoleteReason",
    "SignoffDecision",
    "SignoffKind",
    "VersionStatus",
    "VersionTransition",
    "clauses_normalise",
    "documents_read_all",
    "version_transition_for",
    "version_transitions_from",
]


class DocumentKind(models.TextChoices):
    POLICY = "policy", _("Policy")
    PROCESS = "process", _("Process")
    PROCEDURE = "procedure", _("Procedure")
    WORK_INSTRUCTION = "work_instruction", _("Work instruction")
    FORM_TEMPLATE = "form_template", _("Form template")
    RECORD = "record", _("Record")


class DocumentStatus(models.TextChoices):
    """The document as a whole: never in force yet, in force, or withdrawn."""

    DRAFT = "draft", _("Not yet effective")
    EFFECTIVE = "effective", _("Effective")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    EFFECTIVE = "effective", _("Effective")
    OBSOLETE = "obsolete", _("Obsolete")


OPEN_VERSION_STATUSES = (VersionStatus.DRAFT, VersionStatus.IN_REVIEW, VersionStatus.APPROVED)


class ObsoleteReason(models.TextChoices):
    SUPERSEDED = "superseded", _("Superseded by a newer version")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Who moves a version: ``editor`` writes documents (the manage-system or administer
# capability); ``approver`` may approve them (top management, and editors too).
DOCUMENT_EDITOR, DOCUMENT_APPROVER = "editor", "approver"


@dataclass(frozen=True)
class VersionTransition:
    source: str
    target: str
    label: str
    who: frozenset[str]


def _vt(source, target, label, *who):
    return VersionTransition(source, target, label, frozenset(who))


V = VersionStatus
VERSION_TRANSITIONS: tuple[VersionTransition, ...] = (
    _vt(V.DRAFT, V.IN_REVIEW, _("Submit for review"), DOCUMENT_EDITOR),
    _vt(V.IN_REVIEW, V.DRAFT, _("Return to draft"), DOCUMENT_EDITOR, DOCUMENT_APPROVER),
    # Approving is a sign-off: the version is approved once every named approver signed.
    _vt(V.IN_REVIEW, V.APPROVED, _("Approve"), DOCUMENT_APPROVER),
    # Normally the daily task puts an approved version into effect on its date.
    _vt(V.APPROVED, V.EFFECTIVE, _("Put into effect now"), DOCUMENT_EDITOR),
    _vt(V.APPROVED, V.OBSOLETE, _("Cancel"), DOCUMENT_EDITOR),
    _vt(V.EFFECTIVE, V.OBSOLETE, _("Withdraw"), DOCUMENT_EDITOR),
)


def version_transition_for(source: str, target: str, roles) -> VersionTransition | None:
    """The declared move from ``source`` to ``target`` that one of ``roles`` may make."""
    for t in VERSION_TRANSITIONS:
        if t.source == source and t.target == target and t.who & set(roles):
            return t
    return None


def version_transitions_from(source: str, roles) -> list[VersionTransition]:
    return [t for t in VERSION_TRANSITIONS if t.source == source and t.who & set(roles)]


# Who reads every document and version (drafts included): the management-system owner,
# administrators, internal auditors and top management.
READ_ALL_CAPABILITIES = frozenset(
    {Capability.MANAGE_SYSTEM, Capability.ADMINISTER, Capability.AUDIT, Capability.REVIEW}
)


def documents_read_all(user) -> bool:
    return bool(
        user.is_authenticated and user.is_active and user.capabilities & READ_ALL_CAPABILITIES
    )


CLAUSE_NUMBER = re.compile(r"^\d{1,2}(\.\d{1,2}){0,3}$")


def clauses_normalise(text: str) -> tuple[str, list[str]]:
    """``"7.5 ,8.6.1;7.5"`` → ``("7.5, 8.6.1", [])``; the second item lists what is not a
    clause number."""
    parts = [p.strip() for p in re.split(r"[,;，；\s]+", text or "") if p.strip()]
    bad = [p for p in parts if not CLAUSE_NUMBER.match(p)]
    seen: list[str] = []
    for part in parts:
        if part not in seen and part not in bad:
            seen.append(part)
    return ", ".join(seen), bad


class DocumentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Readers of everything see every document. Other staff see documents in force,
        and those whose versions name them as reviewer or approver or that they were asked
        to read. A customer sees only the documents a campaign asked him to read."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if documents_read_all(user):
            return self
        asked = Acknowledgement.objects.filter(person=user, campaign__document_id=OuterRef("pk"))
        if not user.has_capability(Capability.STAFF):
            return self.filter(Exists(asked))
        named = DocumentVersion.objects.filter(document_id=OuterRef("pk")).filter(
            Q(reviewers=user) | Q(approvers=user)
        )
        return self.filter(Q(effective_version__isnull=False) | Exists(asked) | Exists(named))

    def review_overdue(self, today=None):
        """Documents in force whose next review date has passed."""
        today = today or timezone.localdate()
        return self.filter(status=DocumentStatus.EFFECTIVE, next_review__lt=today)


class Document(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=24, choices=DocumentKind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=DocumentStatus.choices, default=DocumentStatus.DRAFT
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_documents",
    )
    clauses = models.CharField(
        _("clauses"),
        max_length=200,
        blank=True,
        help_text=_("Numbers of the ISO/IEC 20000-1 clauses it serves, e.g. 7.5, 8.6.1."),
    )
    review_interval_months = models.PositiveSmallIntegerField(
        _("review interval (months)"), default=12
    )
    next_review = models.DateField(_("next review"), null=True, blank=True)
    last_reviewed_at = models.DateTimeField(_("last reviewed"), null=True, blank=True)
    current_version = models.ForeignKey(
        "support.DocumentVersion",
        verbose_name=_("newest version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    effective_version = models.ForeignKey(
        "support.DocumentVersion",
        verbose_name=_("effective version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), db_index=True)
    updated_at = models.DateTimeField(_("updated"))
    version = models.PositiveIntegerField(default=1)  # optimistic concurrency (ETag)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["reference"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        indexes = [models.Index(fields=["status", "next_review"], name="document_review")]

    def __str__(self):
        return f"{self.reference} {self.title}"

    @property
    def clause_list(self) -> list[str]:
        return [c for c in (self.clauses or "").split(", ") if c]

    def is_review_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return (
            self.status == DocumentStatus.EFFECTIVE
            and self.next_review is not None
            and self.next_review < today
        )

    @property
    def review_overdue(self) -> bool:
        return self.is_review_overdue()


class DocumentVersion(models.Model):
    """One version of a document's text. Edited in place while a draft; frozen from the
    moment it is submitted for review (returning it to draft opens it again)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=16, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    body = models.TextField(_("text"), blank=True)  # sanitised HTML (core.sanitise.clean_html)
    change_summary = models.CharField(_("change summary"), max_length=300, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewers"), blank=True, related_name="+"
    )
    approvers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("approvers"), blank=True, related_name="+"
    )
    planned_effective = models.DateField(
        _("planned effective date"),
        null=True,
        blank=True,
        help_text=_("Empty: the version takes effect the day it is approved."),
    )
    # Each submission for review opens a new round: sign-offs count only in their round.
    round = models.PositiveSmallIntegerField(default=0)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The recorded exception: the author approved his own version because nobody else in
    # the organisation could (see services_document_signoffs).
    approved_by_author = models.BooleanField(_("approved by its author"), default=False)
    approval_exception_reason = models.TextField(
        _("why the author approved it"), blank=True, max_length=2000
    )
    effective_from = models.DateField(_("effective from"), null=True, blank=True)
    obsolete_from = models.DateField(_("obsolete from"), null=True, blank=True)
    obsolete_reason = models.CharField(
        _("why obsolete"), max_length=16, choices=ObsoleteReason.choices, blank=True
    )
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("superseded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        ordering = ["document", "-number"]
        verbose_name = _("document version")
        verbose_name_plural = _("document versions")
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="document_version_unique"),
            models.UniqueConstraint(
                fields=["document"],
                condition=Q(status="effective"),
                name="document_one_effective_version",
            ),
        ]

    def __str__(self):
        return f"{self.document.reference} v{self.number}"

    @property
    def label(self) -> str:
        return f"v{self.number}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_VERSION_STATUSES


class SignoffKind(models.TextChoices):
    REVIEW = "review", _("Review")
    APPROVAL = "approval", _("Approval")


class SignoffDecision(models.TextChoices):
    ENDORSED = "endorsed", _("Endorsed")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved")


class DocumentSignoff(models.Model):
    """A reviewer's or an approver's word on one version, in one review round."""

    version = models.ForeignKey(DocumentVersion, on_delete=models.CASCADE, related_name="signoffs")
    round = models.PositiveSmallIntegerField()
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=SignoffKind.choices)
    decision = models.CharField(_("decision"), max_length=20, choices=SignoffDecision.choices)
    comment = models.TextField(_("comment"), blank=True)
    # The recorded exception: the version's author signed it because nobody else could.
    by_author = models.BooleanField(_("by the version's author"), default=False)
    exception_reason = models.TextField(_("why the author signed it"), blank=True, max_length=2000)
    signed_at = models.DateTimeField(_("signed"))

    class Meta:
        ordering = ["signed_at", "id"]
        verbose_name = _("document sign-off")
        verbose_name_plural = _("document sign-offs")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "round", "person", "kind"], name="document_signoff_once"
            )
        ]

    def __str__(self):
        return f"{self.version} {self.kind} {self.person_id}: {self.decision}"


class CampaignStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class CampaignQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Readers of every document see every campaign; anyone else only the campaigns
        that ask him to read."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if documents_read_all(user):
            return self
        return self.filter(acknowledgements__person=user).distinct()


class AcknowledgementCampaign(models.Model):
    """Ask people to read one version of a document and acknowledge it by a deadline.

    The people asked are resolved when the campaign starts (named people, members of the
    teams, holders of the roles) into one ``Acknowledgement`` row each; adding targets
    later adds rows. Rows are never removed: they are the evidence."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    document = models.ForeignKey(
        Document, verbose_name=_("document"), on_delete=models.PROTECT, related_name="campaigns"
    )
    version = models.ForeignKey(
        DocumentVersion,
        verbose_name=_("version"),
        on_delete=models.PROTECT,
        related_name="campaigns",
    )
    title = models.CharField(_("title"), max_length=200)
    message = models.TextField(_("message"), blank=True)
    deadline = models.DateField(_("deadline"))
    people = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("people"), blank=True, related_name="+"
    )
    teams = models.ManyToManyField(
        "core.Team", verbose_name=_("teams"), blank=True, related_name="+"
    )
    roles = models.JSONField(_("roles"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("started"), db_index=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("acknowledgement campaign")
        verbose_name_plural = _("acknowledgement campaigns")
        indexes = [models.Index(fields=["status", "deadline"], name="ack_campaign_deadline")]

    def __str__(self):
        return f"{self.reference} {self.title}"

    def is_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.status == CampaignStatus.OPEN and self.deadline < today

    @property
    def role_labels(self) -> list[str]:
        return [str(Role(r).label) if r in Role.values else r for r in self.roles]


class Acknowledgement(models.Model):
    """One person asked to read a campaign's version; ``acknowledged_at`` is set once."""

    campaign = models.ForeignKey(
        AcknowledgementCampaign, on_delete=models.CASCADE, related_name="acknowledgements"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="document_acknowledgements",
    )
    added_at = models.DateTimeField(_("asked"))
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)

    class Meta:
        ordering = ["campaign", "person__username"]
        verbose_name = _("acknowledgement")
        verbose_name_plural = _("acknowledgements")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "person"], name="acknowledgement_once")
        ]
        indexes = [models.Index(fields=["person", "acknowledged_at"], name="ack_person_open")]

    def __str__(self):
        return f"{self.campaign_id} {self.person_id}"

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledged_at is not None
