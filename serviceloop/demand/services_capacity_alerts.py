"""Capacity alerts: one incident (or capacity action) per plan and alert episode.

A plan is *in alert* when its newest measurement is at or beyond the critical threshold, or,
when the plan sets a forecast horizon (``forecast_alert_days``), when the forecast says the
critical threshold will be reached within that many days (or the trend is already past it).
``capacity_evaluate`` compares that condition with the plan's open episode:

- in alert, no open episode: open one and, in the same transaction, raise ONE incident
  through the desk's ``ticket_create`` (requester: the plan's owner, in his organisation;
  team: the plan's alert team) or record a capacity action, as the plan says;
- in alert, an episode open: nothing (the same episode: no second incident);
- not in alert, an episode open: clear it (re-armed: the next alert is a new episode);
- otherwise nothing.

The one-open-episode-per-plan constraint and the plan row lock make this exactly once under
concurrent evaluations. Evaluated after every write of measurements and daily by the task.
"""

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.services.notifications import notify
from serviceloop.demand.forecast import ForecastStatus, is_beyond
from serviceloop.demand.models import (
    AlertAction,
    AlertTrigger,
    CapacityAction,
    CapacityAlert,
    CapacityPlan,
)
from serviceloop.demand.queries import plan_forecast
from serviceloop.demand.validation import plain_number

OPENED, CLEARED, STILL_OPEN, QUIET = "opened", "cleared", "open", "quiet"


def alert_condition(plan: CapacityPlan, *, now) -> tuple[str | None, dict]:
    """``(trigger or None, facts)``: why the plan is in alert now, with the newest value and
    the forecast's crossing for the record."""
    latest = plan.measurements.order_by("-at").values("at", "value").first()
    facts = {"value": None, "measured_at": None, "crossing": None}
    if latest is not None:
        facts["value"], facts["measured_at"] = latest["value"], latest["at"]
        if is_beyond(
            latest["value"], plan.critical_threshold, higher_is_worse=plan.higher_is_worse
        ):
            return AlertTrigger.CRITICAL, facts
    if plan.forecast_alert_days:
        forecast = plan_forecast(plan, now=now)
        facts["crossing"] = forecast.crossing_at
        if forecast.status == ForecastStatus.ALREADY_CROSSED or forecast.crosses_within(
            plan.forecast_alert_days, now
        ):
            return AlertTrigger.FORECAST, facts
    return None, facts


def _texts(plan: CapacityPlan, trigger: str, facts: dict) -> tuple[str, str]:
    """The incident's (or action's) title and description, in the owner's language."""
    with translation.override(plan.owner.language or settings.LANGUAGE_CODE):
        values = {
            "plan": plan.name,
            "reference": plan.reference,
            "resource": plan.resource,
            "value": plain_number(facts["value"]),
            "unit": plan.unit,
            "critical": plain_number(plan.critical_threshold),
            "date": timezone.localtime(facts["crossing"]).strftime("%Y-%m-%d")
            if facts["crossing"]
            else "—",
        }
        if trigger == AlertTrigger.CRITICAL:
            title = _("Capacity: %(plan)s reached its critical threshold") % values
            body = (
                _(
                    "Capacity plan %(reference)s (%(resource)s): the newest measurement is "
                    "%(value)s %(unit)s, at or beyond the critical threshold of %(critical)s "
                    "%(unit)s."
                )
                % values
            )
        else:
            title = _("Capacity: %(plan)s is forecast to reach its critical threshold") % values
            body = (
                _(
                    "Capacity plan %(reference)s (%(resource)s): the trend of the measurements "
                    "reaches the critical threshold of %(critical)s %(unit)s on %(date)s "
                    "(newest value %(value)s %(unit)s)."
                )
                % values
            )
        body += "\n" + _("Plan: %(url)s") % {
            "url": settings.SITE_URL + f"/capacity/{plan.reference}/"
        }
    return title[:200], body


