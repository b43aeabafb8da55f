"""Implementation plan writes: plan items (from gaps or by hand), their status and progress,
milestones, and the overdue reminders.

Each service checks the actor's right, validates, writes the change, the item's history row
and one audit row in one transaction, and raises ValidationError (translated messages,
nothing written) on bad input.
"""

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.conformity.models import Clause
from serviceloop.core.audit import audit_record, field_changes, snapshot
from serviceloop.core.models import User
from serviceloop.core.numbering import reference_allocate
from serviceloop.core.roles import Capability
from serviceloop.core.services.notifications import reminders_send
from serviceloop.planning.models import (
    AssessmentAnswer,
    ItemStatus,
    Milestone,
    MilestoneKind,
    PlanItem,
    PlanItemEvent,
    PlanItemEventKind,
    item_transition_for,
)
from serviceloop.planning.permissions import can_manage, can_report_progress

REFERENCE_KIND = "PLN"
TEXT_LIMIT = 20_000
MAX_BUDGET = Decimal("999999999999.99")
ITEM_FIELDS = (
    "title",
    "goal",
    "owner",
    "resources",
    "budget",
    "currency",
    "start_on",
    "due_on",
)
MILESTONE_FIELDS = ("title", "kind", "due_on", "note")
UNSET = object()


def _require_manager(actor) -> None:
    if not can_manage(actor):
        raise PermissionDenied


def _check_version(record, expected_version) -> None:
    if expected_version is not None and expected_version != record.version:
        raise ValidationError(
            _("Someone changed this record since you opened it. Reload and try again."),
            code="stale",
        )


