"""Communication (clause 7.4): the communication plan, the communications held, and the
reminders when a line falls due.

The plan lives beside competence and awareness: the same people own it (the management-system
owner and administrators edit, ``services_competence.competence_may_edit``; staff read;
customers get 404). An item's owner may record the communications he held. Each service
validates, writes and appends one audit row in one transaction.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.models import User
from serviceloop.core.numbering import reference_allocate
from serviceloop.core.services.attachments import attachment_add
from serviceloop.core.services.notifications import reminders_send
from serviceloop.support.models import (
    FREQUENCY_MONTHS,
    Channel,
    CommunicationItem,
    CommunicationRecord,
    Frequency,
)
from serviceloop.support.record_writing import text_clean
from serviceloop.support.services_competence import (
    TEXT_LIMIT,
    _changes,
    _clean_date,
    _staff_person,
    competence_may_edit,
    require_edit,
    require_staff,
)
from serviceloop.support.services_documents import add_months


def get_communication_item_for(user, reference: str, *, write: bool = False) -> CommunicationItem:
    require_staff(user)
    try:
        item = CommunicationItem.objects.select_related("owner").get(reference=reference)
    except (CommunicationItem.DoesNotExist, ValueError) as exc:
        raise Http404 from exc
    if write:
        require_edit(user)
    return item


def may_record_communication(user, item: CommunicationItem) -> bool:
    return competence_may_edit(user) or (
        user.is_authenticated and user.is_active and item.owner_id == user.pk
    )


def next_communication_due(frequency: str, held_on: datetime.date) -> datetime.date | None:
    """When the next communication falls due after one held on ``held_on``."""
    if frequency == Frequency.WEEKLY:
        return held_on + datetime.timedelta(days=7)
    months = FREQUENCY_MONTHS.get(frequency)
    return add_months(held_on, months) if months else None


def _item_values(values: dict, errors: dict) -> dict:
    clean = {}
    for name, limit, message in (
        ("topic", 200, _("Say what is communicated.")),
        ("audience", 200, _("Say to whom.")),
        ("timing", 200, ""),
        ("notes", TEXT_LIMIT, ""),
    ):
        if name in values:
            clean[name] = text_clean(
                values[name], name, errors, limit=limit, required_message=message
            )
    if "frequency" in values:
        if values["frequency"] not in Frequency.values:
            errors["frequency"] = _("Choose how often.")
        clean["frequency"] = values["frequency"]
    if "channel" in values:
        if values["channel"] not in Channel.values:
            errors["channel"] = _("Choose a channel.")
        clean["channel"] = values["channel"]
    if "owner" in values:
        clean["owner"] = _staff_person(values["owner"], "owner", errors)
    if "next_due" in values:
        clean["next_due"] = _clean_date(values["next_due"], "next_due", errors, required=False)
    if "is_active" in values:
        clean["is_active"] = bool(values["is_active"])
    return clean


def communication_item_create(
    *,
    actor,
    topic: str,
    audience: str,
    frequency: str,
    channel: str,
    owner: User | None = None,
    timing: str = "",
    notes: str = "",
    next_due: datetime.date | None = None,
    now=None,
) -> CommunicationItem:
    """Add a line to the communication plan (reference ``COM-YYYY-NNNN``). A recurring item
    falls due today unless a first date is given."""
    now = now or timezone.now()
    require_edit(actor)
    today = timezone.localdate(now)
    errors: dict = {}
    clean = _item_values(
        {
            "topic": topic,
            "audience": audience,
            "frequency": frequency,
            "channel": channel,
            "owner": owner or actor,
            "timing": timing,
            "notes": notes,
            "next_due": next_due,
        },
        errors,
    )
    if errors:
        raise ValidationError(errors)
    if clean["next_due"] is None and frequency not in (Frequency.AS_NEEDED,):
        clean["next_due"] = today
    with transaction.atomic():
        item = CommunicationItem.objects.create(
            reference=reference_allocate(kind="COM", year=today.year, width=4),
            created_by=actor,
            created_at=now,
            updated_at=now,
            **clean,
        )
        audit_record(
            actor=actor,
            verb="communication.item_created",
            obj=item,
            payload={
                "reference": item.reference,
                "topic": item.topic,
                "frequency": frequency,
                "channel": channel,
                "owner": item.owner_id,
            },
        )
    return item


def communication_item_update(
    *, actor, item: CommunicationItem, expected_version: int | None = None, now=None, **values
) -> CommunicationItem:
    """Change a plan line (any of topic, audience, frequency, channel, owner, timing, notes,
    next_due, is_active). Nothing is written when nothing changed."""
    now = now or timezone.now()
    require_edit(actor)
    errors: dict = {}
    unknown = set(values) - {
        "topic", "audience", "frequency", "channel", "owner", "timing", "notes", "next_due",
        "is_active",
    }  # fmt: skip
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    clean = _item_values(values, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        item = CommunicationItem.objects.select_for_update(of=("self",)).get(pk=item.pk)
        if expected_version is not None and item.version != expected_version:
            raise ValidationError(
                _("Someone else changed this item meanwhile; check it and try again."),
                code="stale",
            )
        changes = _changes(item, clean)
        if not changes:
            return item
        item.updated_at = now
        item.version = F("version") + 1
        item.save()
        item.refresh_from_db(fields=["version"])
        audit_record(actor=actor, verb="communication.item_updated", obj=item, payload=changes)
    return item


def communication_record_add(
    *,
    actor,
    item: CommunicationItem,
    held_on: datetime.date,
    summary: str,
    files=(),
    now=None,
) -> CommunicationRecord:
    """Record a communication held for a plan line (date, summary, optional files, kept as
    internal attachments). The line's next due date moves on by its frequency."""
    now = now or timezone.now()
    if not may_record_communication(actor, item):
        raise PermissionDenied
    errors: dict = {}
    held_on = _clean_date(held_on, "held_on", errors)
    if held_on and held_on > timezone.localdate(now):
        errors["held_on"] = _("Record a communication once it is held.")
    summary = text_clean(
        summary, "summary", errors, limit=TEXT_LIMIT, required_message=_("Summarise what was said.")
    )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        item = CommunicationItem.objects.select_for_update(of=("self",)).get(pk=item.pk)
        record = CommunicationRecord.objects.create(
            item=item, held_on=held_on, summary=summary, recorded_by=actor, created_at=now
        )
        changes = {}
        if item.last_held_on is None or held_on >= item.last_held_on:
            next_due = next_communication_due(item.frequency, held_on)
            changes = {
                "last_held_on": [item.last_held_on, held_on],
                "next_due": [item.next_due, next_due],
            }
            item.last_held_on, item.next_due = held_on, next_due
            item.updated_at = now
            item.save(update_fields=["last_held_on", "next_due", "updated_at"])
        audit_record(
            actor=actor,
            verb="communication.held",
            obj=item,
            payload={"record": record.pk, "held_on": held_on, **changes},
        )
        for uploaded in files:
            attachment_add(
                actor=actor,
                organisation=actor.organisation,
                uploaded_file=uploaded,
                target=record,
                is_internal=True,
            )
    return record


def communication_due_remind(*, today: datetime.date | None = None) -> int:
    """Remind the owner of each active plan line that falls due (today or before): exactly
    once per line and due date. Returns how many were sent."""
    today = today or timezone.localdate()
    due = (
        CommunicationItem.objects.filter(is_active=True, next_due__lte=today)
        .select_related("owner")
        .order_by("pk")
    )
    return reminders_send(
        due,
        key=lambda item: f"communication-due:{item.pk}:{item.next_due.isoformat()}",
        recipient=lambda item: item.owner,
        kind="communication_due",
        context=lambda item: {"item": item},
        url=lambda item: reverse("communication_detail", args=[item.reference]),
        verb="communication.due_reminded",
        payload=lambda item: {"owner": item.owner_id, "next_due": item.next_due},
    )
