"""Reviews of agreed SLAs and OLAs (clause 8.3.3): recording that a version was reviewed and
still stands, and the review reminders (exactly once per version and review date)."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record, field_changes, snapshot
from serviceloop.core.models import Team, User
from serviceloop.core.roles import Capability
from serviceloop.core.services.notifications import notify
from serviceloop.relationship.models import (
    Agreement,
    AgreementKind,
    AgreementReviewReminder,
    AgreementVersion,
    CustomerAccount,
    VersionStatus,
)
from serviceloop.relationship.permissions_agreements import is_agreement_submitter
from serviceloop.relationship.services_agreements import locked_version, version_event_add
from serviceloop.relationship.services_customers import clean_date, clean_text

# Remind this many days before a version's review date (and, once, when it is already past).
REVIEW_REMINDER_DAYS = 14


def agreement_version_reviewed(
    *, actor, version: AgreementVersion, next_review_on, note: str = "", now=None
) -> AgreementVersion:
    """Record that the agreed version was reviewed and still stands: sets the next review date
    (reminded once again). A submitter only; a change to the text is a new version."""
    now = now or timezone.now()
    errors = {}
    next_review_on = clean_date(
        next_review_on, "review_on", errors, required=_("Give the next review date.")
    )
    note = clean_text(note, "note", errors, limit=2000)
    today = timezone.localdate(now)
    if next_review_on and next_review_on <= today:
        errors["review_on"] = _("The next review date lies in the future.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        version = locked_version(version)
        if not is_agreement_submitter(actor, version.agreement):
            raise PermissionDenied
        if version.status != VersionStatus.AGREED:
            raise ValidationError(_("Only the agreed version is reviewed."))
        before = snapshot(version, ("review_on", "last_reviewed_on"))
        version.review_on = next_review_on
        version.last_reviewed_on = today
        version.updated_at = now
        version.version = F("version") + 1
        version.save()
        version.refresh_from_db()
        version_event_add(version, "reviewed", actor=actor, at=now, note=note)
        audit_record(
            actor=actor,
            verb="agreement_version.reviewed",
            obj=version,
            payload={
                "agreement": version.agreement.reference,
                "number": version.number,
                "note": note,
                **field_changes(version, before, ("review_on", "last_reviewed_on")),
            },
        )
    return version


def agreement_reminder_recipients(agreement: Agreement) -> list[User]:
    """The account managers of an SLA's customers, or the leads of an OLA's teams; without
    any, the holders of the manage-system capability."""
    if agreement.kind == AgreementKind.SLA:
        people = [
            a.account_manager
            for a in CustomerAccount.objects.filter(
                organisation__in=agreement.customers.all(), account_manager__isnull=False
            ).select_related("account_manager")
        ]
    else:
        people = [t.lead for t in Team.objects.filter(pk__in=agreement.teams.all()) if t.lead]
    people = [p for p in people if p.is_active]
    if not people:
        people = [
            u
            for u in User.objects.filter(is_active=True).order_by("pk")
            if u.has_capability(Capability.MANAGE_SYSTEM)
        ]
    return people


def agreement_review_reminders_run(*, today: datetime.date | None = None, now=None) -> int:
    """Remind of every agreed version whose review date is within REVIEW_REMINDER_DAYS (or
    past), exactly once per version and review date (a claim row under a unique constraint
    decides between workers). Returns the number of versions reminded."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    horizon = today + datetime.timedelta(days=REVIEW_REMINDER_DAYS)
    due = (
        AgreementVersion.objects.filter(
            status=VersionStatus.AGREED, review_on__isnull=False, review_on__lte=horizon
        )
        .exclude(review_reminders__review_on=F("review_on"))
        .select_related("agreement")
    )
    reminded = 0
    for version in due:
        agreement = version.agreement
        try:
            with transaction.atomic():
                AgreementReviewReminder.objects.create(
                    version=version, review_on=version.review_on, sent_at=now
                )
                notify(
                    recipients=[*agreement_reminder_recipients(agreement), version.author],
                    kind="agreement_review_due",
                    context={
                        "agreement": agreement,
                        "version": version,
                        "overdue": version.review_on < today,
                    },
                    url=reverse(
                        "agreement_version_detail", args=[agreement.reference, version.number]
                    ),
                    dedupe_key=f"agreement-review:{version.pk}:{version.review_on}",
                )
                audit_record(
                    actor=None,
                    verb="agreement_version.review_reminded",
                    obj=version,
                    payload={"agreement": agreement.reference, "review_on": version.review_on},
                )
        except IntegrityError:
            continue
        reminded += 1
    return reminded
