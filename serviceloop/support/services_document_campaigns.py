"""Documented information (clause 7.5), continued: read-and-acknowledge campaigns (who is
asked to read a version, their acknowledgements, reminders before the deadline). Who may do
what is declared in ``services_documents``; each service validates, writes the change and
appends one audit row in one transaction."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.models import Team, User
from serviceloop.core.numbering import reference_allocate
from serviceloop.core.roles import Role
from serviceloop.core.services.notifications import notify
from serviceloop.support.models import (
    Acknowledgement,
    AcknowledgementCampaign,
    CampaignStatus,
    DocumentVersion,
    VersionStatus,
)
from serviceloop.support.record_writing import (
    pks_sorted,
    text_clean,
)
from serviceloop.support.services_documents import (
    COMMENT_LIMIT,
    REMIND_BEFORE_DEADLINE,
    TITLE_LIMIT,
    UNSET,
    _require_edit,
)

# --- Read-and-acknowledge campaigns ----------------------------------------------------------


def _clean_roles(roles, errors: dict) -> list[str]:
    roles = list(roles or [])
    bad = [r for r in roles if r not in Role.values]
    if bad:
        errors["roles"] = _("Unknown roles: %(roles)s.") % {"roles": ", ".join(map(str, bad))}
    return sorted(set(roles) - set(bad))


def campaign_audience(*, people=(), teams=(), roles=()):
    """The active people the targets name: the people themselves, the members of the teams
    and the holders of the roles."""
    query = Q(pk__in=[p.pk for p in people])
    team_ids = [t.pk for t in teams]
    if team_ids:
        query |= Q(teams__in=team_ids)
    if roles:
        query |= Q(role__in=list(roles))
    return User.objects.filter(query, is_active=True).distinct().order_by("username")


def _campaign_fields(deadline, title, message, people, teams, roles, errors, *, today):
    if not isinstance(deadline, datetime.date) or isinstance(deadline, datetime.datetime):
        errors["deadline"] = _("Enter the deadline.")
    elif deadline < today:
        errors["deadline"] = _("The deadline cannot be in the past.")
    title = text_clean(title, "title", errors, limit=TITLE_LIMIT)
    message = text_clean(message, "message", errors, limit=COMMENT_LIMIT)
    roles = _clean_roles(roles, errors)
    people = list(people or [])
    teams = list(teams or [])
    if any(not isinstance(t, Team) for t in teams):
        errors["teams"] = _("Choose teams.")
    return title, message, people, teams, roles


def _add_targets(campaign: AcknowledgementCampaign, audience, now) -> list[User]:
    existing = set(campaign.acknowledgements.values_list("person_id", flat=True))
    added = [p for p in audience if p.pk not in existing]
    Acknowledgement.objects.bulk_create(
        [Acknowledgement(campaign=campaign, person=p, added_at=now) for p in added]
    )
    return added


def _ask_to_read(campaign: AcknowledgementCampaign, people) -> None:
    for person in people:
        notify(
            recipients=[person],
            kind="document_read_request",
            context={"campaign": campaign, "document": campaign.document},
            url=reverse("document_detail", args=[campaign.document.reference]),
            dedupe_key=f"document-read:{campaign.pk}:{person.pk}",
        )


def campaign_create(
    *,
    actor,
    version: DocumentVersion,
    deadline: datetime.date,
    people=(),
    teams=(),
    roles=(),
    title: str = "",
    message: str = "",
    now=None,
) -> AcknowledgementCampaign:
    """Ask people (named, by team, by role) to read ``version`` and acknowledge it by
    ``deadline`` (reference ``ACK-YYYY-NNNN``). The version must be approved or in force.
    Each person asked gets one acknowledgement row and one notification."""
    now = now or timezone.now()
    _require_edit(actor)
    today = timezone.localdate(now)
    errors: dict = {}
    title, message, people, teams, roles = _campaign_fields(
        deadline, title, message, people, teams, roles, errors, today=today
    )
    if version.status not in (VersionStatus.APPROVED, VersionStatus.EFFECTIVE):
        errors["version"] = _("Only an approved or effective version is sent out to read.")
    audience = list(campaign_audience(people=people, teams=teams, roles=roles))
    if not audience and not errors:
        errors["people"] = _("Nobody matches: name people, teams or roles.")
    if errors:
        raise ValidationError(errors)
    document = version.document
    with transaction.atomic():
        campaign = AcknowledgementCampaign.objects.create(
            reference=reference_allocate(kind="ACK", year=today.year, width=4),
            document=document,
            version=version,
            title=title or document.title,
            message=message,
            deadline=deadline,
            roles=roles,
            created_by=actor,
            created_at=now,
        )
        campaign.people.set(people)
        campaign.teams.set(teams)
        added = _add_targets(campaign, audience, now)
        _ask_to_read(campaign, added)
        audit_record(
            actor=actor,
            verb="document.campaign_started",
            obj=campaign,
            payload={
                "reference": campaign.reference,
                "document": document.reference,
                "version": version.number,
                "deadline": deadline,
                "people": pks_sorted(people),
                "teams": pks_sorted(teams),
                "roles": roles,
                "asked": len(added),
            },
        )
    return campaign


def campaign_update(
    *,
    actor,
    campaign: AcknowledgementCampaign,
    deadline=UNSET,
    title=UNSET,
    message=UNSET,
    people=UNSET,
    teams=UNSET,
    roles=UNSET,
    now=None,
) -> AcknowledgementCampaign:
    """Change an open campaign: its deadline, wording or targets. New targets add people
    (and ask them); nobody already asked is removed — the rows are evidence."""
    now = now or timezone.now()
    _require_edit(actor)
    today = timezone.localdate(now)
    with transaction.atomic():
        campaign = AcknowledgementCampaign.objects.select_for_update(of=("self",)).get(
            pk=campaign.pk
        )
        if campaign.status != CampaignStatus.OPEN:
            raise ValidationError(_("This campaign is closed."))
        errors: dict = {}
        title, message, people, teams, roles = _campaign_fields(
            campaign.deadline if deadline is UNSET else deadline,
            campaign.title if title is UNSET else title,
            campaign.message if message is UNSET else message,
            list(campaign.people.all()) if people is UNSET else people,
            list(campaign.teams.all()) if teams is UNSET else teams,
            campaign.roles if roles is UNSET else roles,
            errors,
            today=min(today, campaign.deadline),
        )
        if not title:
            errors["title"] = _("Give a title.")
        if errors:
            raise ValidationError(errors)
        changes: dict = {}
        for name, value in (
            ("deadline", campaign.deadline if deadline is UNSET else deadline),
            ("title", title),
            ("message", message),
            ("roles", roles),
        ):
            if getattr(campaign, name) != value:
                changes[name] = [getattr(campaign, name), value]
                setattr(campaign, name, value)
        for name, value in (("people", people), ("teams", teams)):
            old, new = pks_sorted(getattr(campaign, name).all()), pks_sorted(value)
            if old != new:
                changes[name] = [old, new]
                getattr(campaign, name).set(value)
        if not changes:
            return campaign
        campaign.save()
        audience = campaign_audience(people=people, teams=teams, roles=roles)
        added = _add_targets(campaign, audience, now)
        _ask_to_read(campaign, added)
        changes["asked"] = len(added)
        audit_record(actor=actor, verb="document.campaign_updated", obj=campaign, payload=changes)
    return campaign


def campaign_close(*, actor, campaign: AcknowledgementCampaign, now=None):
    """Close a campaign: no more acknowledgements or reminders. Its figures stay."""
    now = now or timezone.now()
    _require_edit(actor)
    with transaction.atomic():
        campaign = AcknowledgementCampaign.objects.select_for_update(of=("self",)).get(
            pk=campaign.pk
        )
        if campaign.status == CampaignStatus.CLOSED:
            raise ValidationError(_("This campaign is already closed."))
        campaign.status = CampaignStatus.CLOSED
        campaign.closed_at = now
        campaign.save(update_fields=["status", "closed_at"])
        outstanding = campaign.acknowledgements.filter(acknowledged_at__isnull=True).count()
        audit_record(
            actor=actor,
            verb="document.campaign_closed",
            obj=campaign,
            payload={"outstanding": outstanding},
        )
    return campaign


def acknowledgement_give(*, actor, campaign: AcknowledgementCampaign, now=None) -> Acknowledgement:
    """The actor states he has read and understood the campaign's version. Once per person
    and campaign; only while the campaign is open and the version approved or in force."""
    now = now or timezone.now()
    if not (actor.is_authenticated and actor.is_active):
        raise PermissionDenied
    with transaction.atomic():
        row = (
            Acknowledgement.objects.select_for_update(of=("self",))
            .select_related("campaign__version", "campaign__document")
            .filter(campaign=campaign, person=actor)
            .first()
        )
        if row is None:
            raise PermissionDenied(_("This campaign does not ask you to read the document."))
        campaign = row.campaign
        if row.acknowledged_at is not None:
            raise ValidationError(
                _("You acknowledged this on %(date)s.")
                % {"date": timezone.localtime(row.acknowledged_at).strftime("%Y-%m-%d")}
            )
        if campaign.status != CampaignStatus.OPEN:
            raise ValidationError(_("This campaign is closed."))
        if campaign.version.status not in (VersionStatus.APPROVED, VersionStatus.EFFECTIVE):
            raise ValidationError(_("This version is no longer in force."))
        updated = Acknowledgement.objects.filter(pk=row.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=now
        )
        if not updated:  # pragma: no cover - the row lock makes this a no-op
            raise ValidationError(_("You have already acknowledged this."))
        row.acknowledged_at = now
        audit_record(
            actor=actor,
            verb="document.acknowledged",
            obj=campaign,
            organisation=actor.organisation,
            payload={
                "document": campaign.document.reference,
                "version": campaign.version.number,
                "on_time": timezone.localdate(now) <= campaign.deadline,
            },
        )
    return row


def reminder_key(campaign_id: int, person_id: int) -> str:
    return f"document-ack-reminder:{campaign_id}:{person_id}"


def campaign_remind(*, today: datetime.date | None = None, now=None) -> int:
    """Remind the people who have not acknowledged yet, once the deadline is near
    (``REMIND_BEFORE_DEADLINE``) or past: exactly once per campaign and person (a
    conditional update of ``reminded_at`` and the notification's dedupe key both guard it).
    Open campaigns only; one transaction and one audit row per campaign. Returns the number
    of people reminded."""
    today = today or timezone.localdate()
    now = now or timezone.now()
    due = AcknowledgementCampaign.objects.filter(
        status=CampaignStatus.OPEN,
        deadline__lte=today + REMIND_BEFORE_DEADLINE,
        acknowledgements__acknowledged_at__isnull=True,
        acknowledgements__reminded_at__isnull=True,
    ).distinct()
    sent = 0
    for campaign in due.select_related("document").order_by("pk"):
        with transaction.atomic():
            rows = Acknowledgement.objects.filter(
                campaign=campaign, acknowledged_at__isnull=True, reminded_at__isnull=True
            ).select_related("person")
            reminded = []
            for row in rows.order_by("person_id"):
                claimed = Acknowledgement.objects.filter(
                    pk=row.pk, reminded_at__isnull=True, acknowledged_at__isnull=True
                ).update(reminded_at=now)
                if claimed and notify(
                    recipients=[row.person],
                    kind="document_ack_reminder",
                    context={"campaign": campaign, "document": campaign.document},
                    url=reverse("document_detail", args=[campaign.document.reference]),
                    dedupe_key=reminder_key(campaign.pk, row.person_id),
                ):
                    reminded.append(row.person_id)
            if reminded:
                audit_record(
                    actor=None,
                    verb="document.campaign_reminded",
                    obj=campaign,
                    payload={"reminded": reminded},
                )
                sent += len(reminded)
    return sent