def _text(value, field: str, errors: dict, *, limit: int = TEXT_LIMIT, required=False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = _("Enter text.")
        return ""
    value = value.strip()
    if required and not value:
        errors[field] = _("This field is required.")
    elif len(value) > limit:
        errors[field] = _("Keep it under %(n)d characters.") % {"n": limit}
    return value


def _date(value, field: str, errors: dict):
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        errors[field] = _("Enter a valid date.")
        return None
    return value


def _clean_owner(owner, errors: dict):
    if not (isinstance(owner, User) and owner.is_active and owner.has_capability(Capability.STAFF)):
        errors["owner"] = _("The owner must be an active member of the provider's staff.")
    return owner


def _clean_budget(value, errors: dict):
    if value in (None, ""):
        return None
    try:
        budget = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        errors["budget"] = _("Enter the budget as a number.")
        return None
    if budget < 0 or budget > MAX_BUDGET:
        errors["budget"] = _("Enter a budget between 0 and %(max)s.") % {"max": MAX_BUDGET}
    return budget


def _clean_currency(value, errors: dict) -> str:
    value = (value or "CNY").strip().upper() if isinstance(value, str) else ""
    if len(value) != 3 or not value.isalpha():
        errors["currency"] = _("Enter a three-letter currency code such as CNY.")
    return value


def _would_cycle(item: PlanItem | None, dependencies: list[PlanItem]) -> bool:
    """Whether making ``item`` depend on ``dependencies`` closes a loop (item ← … ← item)."""
    if item is None or item.pk is None:
        return False
    edges: dict[int, set[int]] = {}
    for source, target in PlanItem.depends_on.through.objects.values_list(
        "from_planitem_id", "to_planitem_id"
    ):
        edges.setdefault(source, set()).add(target)
    edges[item.pk] = {d.pk for d in dependencies}
    stack, seen = list(edges[item.pk]), set()
    while stack:
        current = stack.pop()
        if current == item.pk:
            return True
        if current in seen:
            continue
        seen.add(current)
        stack.extend(edges.get(current, ()))
    return False


def _clean_item(values: dict, errors: dict, item: PlanItem | None = None) -> dict:
    cleaned = {}
    if "title" in values:
        cleaned["title"] = _text(values["title"], "title", errors, limit=200, required=True)
    for name in ("goal", "resources"):
        if name in values:
            cleaned[name] = _text(values[name], name, errors)
    if "owner" in values:
        cleaned["owner"] = _clean_owner(values["owner"], errors)
    if "budget" in values:
        cleaned["budget"] = _clean_budget(values["budget"], errors)
    if "currency" in values:
        cleaned["currency"] = _clean_currency(values["currency"], errors)
    for name in ("start_on", "due_on"):
        if name in values:
            cleaned[name] = _date(values[name], name, errors)
    start = cleaned.get("start_on", item.start_on if item else None)
    due = cleaned.get("due_on", item.due_on if item else None)
    if start and due and due < start and "due_on" not in errors:
        errors["due_on"] = _("The due date cannot be before the start date.")
    if "depends_on" in values:
        dependencies = list(values["depends_on"] or [])
        if item is not None and any(d.pk == item.pk for d in dependencies):
            errors["depends_on"] = _("An item cannot depend on itself.")
        elif _would_cycle(item, dependencies):
            errors["depends_on"] = _(
                "These dependencies would make a loop: an item would wait for itself."
            )
        cleaned["depends_on"] = dependencies
    if "clauses" in values:
        cleaned["clauses"] = list(values["clauses"] or [])
        if any(not isinstance(c, Clause) for c in cleaned["clauses"]):
            errors["clauses"] = _("Choose clauses from the list.")
    return cleaned


def _event(item, actor, kind, *, from_value="", to_value="", note="", at=None):
    PlanItemEvent.objects.create(
        item=item,
        at=at or timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        kind=kind,
        from_value=str(from_value)[:120],
        to_value=str(to_value)[:120],
        note=note,
    )


# --- Plan items ----------------------------------------------------------------------------


def plan_item_create(
    *,
    actor,
    title: str,
    owner,
    start_on: datetime.date,
    due_on: datetime.date,
    goal: str = "",
    resources: str = "",
    budget=None,
    currency: str = "CNY",
    clauses=(),
    depends_on=(),
    source_answer: AssessmentAnswer | None = None,
) -> PlanItem:
    """A new plan item (not started, 0 % complete) with its reference ``PLN-YYYY-NNNNNN``."""
    _require_manager(actor)
    errors: dict = {}
    values = _clean_item(
        {
            "title": title,
            "owner": owner,
            "start_on": start_on,
            "due_on": due_on,
            "goal": goal,
            "resources": resources,
            "budget": budget,
            "currency": currency,
            "clauses": clauses,
            "depends_on": depends_on,
        },
        errors,
    )
    if errors:
        raise ValidationError(errors)
    clauses = values.pop("clauses")
    if source_answer is not None and source_answer.clause not in clauses:
        clauses.append(source_answer.clause)
    dependencies = values.pop("depends_on")
    now = timezone.now()
    with transaction.atomic():
        item = PlanItem.objects.create(
            reference=reference_allocate(kind=REFERENCE_KIND, year=timezone.localdate(now).year),
            source_answer=source_answer,
            created_by=actor,
            created_at=now,
            updated_at=now,
            **values,
        )
        item.clauses.set(clauses)
        item.depends_on.set(dependencies)
        _event(item, actor, PlanItemEventKind.CREATED, at=now)
        audit_record(
            actor=actor,
            verb="plan_item.created",
            obj=item,
            payload={
                "reference": item.reference,
                "owner": item.owner_id,
                "due_on": item.due_on,
                "clauses": [c.number for c in clauses],
                "source_answer": source_answer.pk if source_answer else None,
            },
        )
    return item


def plan_item_update(
    *, actor, item: PlanItem, expected_version: int | None = None, **changes
) -> PlanItem:
    """Change an item's details (title, goal, owner, resources, budget, currency, dates,
    clauses, dependencies). Status and progress have their own services."""
    _require_manager(actor)
    unknown = set(changes) - set(ITEM_FIELDS) - {"clauses", "depends_on"}
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    errors: dict = {}
    with transaction.atomic():
        item = PlanItem.objects.select_for_update(of=("self",)).get(pk=item.pk)
        _check_version(item, expected_version)
        values = _clean_item(changes, errors, item)
        if errors:
            raise ValidationError(errors)
        before = snapshot(item, ITEM_FIELDS)
        clauses = values.pop("clauses", None)
        dependencies = values.pop("depends_on", None)
        for name, value in values.items():
            setattr(item, name, value)
        changes_made = field_changes(item, before, ITEM_FIELDS)
        if clauses is not None:
            old = sorted(item.clauses.values_list("number", flat=True))
            new = sorted(c.number for c in clauses)
            if old != new:
                changes_made["clauses"] = [old, new]
                item.clauses.set(clauses)
        if dependencies is not None:
            old = sorted(item.depends_on.values_list("reference", flat=True))
            new = sorted(d.reference for d in dependencies)
            if old != new:
                changes_made["depends_on"] = [old, new]
                item.depends_on.set(dependencies)
        if not changes_made:
            return item
        item.updated_at = timezone.now()
        item.version += 1
        item.save()
        _event(item, actor, PlanItemEventKind.UPDATED, note=", ".join(sorted(changes_made)))
        audit_record(actor=actor, verb="plan_item.updated", obj=item, payload=changes_made)
    return item


def plan_item_transition(
    *,
    actor,
    item: PlanItem,
    target: str,
    reason: str = "",
    expected_version: int | None = None,
    today: datetime.date | None = None,
) -> PlanItem:
    """Move an item along its lifecycle (``ITEM_TRANSITIONS``); a manager or the item's owner.

    Blocking needs a reason; "done" needs every item it depends on to be done, and sets
    100 % complete and the completion date. Reopening a done item clears that date."""
    if not can_report_progress(actor, item):
        raise PermissionDenied
    today = today or timezone.localdate()
    with transaction.atomic():
        item = PlanItem.objects.select_for_update(of=("self",)).get(pk=item.pk)
        _check_version(item, expected_version)
        transition = item_transition_for(item.status, target)
        if transition is None:
            raise ValidationError(
                {"target": _("This item cannot move from its current status to that one.")}
            )
        errors: dict = {}
        reason = _text(reason, "reason", errors, limit=2000)
        if transition.needs == "reason" and not reason and "reason" not in errors:
            errors["reason"] = _("Say what blocks the item.")
        if transition.needs == "dependencies_done":
            waiting = list(
                item.depends_on.exclude(status=ItemStatus.DONE).values_list("reference", flat=True)
            )
            if waiting:
                errors["target"] = _("Finish the items this one depends on first: %(items)s.") % {
                    "items": ", ".join(sorted(waiting))
                }
        if errors:
            raise ValidationError(errors)
        previous = item.status
        item.status = target
        if target == ItemStatus.BLOCKED:
            item.blocked_reason = reason
        else:
            item.blocked_reason = ""
        if target == ItemStatus.DONE:
            item.percent_complete = 100
            item.completed_on = today
        else:
            item.completed_on = None
        item.updated_at = timezone.now()
        item.version += 1
        item.save()
        _event(
            item, actor, PlanItemEventKind.STATUS, from_value=previous, to_value=target, note=reason
        )
        audit_record(
            actor=actor,
            verb="plan_item.status_changed",
            obj=item,
            payload={"from": previous, "to": target, "reason": reason},
        )
    return item


def plan_item_progress(
    *, actor, item: PlanItem, percent: int, note: str = "", expected_version: int | None = None
) -> PlanItem:
    """Report how far an item is (0–100 %); a manager or the item's owner.

    A report above 0 % on an item not started starts it (it is evidently in progress). A done
    item is 100 % by definition: reopen it to report less. Reaching 100 % does not mark it
    done: that is a decision ("Mark as done"), which checks its dependencies."""
    if not can_report_progress(actor, item):
        raise PermissionDenied
    errors: dict = {}
    if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
        errors["percent_complete"] = _("Enter a percentage from 0 to 100.")
    note = _text(note, "note", errors, limit=2000)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        item = PlanItem.objects.select_for_update(of=("self",)).get(pk=item.pk)
        _check_version(item, expected_version)
        if item.status == ItemStatus.DONE:
            raise ValidationError(
                {"percent_complete": _("This item is done. Reopen it to report other progress.")}
            )
        if percent == item.percent_complete and not note:
            return item
        previous = item.percent_complete
        item.percent_complete = percent
        started = item.status == ItemStatus.NOT_STARTED and percent > 0
        if started:
            item.status = ItemStatus.IN_PROGRESS
        item.updated_at = timezone.now()
        item.version += 1
        item.save()
        _event(
            item,
            actor,
            PlanItemEventKind.PROGRESS,
            from_value=f"{previous}%",
            to_value=f"{percent}%",
            note=note,
        )
        audit_record(
            actor=actor,
            verb="plan_item.progress",
            obj=item,
            payload={"from": previous, "to": percent, "note": note, "started": started},
        )
    return item


def plan_items_from_gaps(
    *,
    actor,
    answers: list[AssessmentAnswer],
    owner,
    start_on: datetime.date,
    due_on: datetime.date,
) -> list[PlanItem]:
    """One plan item per selected gap, linked to its clause and to the answer it closes:
    the title names the clause, the goal is the recorded gap (or the clause's question).
    Answers that already have a plan item are skipped (returns only the items created)."""
    _require_manager(actor)
    from serviceloop.planning.questions import question_for

    if not answers:
        raise ValidationError(_("Choose at least one gap."))
    fresh = AssessmentAnswer.objects.select_related("clause").in_bulk([a.pk for a in answers])
    created = []
    with transaction.atomic():
        for answer in (fresh[a.pk] for a in answers if a.pk in fresh):
            if answer.plan_items.exists():
                continue
            clause = answer.clause
            question = question_for(clause.number)
            title = _("Close the gap in %(number)s %(title)s") % {
                "number": clause.number,
                "title": clause.title,
            }
            created.append(
                plan_item_create(
                    actor=actor,
                    title=title[:200],
                    owner=owner,
                    start_on=start_on,
                    due_on=due_on,
                    goal=answer.gap or (question.text if question else ""),
                    clauses=[clause],
                    source_answer=answer,
                )
            )
    return created


# --- Milestones ----------------------------------------------------------------------------


def _clean_milestone(values: dict, errors: dict) -> dict:
    cleaned = {}
    if "title" in values:
        cleaned["title"] = _text(values["title"], "title", errors, limit=200, required=True)
    if "kind" in values:
        if values["kind"] not in MilestoneKind.values:
            errors["kind"] = _("Choose a kind of milestone from the list.")
        cleaned["kind"] = values["kind"]
    if "due_on" in values:
        cleaned["due_on"] = _date(values["due_on"], "due_on", errors)
    if "note" in values:
        cleaned["note"] = _text(values["note"], "note", errors)
    if "items" in values:
        cleaned["items"] = list(values["items"] or [])
    return cleaned


def milestone_create(
    *, actor, title: str, due_on: datetime.date, kind: str = MilestoneKind.OTHER, note="", items=()
) -> Milestone:
    _require_manager(actor)
    errors: dict = {}
    values = _clean_milestone(
        {"title": title, "due_on": due_on, "kind": kind, "note": note, "items": items}, errors
    )
    if errors:
        raise ValidationError(errors)
    items = values.pop("items")
    now = timezone.now()
    with transaction.atomic():
        milestone = Milestone.objects.create(
            created_by=actor, created_at=now, updated_at=now, **values
        )
        milestone.items.set(items)
        audit_record(
            actor=actor,
            verb="milestone.created",
            obj=milestone,
            payload={"title": milestone.title, "kind": milestone.kind, "due_on": milestone.due_on},
        )
    return milestone


def milestone_update(
    *, actor, milestone: Milestone, expected_version: int | None = None, **changes
) -> Milestone:
    _require_manager(actor)
    unknown = set(changes) - set(MILESTONE_FIELDS) - {"items"}
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    errors: dict = {}
    values = _clean_milestone(changes, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        milestone = Milestone.objects.select_for_update(of=("self",)).get(pk=milestone.pk)
        _check_version(milestone, expected_version)
        before = snapshot(milestone, MILESTONE_FIELDS)
        items = values.pop("items", None)
        for name, value in values.items():
            setattr(milestone, name, value)
        changes_made = field_changes(milestone, before, MILESTONE_FIELDS)
        if items is not None:
            old = sorted(milestone.items.values_list("reference", flat=True))
            new = sorted(i.reference for i in items)
            if old != new:
                changes_made["items"] = [old, new]
                milestone.items.set(items)
        if not changes_made:
            return milestone
        milestone.updated_at = timezone.now()
        milestone.version += 1
        milestone.save()
        audit_record(actor=actor, verb="milestone.updated", obj=milestone, payload=changes_made)
    return milestone


def milestone_achieve(
    *, actor, milestone: Milestone, achieved_on: datetime.date | None, today=None
) -> Milestone:
    """Record the date a milestone was reached (not in the future), or clear it (None)."""
    _require_manager(actor)
    today = today or timezone.localdate()
    errors: dict = {}
    if achieved_on is not None:
        achieved_on = _date(achieved_on, "achieved_on", errors)
        if achieved_on and achieved_on > today:
            errors["achieved_on"] = _("A milestone cannot be reached in the future.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        milestone = Milestone.objects.select_for_update(of=("self",)).get(pk=milestone.pk)
        previous = milestone.achieved_on
        if previous == achieved_on:
            return milestone
        milestone.achieved_on = achieved_on
        milestone.updated_at = timezone.now()
        milestone.version += 1
        milestone.save()
        audit_record(
            actor=actor,
            verb="milestone.achieved" if achieved_on else "milestone.reopened",
            obj=milestone,
            payload={"from": previous, "to": achieved_on},
        )
    return milestone


# --- Reminders -----------------------------------------------------------------------------


def overdue_reminder_key(item: PlanItem) -> str:
    return f"planning.item_overdue:{item.pk}:{item.due_on.isoformat()}"


def plan_overdue_remind(*, today: datetime.date | None = None) -> int:
    """Tell the owner of every open item whose due date has passed, through the notification
    centre (and e-mail).

    Exactly once per item and due date: the dedupe key names both, no second reminder goes
    out for that key even if the owner changed meanwhile, and the notification table's unique
    key settles a race between two workers. Moving the due date makes a new key, reminded of
    when that date passes in its turn. Returns the number of reminders sent."""
    today = today or timezone.localdate()
    return reminders_send(
        PlanItem.objects.overdue(today).select_related("owner").order_by("pk"),
        key=overdue_reminder_key,
        recipient=lambda item: item.owner,
        kind="plan_item_overdue",
        context=lambda item: {"item": item, "days": (today - item.due_on).days},
        url=lambda item: reverse("plan_item_detail", args=[item.reference]),
        verb="plan_item.overdue_reminded",
        payload=lambda item: {"owner": item.owner_id, "due_on": item.due_on},
    )