def _raise_incident(plan: CapacityPlan, alert: CapacityAlert, title: str, body: str, now):
    from serviceloop.desk.models import Impact, Source, Urgency
    from serviceloop.desk.services.tickets import ticket_create

    critical = alert.trigger == AlertTrigger.CRITICAL
    return ticket_create(
        actor=None,  # the system raises it; the audit trail names the capacity alert
        organisation=plan.owner.organisation,
        requester=plan.owner,
        title=title,
        description=body,
        service=plan.service.code if plan.service_id else "",
        impact=Impact.SIGNIFICANT if critical else Impact.MODERATE,
        urgency=Urgency.HIGH if critical else Urgency.MEDIUM,
        source=Source.MONITORING,
        team=plan.alert_team,
        idempotency_key=f"capacity-alert:{alert.pk}",
        now=now,
    )


def _record_action(plan: CapacityPlan, title: str, body: str, now) -> CapacityAction:
    action = CapacityAction.objects.create(
        plan=plan,
        title=title,
        description=body,
        owner=plan.owner,
        due_date=(timezone.localtime(now) + datetime.timedelta(days=14)).date(),
        created_at=now,
    )
    notify(
        recipients=[plan.owner],
        kind="capacity_action",
        context={"plan": plan, "action": action},
        url=f"/capacity/{plan.reference}/",
    )
    return action


def capacity_evaluate(plan: CapacityPlan, *, actor=None, now=None) -> str:
    """Open, keep or clear the plan's alert episode (see the module docstring); returns
    ``opened`` | ``open`` | ``cleared`` | ``quiet``. Raises the desk's ValidationError if the
    incident cannot be raised; then nothing is written and the next evaluation retries."""
    now = now or timezone.now()
    with transaction.atomic():
        plan = (
            CapacityPlan.objects.select_for_update(of=("self",))
            .select_related("owner__organisation", "service", "alert_team")
            .get(pk=plan.pk)
        )
        trigger, facts = alert_condition(plan, now=now) if plan.is_active else (None, {})
        open_alert = plan.alerts.filter(cleared_at__isnull=True).first()
        if trigger is None:
            if open_alert is None:
                return QUIET
            open_alert.cleared_at = now
            open_alert.cleared_value = facts.get("value")
            open_alert.save(update_fields=["cleared_at", "cleared_value"])
            audit_record(
                actor=actor,
                verb="capacity_alert.cleared",
                obj=plan,
                payload={"alert": open_alert.pk, "value": facts.get("value")},
            )
            return CLEARED
        if open_alert is not None:
            return STILL_OPEN
        try:
            with transaction.atomic():
                alert = CapacityAlert.objects.create(
                    plan=plan,
                    trigger=trigger,
                    opened_at=now,
                    value=facts["value"],
                    measured_at=facts["measured_at"],
                    predicted_crossing=facts["crossing"],
                )
        except IntegrityError:
            return STILL_OPEN  # a concurrent evaluation opened this episode first
        title, body = _texts(plan, trigger, facts)
        if plan.alert_action == AlertAction.ACTION:
            alert.action = _record_action(plan, title, body, now)
        else:
            alert.ticket = _raise_incident(plan, alert, title, body, now)
        alert.save(update_fields=["action", "ticket"])
        audit_record(
            actor=actor,
            verb="capacity_alert.opened",
            obj=plan,
            payload={
                "alert": alert.pk,
                "trigger": trigger,
                "value": facts["value"],
                "measured_at": facts["measured_at"],
                "predicted_crossing": facts["crossing"],
                "ticket": alert.ticket.reference if alert.ticket_id else None,
                "action": alert.action_id,
            },
        )
    return OPENED


def capacity_alerts_run(*, now=None) -> dict:
    """Evaluate every active plan (the daily task): forecasts move with time even when no
    new measurement arrives. A plan whose incident cannot be raised is counted as failed and
    the others go on. Returns the count of each outcome."""
    from django.core.exceptions import PermissionDenied, ValidationError

    now = now or timezone.now()
    counts = {OPENED: 0, STILL_OPEN: 0, CLEARED: 0, QUIET: 0, "failed": 0}
    plans = CapacityPlan.objects.filter(
        Q(is_active=True) | Q(alerts__cleared_at__isnull=True)
    ).distinct()
    for plan in plans.order_by("pk"):
        try:
            counts[capacity_evaluate(plan, now=now)] += 1
        except (ValidationError, PermissionDenied):
            counts["failed"] += 1
    return counts
