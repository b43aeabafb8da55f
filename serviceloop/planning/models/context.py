"""Context of the organisation and leadership (clauses 4 and 5): internal and external issues
(4.1), interested parties and their requirements (4.2), the scope statement of the service
management system (4.3), the service management policy and how it was communicated (5.2),
and the roles and responsibilities matrix (5.3, RACI per process).

The scope statement and the policy are versioned: a draft is edited, then approved, and the
approval supersedes the version approved before it; an approved version never changes.
"""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from serviceloop.planning.models.plan import PlanQuerySet
from serviceloop.planning.models.tailoring import Module

__all__ = [
    "CommunicationChannel",
    "ContextIssue",
    "InterestedParty",
    "IssueKind",
    "PROCESS_AREAS",
    "PROCESSES",
    "PartyCategory",
    "PolicyCommunication",
    "PolicyVersion",
    "ProcessSpec",
    "RACI_LETTERS",
    "RaciAssignment",
    "ScopeExclusion",
    "ScopeStatement",
    "VersionStatus",
    "process_for",
]


# --- 4.1 and 4.2 ---------------------------------------------------------------------------


class IssueKind(models.TextChoices):
    INTERNAL = "internal", _("Internal")
    EXTERNAL = "external", _("External")


class ContextIssue(models.Model):
    """An internal or external issue relevant to the purpose of the organisation and that
    affects its ability to achieve the intended outcomes of the SMS (4.1)."""

    kind = models.CharField(_("kind"), max_length=10, choices=IssueKind.choices)
    title = models.CharField(_("issue"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    impact = models.TextField(_("impact on the service management system"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="context_issues",
    )
    review_on = models.DateField(_("review date"))
    is_active = models.BooleanField(_("current"), default=True)
    retired_reason = models.TextField(_("why it no longer applies"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    version = models.PositiveIntegerField(default=1)

    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "title", "id"]
        verbose_name = _("internal or external issue")
        verbose_name_plural = _("internal and external issues")

    def __str__(self):
        return self.title

    def review_overdue(self, today) -> bool:
        return self.is_active and self.review_on < today


class PartyCategory(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    USER = "user", _("User of the services")
    STAFF = "staff", _("Staff")
    OWNER = "owner", _("Owner or shareholder")
    SUPPLIER = "supplier", _("Supplier or partner")
    REGULATOR = "regulator", _("Regulator or authority")
    OTHER = "other", _("Other")


class InterestedParty(models.Model):
    """An interested party relevant to the SMS and its requirements (4.2)."""

    name = models.CharField(_("interested party"), max_length=200)
    category = models.CharField(_("category"), max_length=16, choices=PartyCategory.choices)
    requirements = models.TextField(_("requirements"))
    how_addressed = models.TextField(_("how the requirements are addressed"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="interested_parties",
    )
    review_on = models.DateField(_("review date"))
    is_active = models.BooleanField(_("current"), default=True)
    retired_reason = models.TextField(_("why it no longer applies"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    version = models.PositiveIntegerField(default=1)

    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["category", "name", "id"]
        verbose_name = _("interested party")
        verbose_name_plural = _("interested parties")

    def __str__(self):
        return self.name


# --- Versioned documents: scope (4.3) and policy (5.2) -------------------------------------


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")
    SUPERSEDED = "superseded", _("Superseded")


class VersionedDocument(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.PositiveIntegerField(_("version"), unique=True)
    status = models.CharField(
        _("status"), max_length=12, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    change_summary = models.TextField(_("what changed"), blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approval_note = models.TextField(_("approval note"), blank=True)
    superseded_at = models.DateTimeField(_("superseded"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    version = models.PositiveIntegerField(default=1)  # optimistic concurrency (ETag)

    objects = PlanQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-number"]

    @property
    def is_draft(self) -> bool:
        return self.status == VersionStatus.DRAFT


class ScopeStatement(VersionedDocument):
    """The scope of the SMS (4.3): the services in scope, for which customers, from which
    locations, and what is excluded and why."""

    statement = models.TextField(_("scope statement"))
    services = models.ManyToManyField(
        "portfolio.Service", verbose_name=_("services in scope"), blank=True, related_name="+"
    )
    customers = models.ManyToManyField(
        "core.Organisation", verbose_name=_("customers"), blank=True, related_name="+"
    )
    locations = models.JSONField(_("locations"), default=list, blank=True)

    class Meta(VersionedDocument.Meta):
        verbose_name = _("scope statement")
        verbose_name_plural = _("scope statements")
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status__in=["draft", "approved"]),
                name="planning_scope_one_draft_one_approved",
            )
        ]

    def __str__(self):
        return str(_("Scope statement v%(n)s") % {"n": self.number})


class ScopeExclusion(models.Model):
    """Something left out of the scope, with the justification (a switched-off module, a
    service, a location, a clause that does not apply)."""

    scope = models.ForeignKey(ScopeStatement, on_delete=models.CASCADE, related_name="exclusions")
    subject = models.CharField(_("excluded"), max_length=200)
    justification = models.TextField(_("justification"))
    module = models.CharField(_("module"), max_length=16, choices=Module.choices, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("exclusion")
        verbose_name_plural = _("exclusions")

    def __str__(self):
        return self.subject


class PolicyVersion(VersionedDocument):
    """The service management policy (5.2.1), approved by top management."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))  # sanitised HTML (core.sanitise.clean_html)

    class Meta(VersionedDocument.Meta):
        verbose_name = _("service management policy")
        verbose_name_plural = _("service management policies")
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status__in=["draft", "approved"]),
                name="planning_policy_one_draft_one_approved",
            )
        ]

    def __str__(self):
        return str(_("Policy v%(n)s") % {"n": self.number})

    @property
    def body_html(self):
        from django.utils.safestring import mark_safe

        from serviceloop.core.sanitise import clean_html

        return mark_safe(clean_html(self.body))  # noqa: S308 - nh3 output


class CommunicationChannel(models.TextChoices):
    MEETING = "meeting", _("Meeting or briefing")
    EMAIL = "email", _("E-mail")
    INTRANET = "intranet", _("Intranet")
    TRAINING = "training", _("Training")
    NOTICE = "notice", _("Notice board")
    CONTRACT = "contract", _("Contract or agreement")
    OTHER = "other", _("Other")


class PolicyCommunication(models.Model):
    """A record that an approved policy was communicated (5.2.2): when, to whom, how."""

    policy = models.ForeignKey(
        PolicyVersion, on_delete=models.PROTECT, related_name="communications"
    )
    communicated_on = models.DateField(_("date"))
    audience = models.CharField(_("audience"), max_length=200)
    channel = models.CharField(_("channel"), max_length=16, choices=CommunicationChannel.choices)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded"))

    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["-communicated_on", "-id"]
        verbose_name = _("policy communication")
        verbose_name_plural = _("policy communications")

    def __str__(self):
        return f"{self.communicated_on} {self.audience}"


# --- 5.3 Roles, responsibilities and authorities -------------------------------------------


@dataclass(frozen=True)
class ProcessSpec:
    code: str  # the clause number
    title: str
    area: str  # the clause number of its process area
    module: str = ""  # the tailoring module it runs in ("" = always on)


PROCESS_AREAS: dict[str, str] = {
    "8.2": _("Service portfolio"),
    "8.3": _("Relationship and agreement"),
    "8.4": _("Supply and demand"),
    "8.5": _("Service design, build and transition"),
    "8.6": _("Resolution and fulfilment"),
    "8.7": _("Service assurance"),
    "9": _("Performance evaluation"),
    "10": _("Improvement"),
}

P = ProcessSpec
PROCESSES: tuple[ProcessSpec, ...] = (
    P("8.2.2", _("Plan the services"), "8.2"),
    P("8.2.3", _("Control of parties involved in the service lifecycle"), "8.2"),
    P("8.2.4", _("Service catalogue management"), "8.2"),
    P("8.2.5", _("Asset management"), "8.2", Module.ASSETS),
    P("8.2.6", _("Configuration management"), "8.2", Module.CMDB),
    P("8.3.2", _("Business relationship management"), "8.3"),
    P("8.3.3", _("Service level management"), "8.3"),
    P("8.3.4", _("Supplier management"), "8.3", Module.SUPPLIERS),
    P("8.4.1", _("Budgeting and accounting for services"), "8.4", Module.BUDGET),
    P("8.4.2", _("Demand management"), "8.4"),
    P("8.4.3", _("Capacity management"), "8.4", Module.CAPACITY),
    P("8.5.1", _("Change management"), "8.5", Module.CHANGES),
    P("8.5.2", _("Service design and transition"), "8.5"),
    P("8.5.3", _("Release and deployment management"), "8.5", Module.RELEASES),
    P("8.6.1", _("Incident management"), "8.6", Module.DESK),
    P("8.6.2", _("Service request management"), "8.6", Module.DESK),
    P("8.6.3", _("Problem management"), "8.6", Module.PROBLEMS),
    P("8.7.1", _("Service availability management"), "8.7", Module.AVAILABILITY),
    P("8.7.2", _("Service continuity management"), "8.7", Module.CONTINUITY),
    P("8.7.3", _("Information security management"), "8.7", Module.SECURITY),
    P("9.1", _("Monitoring, measurement, analysis and evaluation"), "9"),
    P("9.2", _("Internal audit"), "9"),
    P("9.3", _("Management review"), "9"),
    P("9.4", _("Service reporting"), "9"),
    P("10.1", _("Nonconformity and corrective action"), "10"),
    P("10.2", _("Continual improvement"), "10"),
)
_BY_CODE = {p.code: p for p in PROCESSES}


def process_for(code: str) -> ProcessSpec | None:
    return _BY_CODE.get(code)


RACI_LETTERS = "RACI"  # Responsible, Accountable, Consulted, Informed


class RaciAssignment(models.Model):
    """One cell of the matrix: what a role is for a process (letters out of R, A, C, I)."""

    process = models.CharField(_("process"), max_length=10)
    role = models.CharField(_("role"), max_length=32)
    letters = models.CharField(_("responsibility"), max_length=4)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"))

    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["process", "role"]
        verbose_name = _("RACI assignment")
        verbose_name_plural = _("RACI assignments")
        constraints = [
            models.UniqueConstraint(fields=["process", "role"], name="planning_raci_cell_unique")
        ]

    def __str__(self):
        return f"{self.process} {self.role}: {self.letters}"
