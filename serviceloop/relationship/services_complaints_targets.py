"""Complaint response-time targets: the due time of a complaint, and configuring the target
of a severity.

The target runs from receipt to the first response to the customer. Its hours per severity
are configured (``ComplaintResponseTarget``; defaults in ``DEFAULT_RESPONSE_HOURS``) and
counted in business time through the customer's business calendar, else the provider's;
with neither (or with business hours switched off) they are wall-clock hours.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.models import Organisation, OrganisationKind
from serviceloop.core.roles import Capability
from serviceloop.relationship.models import (
    Complaint,
    ComplaintResponseTarget,
    ComplaintSeverity,
)
from serviceloop.relationship.queries_complaints import response_targets

MAX_TARGET_HOURS = 24 * 365


def response_clock(organisation: Organisation, severity: str, received_at):
    """``(hours, calendar or None, due_at, warn_at)`` for a complaint of ``severity`` from
    ``organisation`` received at ``received_at``: business hours through the customer's
    calendar (else the provider's) when the severity's target counts business hours and a
    calendar exists; wall-clock hours otherwise."""
    target = response_targets()[severity]
    minutes = target.hours * 60
    warn_minutes = minutes * target.warn_percent // 100
    calendar = None
    if target.business_hours:
        calendar = organisation.calendar
        if calendar is None:
            provider = Organisation.objects.filter(kind=OrganisationKind.PROVIDER).first()
            calendar = provider.calendar if provider else None
    if calendar is not None:
        try:
            engine = calendar.engine()
            return (
                target.hours,
                calendar,
                engine.add(received_at, minutes),
                engine.add(received_at, warn_minutes),
            )
        except ValueError:
            pass  # a calendar without working time: fall back to the wall clock
    return (
        target.hours,
        None,
        received_at + datetime.timedelta(minutes=minutes),
        received_at + datetime.timedelta(minutes=warn_minutes),
    )


def apply_response_clock(complaint: Complaint) -> None:
    hours, calendar, due_at, warn_at = response_clock(
        complaint.organisation, complaint.severity, complaint.received_at
    )
    complaint.response_target_hours = hours
    complaint.response_calendar = calendar
    complaint.response_due_at = due_at
    complaint.response_warn_at = warn_at


def complaint_target_set(
    *, actor, severity: str, hours: int, business_hours: bool = True, warn_percent: int = 75
) -> ComplaintResponseTarget:
    """Configure the response-time target of a severity (leads and administrators). It
    applies to complaints received from now on, and to those whose severity changes."""
    if actor is not None and not (
        actor.has_capability(Capability.LEAD) and actor.has_capability(Capability.OPERATE)
    ):
        raise PermissionDenied
    errors = {}
    if severity not in ComplaintSeverity.values:
        errors["severity"] = _("Choose a severity.")
    if not isinstance(hours, int) or isinstance(hours, bool) or not 1 <= hours <= MAX_TARGET_HOURS:
        errors["hours"] = _("Enter 1 to %(max)d hours.") % {"max": MAX_TARGET_HOURS}
    if (
        not isinstance(warn_percent, int)
        or isinstance(warn_percent, bool)
        or not 1 <= warn_percent <= 99
    ):
        errors["warn_percent"] = _("Enter a share from 1 to 99 %.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        target = (
            ComplaintResponseTarget.objects.select_for_update(of=("self",))
            .filter(severity=severity)
            .first()
        )
        before = (
            {"hours": target.hours, "business_hours": target.business_hours, "warn_percent": target.warn_percent}
            if target
            else None
        )  # fmt: skip
        if target is None:
            target = ComplaintResponseTarget(severity=severity)
        target.hours = hours
        target.business_hours = bool(business_hours)
        target.warn_percent = warn_percent
        target.updated_at = timezone.now()
        target.save()
        audit_record(
            actor=actor,
            verb="complaint_target.set",
            object_type="relationship.complainttarget",
            object_id=severity,
            payload={
                "before": before,
                "hours": hours,
                "business_hours": target.business_hours,
                "warn_percent": warn_percent,
            },
        )
    return target
