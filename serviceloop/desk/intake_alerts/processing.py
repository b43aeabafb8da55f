"""Applying monitoring alerts: each ``AlertNotice`` (``parsing``) raises, updates or resolves
an incident, one transaction per alert.

- no open alert of that fingerprint and the alert fires: raise an incident (linked as
  "related" to the incident of the previous occurrence, if any);
- an open alert fires again: count it; an internal note only when something changed
  (severity, title, description, labels, annotations, a new start, firing again);
- it resolves: resolve the incident (token setting ``on_resolved=resolve``, the default)
  or only note it (``annotate``); a resolved alert we have no open row for is ignored.

One open row per organisation and fingerprint is a database constraint, so concurrent
senders of the same alert raise one incident. Every ticket write goes through the desk's
services, as the monitoring account (``intake_account``), with source ``monitoring``.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.models import Organisation, OrganisationKind, User
from serviceloop.core.roles import Role
from serviceloop.core.services.organisations import person_create
from serviceloop.desk.intake_alerts.parsing import SEVERITY_IMPACT_URGENCY, AlertNotice
from serviceloop.desk.lifecycle import OPEN_STATUSES, Status
from serviceloop.desk.models import (
    AlertState,
    IntakeToken,
    Kind,
    LinkKind,
    MonitoredAlert,
    OnResolved,
    Source,
)
from serviceloop.desk.services.relations import ticket_link
from serviceloop.desk.services.tickets import ticket_comment, ticket_create, ticket_transition

MONITORING_USERNAME = "serviceloop-monitoring"


@dataclass(frozen=True)
class AlertOutcome:
    fingerprint: str
    state: str
    outcome: str  # created | updated | repeated | resolved | annotated | ignored
    ticket: str | None = None  # the incident's reference


def intake_account() -> User:
    """The provider account the intake writes as (an agent that cannot sign in), created
    on first use. Audit rows and ticket history name it as the actor."""
    account = User.objects.filter(username=MONITORING_USERNAME).first()
    if account is not None:
        return account
    provider = Organisation.objects.filter(kind=OrganisationKind.PROVIDER).first()
    if provider is None:
        raise ValidationError(
            _("There is no provider organisation to hold the monitoring account.")
        )
    try:
        with transaction.atomic():
            return person_create(
                actor=None,
                organisation=provider,
                username=MONITORING_USERNAME,
                role=Role.AGENT,
                display_name="监控 Monitoring",
            )
    except (IntegrityError, ValidationError):
        # Created meanwhile by a concurrent delivery (its unique check or constraint fired).
        account = User.objects.filter(username=MONITORING_USERNAME).first()
        if account is None:
            raise
        return account


def _when(instant) -> str:
    return timezone.localtime(instant).strftime("%Y-%m-%d %H:%M:%S %Z") if instant else ""


def _changes(alert: MonitoredAlert, notice: AlertNotice) -> list[str]:
    """What a firing notice changes on an open alert, as lines for the internal note."""
    lines = []
    if alert.state == AlertState.RESOLVED:
        lines.append(_("The alert is firing again."))
    if notice.starts_at and alert.starts_at and notice.starts_at != alert.starts_at:
        lines.append(_("It started again at %(time)s.") % {"time": _when(notice.starts_at)})
    if notice.severity != alert.severity:
        lines.append(
            _("Severity: %(old)s → %(new)s.") % {"old": alert.severity, "new": notice.severity}
        )
    if notice.title != alert.title:
        lines.append(_("Title: %(title)s") % {"title": notice.title})
    for name, label in (("labels", _("Labels")), ("annotations", _("Annotations"))):
        old, new = getattr(alert, name), getattr(notice, name)
        changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
        if changed:
            shown = ", ".join(f"{k}={new.get(k, '∅')}" for k in changed)
            lines.append(f"{label}: {shown}")
    return lines


def _open_alert(organisation_id, fingerprint):
    return (
        MonitoredAlert.objects.select_for_update(of=("self",))
        .select_related("ticket")
        .filter(organisation_id=organisation_id, fingerprint=fingerprint, closed_at__isnull=True)
        .first()
    )


def _audit(account, verb, alert, token, notice, **extra):
    audit_record(
        actor=account,
        verb=verb,
        obj=alert,
        payload={
            "fingerprint": alert.fingerprint,
            "state": notice.state,
            "token": token.name,
            "ticket": alert.ticket.reference if alert.ticket_id else None,
            **extra,
        },
    )


def alert_receive(*, token: IntakeToken, notice: AlertNotice, now=None) -> AlertOutcome:
    """Apply one alert notice for ``token``'s organisation (see the module's rules).

    One transaction. Idempotent for repeats: the same firing notice twice raises one
    incident and changes nothing the second time but the counter and last-seen time.
    Raises ``ValidationError``/``PermissionDenied`` when the token's settings cannot raise
    an incident (e.g. its requester left the organisation).
    """
    now = now or timezone.now()
    account = intake_account()
    organisation = token.organisation
    with transaction.atomic():
        alert = _open_alert(organisation.pk, notice.fingerprint)
        if alert is not None and alert.ticket.status not in OPEN_STATUSES:
            # People resolved, closed or cancelled the incident: this occurrence is over.
            alert.closed_at = now
            alert.save(update_fields=["closed_at"])
            alert = None
        if alert is None:
            if notice.state == AlertState.RESOLVED:
                return AlertOutcome(notice.fingerprint, notice.state, "ignored")
            previous = (
                MonitoredAlert.objects.filter(
                    organisation=organisation, fingerprint=notice.fingerprint
                )
                .exclude(closed_at__isnull=True)
                .select_related("ticket")
                .order_by("-first_seen_at", "-id")
                .first()
            )
            try:
                with transaction.atomic():
                    alert = MonitoredAlert.objects.create(
                        organisation=organisation,
                        token=token,
                        source=token.source,
                        fingerprint=notice.fingerprint,
                        previous=previous,
                        state=AlertState.FIRING,
                        severity=notice.severity,
                        title=notice.title,
                        description=notice.description,
                        labels=notice.labels,
                        annotations=notice.annotations,
                        starts_at=notice.starts_at,
                        first_seen_at=now,
                        last_seen_at=now,
                    )
            except IntegrityError:
                # A concurrent sender opened it first (the unique constraint waited for
                # its commit): this notice is a repeat of that alert.
                alert = _open_alert(organisation.pk, notice.fingerprint)
                if alert is None:
                    raise
            else:
                impact, urgency = SEVERITY_IMPACT_URGENCY[notice.severity]
                alert.ticket = ticket_create(
                    actor=account,
                    organisation=organisation,
                    requester=token.requester,
                    title=notice.title,
                    description=notice.description,
                    kind=Kind.INCIDENT,
                    service=notice.service,
                    category=token.category,
                    impact=impact,
                    urgency=urgency,
                    source=Source.MONITORING,
                    team=token.team,
                    idempotency_key=f"alert:{alert.pk}",
                    now=now,
                )
                alert.save(update_fields=["ticket"])
                linked = None
                if previous is not None and previous.ticket_id:
                    ticket_link(
                        actor=account,
                        source=alert.ticket,
                        target=previous.ticket,
                        kind=LinkKind.RELATED,
                        now=now,
                    )
                    linked = previous.ticket.reference
                _audit(account, "intake.alert_opened", alert, token, notice, previous=linked)
                return AlertOutcome(
                    notice.fingerprint, notice.state, "created", alert.ticket.reference
                )

        alert.received_count += 1
        alert.last_seen_at = now
        alert.token = token
        outcome = "repeated"
        if notice.state == AlertState.FIRING:
            lines = _changes(alert, notice)
            if lines:
                for name in ("severity", "title", "description", "labels", "annotations"):
                    setattr(alert, name, getattr(notice, name))
                alert.starts_at = notice.starts_at or alert.starts_at
                alert.state, alert.ends_at = AlertState.FIRING, None
                note = _("Monitoring update (%(count)d notifications so far):") % {
                    "count": alert.received_count
                }
                ticket_comment(
                    actor=account,
                    ticket=alert.ticket,
                    body="\n".join([note, *lines]),
                    public=False,
                    source=Source.MONITORING,
                    now=now,
                )
                outcome = "updated"
        elif alert.state != AlertState.RESOLVED:
            alert.state, alert.ends_at = AlertState.RESOLVED, notice.ends_at or now
            ended = _when(alert.ends_at)
            if token.on_resolved == OnResolved.RESOLVE:
                ticket_transition(
                    actor=account,
                    ticket=alert.ticket,
                    target=Status.RESOLVED,
                    note=_("Resolved by monitoring: the alert stopped firing at %(time)s.")
                    % {"time": ended},
                    now=now,
                )
                alert.closed_at = now
                outcome = "resolved"
            else:
                ticket_comment(
                    actor=account,
                    ticket=alert.ticket,
                    body=_(
                        "The alert stopped firing at %(time)s. The incident stays open "
                        "until an agent resolves it."
                    )
                    % {"time": ended},
                    public=False,
                    source=Source.MONITORING,
                    now=now,
                )
                outcome = "annotated"
        alert.save()
        if outcome != "repeated":
            _audit(
                account, f"intake.alert_{outcome}", alert, token, notice, count=alert.received_count
            )
        return AlertOutcome(notice.fingerprint, notice.state, outcome, alert.ticket.reference)


def intake_receive(*, token: IntakeToken, notices: list[AlertNotice], now=None):
    """Apply every notice of one body in order; returns their outcomes."""
    return [alert_receive(token=token, notice=notice, now=now) for notice in notices]
