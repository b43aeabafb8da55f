"""Writes of service continuity (clause 8.7.2): plans with their ordered steps and contacts,
plan tests and the issues they found, the annual test schedule and its reminders, and
invoking a plan during a major incident.

The test schedule: every plan carries the date its next test is due (``test_due_on``).
Recording a test moves it to a year after the test, or to ``RETEST_DAYS`` after a failed test
(a plan that failed must prove itself again soon). A test older than the newest one recorded
does not move it.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.assurance.lifecycle import ISSUE_MOVES, PLAN_MOVES, IssueStatus, PlanStatus
from serviceloop.assurance.models import (
    ContinuityContact,
    ContinuityIssue,
    ContinuityPlan,
    ContinuityStep,
    ContinuityTest,
    ContinuityTestKind,
    ContinuityTestResult,
    Invocation,
)
from serviceloop.assurance.permissions import (
    can_edit_plan,
    can_edit_service_records,
    can_operate,
    is_staff,
)
from serviceloop.assurance.record_writes import (
    bump,
    changes_between,
    keep_status_note,
    lock,
    plain,
    record_move,
    save_audited,
    snapshot,
    staff_person,
    text,
)
from serviceloop.assurance.reminders import remind_once
from serviceloop.core.audit import audit_record
from serviceloop.core.numbering import reference_allocate
from serviceloop.core.services.notifications import notify
from serviceloop.desk.lifecycle import Status
from serviceloop.desk.models import Kind, Ticket

REFERENCE_KIND = "BCP"
RETEST_DAYS = 90
PLAN_FIELDS = (
    "title",
    "rto_minutes",
    "rpo_minutes",
    "invocation_criteria",
    "owner",
    "review_on",
    "test_due_on",
)


def one_year_after(day: datetime.date) -> datetime.date:
    """The same date a year later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def next_test_due(tested_on: datetime.date, result: str) -> datetime.date:
    if result == ContinuityTestResult.FAIL:
        return tested_on + datetime.timedelta(days=RETEST_DAYS)
    return one_year_after(tested_on)


# --- Cleaning ----------------------------------------------------------------------------------


def _minutes(value, field, errors):
    try:
        minutes = int(value)
    except (TypeError, ValueError):
        errors[field] = _("Give a whole number of minutes.")
        return None
    if minutes < 0 or minutes > 525_600:
        errors[field] = _("Give between 0 minutes and one year.")
        return None
    return minutes


def _date(value, field, errors, *, required=True):
    if value in (None, ""):
        if required:
            errors[field] = _("Give a date.")
        return None
    if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
        errors[field] = _("Give a date.")
        return None
    return value


def _clean_steps(steps, errors) -> list[tuple[str, str]]:
    cleaned = []
    for item in steps or []:
        if isinstance(item, dict):
            action, responsible = item.get("action", ""), item.get("responsible", "")
        else:
            action, responsible = item
        action = (action or "").strip()
        responsible = (responsible or "").strip()[:120]
        if action:
            cleaned.append((action[:2000], responsible))
    if len(cleaned) > 100:
        errors["steps"] = _("A plan holds at most 100 steps.")
    return cleaned


def _clean_contacts(contacts, errors) -> list[dict]:
    cleaned = []
    for item in contacts or []:
        name = (item.get("name") or "").strip()[:120]
        if not name:
            continue
        email = (item.get("email") or "").strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors["contacts"] = _("%(email)s is not an e-mail address.") % {"email": email}
        cleaned.append(
            {
                "name": name,
                "role": (item.get("role") or "").strip()[:120],
                "phone": (item.get("phone") or "").strip()[:40],
                "email": email,
            }
        )
    return cleaned


def _plan_fields(fields: dict, errors: dict) -> dict:
    cleaned = {}
    if "title" in fields:
        cleaned["title"] = text(fields["title"], "title", errors, required=True, limit=200)
    for name in ("rto_minutes", "rpo_minutes"):
        if name in fields:
            cleaned[name] = _minutes(fields[name], name, errors)
    if "invocation_criteria" in fields:
        cleaned["invocation_criteria"] = text(
            fields["invocation_criteria"], "invocation_criteria", errors, required=True
        )
    if "owner" in fields:
        cleaned["owner"] = staff_person(fields["owner"], "owner", errors)
    for name in ("review_on", "test_due_on"):
        if name in fields:
            cleaned[name] = _date(fields[name], name, errors)
    return cleaned


def _write_steps(plan, steps):
    plan.steps.all().delete()
    ContinuityStep.objects.bulk_create(
        ContinuityStep(plan=plan, position=n, action=action, responsible=responsible)
        for n, (action, responsible) in enumerate(steps, start=1)
    )


def _write_contacts(plan, contacts):
    plan.contacts.all().delete()
    ContinuityContact.objects.bulk_create(
        ContinuityContact(plan=plan, position=n, **contact)
        for n, contact in enumerate(contacts, start=1)
    )


# --- Plans -------------------------------------------------------------------------------------


def plan_create(*, actor, service, steps=(), contacts=(), now=None, **fields) -> ContinuityPlan:
    """A continuity plan for ``service`` (a draft): RTO and RPO in minutes, invocation
    criteria, owner, review date, first test due date, ordered steps and contacts. Managers
    and the service's owner create them."""
    if not can_edit_service_records(actor, service):
        raise PermissionDenied
    now = now or timezone.now()
    errors = {}
    missing = [name for name in PLAN_FIELDS if name not in fields]
    for name in missing:
        errors[name] = _("This field is required.")
    cleaned = _plan_fields(fields, errors)
    steps = _clean_steps(steps, errors)
    contacts = _clean_contacts(contacts, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        plan = ContinuityPlan.objects.create(
            reference=reference_allocate(kind=REFERENCE_KIND, year=timezone.localtime(now).year),
            service=service,
            created_by=actor,
            created_at=now,
            updated_at=now,
            **cleaned,
        )
        _write_steps(plan, steps)
        _write_contacts(plan, contacts)
        audit_record(
            actor=actor,
            verb="continuity_plan.created",
            obj=plan,
            payload={
                **snapshot(plan, PLAN_FIELDS),
                "service": service.pk,
                "steps": len(steps),
                "contacts": len(contacts),
            },
        )
    return plan


def plan_update(
    *, actor, plan, expected_version=None, steps=None, contacts=None, now=None, **fields
) -> ContinuityPlan:
    """Change a plan's fields (those given), and replace its steps and contacts when given."""
    if not can_edit_plan(actor, plan):
        raise PermissionDenied
    unknown = set(fields) - set(PLAN_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    now = now or timezone.now()
    errors = {}
    cleaned = _plan_fields(fields, errors)
    steps = None if steps is None else _clean_steps(steps, errors)
    contacts = None if contacts is None else _clean_contacts(contacts, errors)
    if plan.status == PlanStatus.RETIRED:
        errors["status"] = _("A retired plan is kept as it was.")
    if steps is not None and not steps and plan.status == PlanStatus.ACTIVE:
        errors["steps"] = _("An active plan needs its steps.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        plan = lock(plan, expected_version)
        before = snapshot(plan, PLAN_FIELDS)
        for name, value in cleaned.items():
            setattr(plan, name, value)
        changes = changes_between(before, snapshot(plan, PLAN_FIELDS))
        if steps is not None:
            old = [(s.action, s.responsible) for s in plan.steps.all()]
            if old != steps:
                _write_steps(plan, steps)
                changes["steps"] = [len(old), len(steps)]
        if contacts is not None:
            old = [
                {"name": c.name, "role": c.role, "phone": c.phone, "email": c.email}
                for c in plan.contacts.all()
            ]
            if old != contacts:
                _write_contacts(plan, contacts)
                changes["contacts"] = [len(old), len(contacts)]
        if not changes:
            return plan
        save_audited(plan, actor=actor, verb="continuity_plan.updated", payload=changes, now=now)
    return plan


def plan_transition(
    *, actor, plan, target: str, note: str = "", expected_version=None, now=None
) -> ContinuityPlan:
    """Approve a draft for use (it needs steps), send it back to draft, or retire it (with a
    reason)."""
    if not can_edit_plan(actor, plan):
        raise PermissionDenied

    def check(move, errors):
        if move.needs == "steps" and not plan.steps.exists():
            errors["steps"] = _("Write the plan's steps before approving it.")

    def apply(plan, note):
        if target == PlanStatus.RETIRED:
            plan.retire_reason = note

    return record_move(
        actor=actor,
        record=plan,
        moves=PLAN_MOVES,
        target=target,
        note=note,
        expected_version=expected_version,
        refused=_("The plan cannot move to that status."),
        verb="continuity_plan",
        apply=apply,
        check=check,
        now=now or timezone.now(),
    )


# --- Tests and their issues --------------------------------------------------------------------


def _clean_issue(item: dict, errors: dict, prefix: str = "") -> dict:
    own = {}
    description = text(item.get("description"), "description", own, required=True)
    action = text(item.get("action"), "action", own, required=True)
    owner = staff_person(item.get("owner"), "owner", own)
    due_on = _date(item.get("due_on"), "due_on", own)
    for field, message in own.items():
        errors[f"{prefix}{field}" if prefix else field] = message
    return {"description": description, "action": action, "owner": owner, "due_on": due_on}


def plan_test_record(
    *,
    actor,
    plan,
    kind: str,
    tested_on,
    result: str,
    summary: str,
    participants=(),
    other_participants: str = "",
    recovery_minutes=None,
    issues=(),
    now=None,
) -> ContinuityTest:
    """Record a test of the plan (tabletop or live) with its result and the issues it found
    (each with an action, owner and due date), and move the plan's next test date."""
    if not can_edit_plan(actor, plan):
        raise PermissionDenied
    now = now or timezone.now()
    today = timezone.localdate(now)
    errors = {}
    if plan.status == PlanStatus.RETIRED:
        errors["plan"] = _("A retired plan is not tested any more.")
    if kind not in ContinuityTestKind.values:
        errors["kind"] = _("Choose a tabletop exercise or a live test.")
    if result not in ContinuityTestResult.values:
        errors["result"] = _("Choose passed, partly passed or failed.")
    tested_on = _date(tested_on, "tested_on", errors)
    if tested_on is not None and tested_on > today:
        errors["tested_on"] = _("Record a test once it has taken place.")
    summary = text(summary, "summary", errors, required=True)
    other_participants = text(other_participants, "other_participants", errors, limit=300)
    if recovery_minutes not in (None, ""):
        recovery_minutes = _minutes(recovery_minutes, "recovery_minutes", errors)
    else:
        recovery_minutes = None
    participants = list(participants or [])
    if not participants and not other_participants:
        errors["participants"] = _("Say who took part.")
    issues = [_clean_issue(item, errors, prefix="issues") for item in issues or []]
    if result != ContinuityTestResult.PASS and not issues and "summary" not in errors:
        # A test that did not pass found something: it must be followed up.
        errors["issues"] = _("Record at least one issue with its action.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        plan = lock(plan)
        test = ContinuityTest.objects.create(
            plan=plan,
            kind=kind,
            tested_on=tested_on,
            result=result,
            summary=summary,
            other_participants=other_participants,
            recovery_minutes=recovery_minutes,
            recorded_by=actor,
            recorded_at=now,
        )
        test.participants.set(participants)
        for item in issues:
            ContinuityIssue.objects.create(test=test, **item)
        newest = plan.tests.exclude(pk=test.pk).order_by("-tested_on").first()
        old_due = plan.test_due_on
        if newest is None or tested_on >= newest.tested_on:
            plan.test_due_on = next_test_due(tested_on, result)
            plan.updated_at = now
            bump(plan)
            plan.save()
        audit_record(
            actor=actor,
            verb="continuity_plan.tested",
            obj=plan,
            payload={
                "test": test.pk,
                "kind": kind,
                "tested_on": tested_on,
                "result": result,
                "issues": len(issues),
                "test_due_on": [old_due, plan.test_due_on],
            },
        )
    return test


def issue_add(*, actor, test, **fields) -> ContinuityIssue:
    """Add an issue (with its action, owner and due date) to a recorded test."""
    if not can_edit_plan(actor, test.plan):
        raise PermissionDenied
    errors = {}
    cleaned = _clean_issue(fields, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        issue = ContinuityIssue.objects.create(test=test, **cleaned)
        audit_record(
            actor=actor,
            verb="continuity_issue.created",
            obj=issue,
            payload={
                **plain({k: getattr(issue, k) for k in ("due_on", "owner_id")}),
                "test": test.pk,
            },
        )
    return issue


def issue_transition(
    *, actor, issue, target: str, note: str = "", expected_version=None, now=None
) -> ContinuityIssue:
    """Mark an issue's action done, cancel it (with a reason), or reopen it. The plan's
    editors and the issue's owner may."""
    if not (
        can_edit_plan(actor, issue.test.plan) or (is_staff(actor) and issue.owner_id == actor.pk)
    ):
        raise PermissionDenied
    now = now or timezone.now()

    def apply(issue, note):
        keep_status_note(issue, note)
        issue.closed_at = None if target == IssueStatus.OPEN else now

    return record_move(
        actor=actor,
        record=issue,
        moves=ISSUE_MOVES,
        target=target,
        note=note,
        expected_version=expected_version,
        refused=_("The issue cannot move to that status."),
        verb="continuity_issue",
        apply=apply,
    )


# --- Invocations -------------------------------------------------------------------------------


def plan_invoke(*, actor, plan, ticket: Ticket, notes: str = "", at=None) -> Invocation:
    """Invoke an active plan for a major incident (staff who operate). The plan's owner and
    the service's owner are told at once."""
    if actor is None or not can_operate(actor):
        raise PermissionDenied
    if not Ticket.objects.visible_to(actor).filter(pk=ticket.pk).exists():
        raise PermissionDenied
    at = at or timezone.now()
    errors = {}
    if plan.status != PlanStatus.ACTIVE:
        errors["plan"] = _("Only an active plan can be invoked.")
    if ticket.kind != Kind.INCIDENT or not ticket.is_major:
        errors["ticket"] = _("A plan is invoked for a major incident.")
    elif ticket.status in (Status.CANCELLED, Status.CLOSED):
        errors["ticket"] = _("The incident is over.")
    notes = text(notes, "notes", errors)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            invocation = Invocation.objects.create(
                plan=plan, ticket=ticket, invoked_at=at, invoked_by=actor, notes=notes
            )
            audit_record(
                actor=actor,
                verb="continuity_plan.invoked",
                obj=plan,
                payload={"invocation": invocation.pk, "ticket": ticket.reference, "notes": notes},
            )
            notify(
                recipients=[p for p in (plan.owner, plan.service.owner) if p and p != actor],
                kind="continuity_invoked",
                context={"plan": plan, "ticket": ticket, "actor": actor, "notes": notes},
                url=reverse("continuity_plan_detail", args=[plan.reference]),
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"plan": _("The plan is already invoked for this incident.")}
        ) from exc
    return invocation


def invocation_stand_down(*, actor, invocation, notes: str = "", at=None) -> Invocation:
    """Stand an invoked plan down (staff who operate); the notes are appended."""
    if actor is None or not can_operate(actor):
        raise PermissionDenied
    at = at or timezone.now()
    errors = {}
    notes = text(notes, "notes", errors)
    if invocation.stood_down_at is not None:
        errors["invocation"] = _("The plan was already stood down.")
    elif at < invocation.invoked_at:
        errors["at"] = _("A plan is stood down after it was invoked.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        invocation = Invocation.objects.select_for_update(of=("self",)).get(pk=invocation.pk)
        if invocation.stood_down_at is not None:
            raise ValidationError({"invocation": _("The plan was already stood down.")})
        invocation.stood_down_at, invocation.stood_down_by = at, actor
        if notes:
            invocation.notes = f"{invocation.notes}\n{notes}".strip()
        invocation.save()
        audit_record(
            actor=actor,
            verb="continuity_plan.stood_down",
            obj=invocation.plan,
            payload={"invocation": invocation.pk, "at": at, "notes": notes},
        )
    return invocation


# --- Reminders ---------------------------------------------------------------------------------


def continuity_tests_remind(today=None) -> int:
    """Tell each plan's owner once that its test is overdue: exactly once per plan and due
    date (moving the date makes a new reminder when that date passes in its turn). Returns
    the number of reminders sent."""
    today = today or timezone.localdate()
    sent = 0
    for plan in (
        ContinuityPlan.objects.test_overdue(today).select_related("owner", "service").order_by("pk")
    ):

        def send(plan=plan):
            created = notify(
                recipients=[plan.owner],
                kind="continuity_test_overdue",
                context={"plan": plan, "days": (today - plan.test_due_on).days},
                url=reverse("continuity_plan_detail", args=[plan.reference]),
            )
            audit_record(
                actor=None,
                verb="continuity_plan.test_overdue_reminded",
                obj=plan,
                payload={"owner": plan.owner_id, "test_due_on": plan.test_due_on},
            )
            return len(created)

        if remind_once(
            kind="continuity_test_due", obj=plan, due=plan.test_due_on.isoformat(), send=send
        ):
            sent += 1
    return sent
