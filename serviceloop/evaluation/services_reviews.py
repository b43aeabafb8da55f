"""Management review writes (clause 9.3): the review, its pack, the meeting's decisions and
actions, the minutes' approval, and the actions' closure.

Each service checks the actor's right (PermissionDenied: 403), validates (ValidationError with
translated messages, nothing written), writes the change and one audit row in one transaction;
notifications are stored in it and delivered after commit. The review's lifecycle is the
declared table ``REVIEW_TRANSITIONS``; generating the pack is its own service (the pack is
frozen once the meeting starts); only the chair approves the minutes.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record, field_changes, snapshot
from serviceloop.core.models import User
from serviceloop.core.numbering import reference_allocate
from serviceloop.core.roles import Capability
from serviceloop.core.services.notifications import notify
from serviceloop.evaluation.inputs_reviews import pack_build
from serviceloop.evaluation.models import (
    InputCode,
    ManagementReview,
    PackLanguage,
    ReviewAction,
    ReviewDecision,
    ReviewInput,
    ReviewStatus,
    review_transition_for,
)
from serviceloop.evaluation.models.reviews import PREPARE, REVIEW
from serviceloop.evaluation.permissions_reviews import (
    can_hold,
    can_prepare,
    review_roles,
)
from serviceloop.planning.field_cleaning import (
    check_version,
    clean_choice,
    clean_date,
    clean_owner,
    clean_text,
    raise_if,
)

REFERENCE_KIND = "MR"
REVIEW_FIELDS = ("title", "period_start", "period_end", "scheduled_on", "location", "chair",
                 "guests")  # fmt: skip
TEXT_LIMIT = 4000


def _require_prepare(actor) -> None:
    if not can_prepare(actor):
        raise PermissionDenied


def _require_hold(actor) -> None:
    if not can_hold(actor):
        raise PermissionDenied


def _clean_chair(chair, errors: dict):
    if not (
        isinstance(chair, User) and chair.is_active and chair.has_capability(Capability.REVIEW)
    ):
        errors["chair"] = _("The chair must be an active member of top management.")
    return chair


def _clean_attendees(attendees, errors: dict) -> list:
    attendees = list(attendees or [])
    if any(
        not (isinstance(p, User) and p.is_active and p.has_capability(Capability.STAFF))
        for p in attendees
    ):
        errors["attendees"] = _("Attendees must be active members of the provider's staff.")
    return attendees


def _clean_review(values: dict, errors: dict, review: ManagementReview | None = None) -> dict:
    cleaned = {}
    if "title" in values:
        cleaned["title"] = clean_text(values["title"], "title", errors, limit=200, required=True)
    for name in ("period_start", "period_end", "scheduled_on"):
        if name in values:
            cleaned[name] = clean_date(values[name], name, errors)
    if "location" in values:
        cleaned["location"] = clean_text(values["location"], "location", errors, limit=200)
    if "guests" in values:
        cleaned["guests"] = clean_text(values["guests"], "guests", errors, limit=500)
    if "chair" in values:
        cleaned["chair"] = _clean_chair(values["chair"], errors)
    if "attendees" in values:
        cleaned["attendees"] = _clean_attendees(values["attendees"], errors)
    start = cleaned.get("period_start", getattr(review, "period_start", None))
    end = cleaned.get("period_end", getattr(review, "period_end", None))
    if start and end and not {"period_start", "period_end"} & set(errors) and end < start:
        errors["period_end"] = _("The period must end on or after its first day.")
    return cleaned


def review_create(
    *,
    actor,
    title: str,
    period_start: datetime.date,
    period_end: datetime.date,
    scheduled_on: datetime.date,
    chair,
    attendees=(),
    location: str = "",
    guests: str = "",
    now: datetime.datetime | None = None,
) -> ManagementReview:
    """Plan a management review ``MR-YYYY-NNNNNN`` over a period, chaired by a member of top
    management, with one (empty) input per input of 9.3."""
    _require_prepare(actor)
    errors: dict = {}
    cleaned = _clean_review(
        {
            "title": title, "period_start": period_start, "period_end": period_end,
            "scheduled_on": scheduled_on, "chair": chair, "attendees": attendees,
            "location": location, "guests": guests,
        },
        errors,
    )  # fmt: skip
    raise_if(errors)
    people = cleaned.pop("attendees")
    now = now or timezone.now()
    with transaction.atomic():
        review = ManagementReview.objects.create(
            reference=reference_allocate(kind=REFERENCE_KIND, year=timezone.localdate(now).year),
            created_by=actor,
            created_at=now,
            updated_at=now,
            **cleaned,
        )
        review.attendees.set(people)
        ReviewInput.objects.bulk_create(
            ReviewInput(review=review, code=code, position=n, updated_at=now)
            for n, code in enumerate(InputCode.values, start=1)
        )
        audit_record(
            actor=actor,
            verb="management_review.created",
            obj=review,
            payload={**snapshot(review, REVIEW_FIELDS), "attendees": [p.pk for p in people]},
        )
    return review


def review_update(
    *, actor, review: ManagementReview, expected_version: int | None = None, **changes
) -> ManagementReview:
    """Change a review's details while its meeting has not started."""
    _require_prepare(actor)
    unknown = set(changes) - set(REVIEW_FIELDS) - {"attendees"}
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    errors: dict = {}
    with transaction.atomic():
        review = ManagementReview.objects.select_for_update(of=("self",)).get(pk=review.pk)
        check_version(review, expected_version)
        if not review.pack_is_open:
            raise ValidationError(_("The meeting has started: the review's details are final."))
        cleaned = _clean_review(changes, errors, review)
        raise_if(errors)
        before = snapshot(review, REVIEW_FIELDS)
        for name in REVIEW_FIELDS:
            if name in cleaned:
                setattr(review, name, cleaned[name])
        made = field_changes(review, before, REVIEW_FIELDS)
        if "attendees" in cleaned:
            old = sorted(review.attendees.values_list("pk", flat=True))
            new = sorted(p.pk for p in cleaned["attendees"])
            if old != new:
                review.attendees.set(cleaned["attendees"])
                made["attendees"] = [old, new]
        if not made:
            return review
        review.updated_at = timezone.now()
        review.version += 1
        review.save()
        audit_record(actor=actor, verb="management_review.updated", obj=review, payload=made)
    return review


def review_pack_generate(
    *, actor, review: ManagementReview, language: str, now: datetime.datetime | None = None
) -> ManagementReview:
    """Read the records of the review period into the pack (one snapshot per input) in
    ``language`` (zh-hans or en). Regenerating before the meeting refreshes every figure and
    keeps what people entered; once the meeting has started the pack is frozen."""
    _require_prepare(actor)
    errors: dict = {}
    clean_choice(language, PackLanguage.values, "language", errors)
    raise_if(errors)
    if not review.pack_is_open:
        raise ValidationError(_("The meeting has started: the pack is frozen."))
    now = now or timezone.now()
    pack = pack_build(review, now=now)
    with transaction.atomic():
        review = ManagementReview.objects.select_for_update(of=("self",)).get(pk=review.pk)
        if not review.pack_is_open:
            raise ValidationError(_("The meeting has started: the pack is frozen."))
        regenerated = review.pack_generated_at is not None
        for position, (code, content) in enumerate(pack.items(), start=1):
            ReviewInput.objects.update_or_create(
                review=review,
                code=code,
                defaults={
                    "position": position,
                    "content": content,
                    "generated_at": now,
                    "updated_at": now,
                },
            )
        previous = (review.language, review.pack_generated_at)
        review.language = language
        review.status = ReviewStatus.PACK_GENERATED
        review.pack_generated_at, review.pack_generated_by = now, actor
        review.updated_at = now
        review.version += 1
        review.save()
        audit_record(
            actor=actor,
            verb=f"management_review.pack_{'regenerated' if regenerated else 'generated'}",
            obj=review,
            payload={
                "language": language,
                "previous_language": previous[0] if regenerated else None,
                "previous_generated_at": previous[1],
                "unavailable": [c for c, content in pack.items() if content.get("unavailable")],
            },
        )  # fmt: skip
    return review


def review_input_enter(*, actor, review_input: ReviewInput, text: str) -> ReviewInput:
    """What people enter on an input: the whole input for market and context changes, a
    comment for the others. The preparers write until the meeting starts; top management
    until the minutes are approved."""
    roles = review_roles(actor, review_input.review)
    if not roles & {PREPARE, REVIEW}:
        raise PermissionDenied
    errors: dict = {}
    text = clean_text(text, "text", errors, limit=TEXT_LIMIT)
    raise_if(errors)
    with transaction.atomic():
        review = ManagementReview.objects.select_for_update(of=("self",)).get(
            pk=review_input.review_id
        )
        allowed = (review.pack_is_open and roles & {PREPARE, REVIEW}) or (
            review.in_meeting_phase and REVIEW in roles
        )
        if not allowed:
            raise ValidationError(_("This input can no longer be changed."))
        review_input = ReviewInput.objects.select_for_update(of=("self",)).get(pk=review_input.pk)
        if review_input.entered_text == text:
            return review_input
        old = review_input.entered_text
        review_input.entered_text = text
        review_input.updated_at = timezone.now()
        review_input.save(update_fields=["entered_text", "updated_at"])
        audit_record(
            actor=actor,
            verb="management_review.input_entered",
            obj=review,
            payload={"input": review_input.code, "text": [old, text]},
        )
    return review_input


def review_transition(
    *,
    actor,
    review: ManagementReview,
    target: str,
    note: str = "",
    expected_version: int | None = None,
    now: datetime.datetime | None = None,
) -> ManagementReview:
    """Move a review along ``REVIEW_TRANSITIONS``: top management starts the meeting (the
    pack must exist), ends it (minutes drafted) or goes back to it; the chair alone approves
    the minutes (at least one decision recorded); the preparers cancel (saying why)."""
    now = now or timezone.now()
    with transaction.atomic():
        review = ManagementReview.objects.select_for_update(of=("self",)).get(pk=review.pk)
        check_version(review, expected_version)
        transition = review_transition_for(review.status, target)
        if transition is None or transition.needs == "pack":
            raise ValidationError(
                {"target": _("This review cannot move from its current status to that one.")}
            )
        if transition.by not in review_roles(actor, review):
            raise PermissionDenied
        errors: dict = {}
        note = clean_text(note, "note", errors, limit=2000)
        if transition.needs == "reason" and not note and "note" not in errors:
            errors["note"] = _("Say why.")
        if target == ReviewStatus.IN_MEETING and not review.has_pack:
            errors["target"] = _("Generate the pack first.")
        if target == ReviewStatus.APPROVED and not review.decisions.exists():
            errors["target"] = _("Record at least one decision before approving the minutes.")
        raise_if(errors)
        previous = review.status
        review.status = target
        review.status_note = note
        if target == ReviewStatus.IN_MEETING and review.held_on is None:
            review.held_on = timezone.localdate(now)
        if target == ReviewStatus.APPROVED:
            review.approved_by, review.approved_at = actor, now
        review.updated_at = now
        review.version += 1
        review.save()
        audit_record(
            actor=actor,
            verb="management_review.status_changed",
            obj=review,
            payload={"from": previous, "to": target, "note": note},
        )
    return review


def review_minutes_update(
    *, actor, review: ManagementReview, summary: str, expected_version: int | None = None
) -> ManagementReview:
    """The conclusions of the meeting (the minutes' summary), written by top management while
    the meeting lasts or its minutes are drafted."""
    _require_hold(actor)
    errors: dict = {}
    summary = clean_text(summary, "minutes_summary", errors, limit=20_000)
    raise_if(errors)
    with transaction.atomic():
        review = ManagementReview.objects.select_for_update(of=("self",)).get(pk=review.pk)
        check_version(review, expected_version)
        if not review.in_meeting_phase:
            raise ValidationError(_("The minutes are written during the meeting."))
        if review.minutes_summary == summary:
            return review
        old, review.minutes_summary = review.minutes_summary, summary
        review.updated_at = timezone.now()
        review.version += 1
        review.save()
        audit_record(
            actor=actor,
            verb="management_review.minutes_updated",
            obj=review,
            payload={"minutes_summary": [old, summary]},
        )
    return review


def _meeting_review(review_id) -> ManagementReview:
    review = ManagementReview.objects.select_for_update(of=("self",)).get(pk=review_id)
    if not review.in_meeting_phase:
        raise ValidationError(_("Decisions and actions are recorded during the meeting."))
    return review


def records_frozen_message(review: ManagementReview) -> str:
    """Why the review's decisions and actions cannot be changed (it is not in the meeting)."""
    if review.status == ReviewStatus.APPROVED:
        return _("The minutes are approved: the decisions and actions are read-only.")
    return _("Decisions and actions are changed during the meeting, until the chair approves "
             "the minutes.")  # fmt: skip


def editable_review(review_id) -> ManagementReview:
    """The review locked for the rest of the transaction, if its decisions and actions may
    still be changed (during the meeting, until the minutes are approved)."""
    review = ManagementReview.objects.select_for_update(of=("self",)).get(pk=review_id)
    if not review.in_meeting_phase:
        raise ValidationError(records_frozen_message(review), code="frozen")
    return review


def review_decision_record(
    *, actor, review_input: ReviewInput, text: str, now: datetime.datetime | None = None
) -> ReviewDecision:
    """Record a decision ``D<n>`` on an input, during the meeting (top management)."""
    _require_hold(actor)
    errors: dict = {}
    text = clean_text(text, "text", errors, limit=TEXT_LIMIT, required=True)
    raise_if(errors)
    now = now or timezone.now()
    with transaction.atomic():
        review = _meeting_review(review_input.review_id)
        number = (review.decisions.aggregate(n=Max("number"))["n"] or 0) + 1
        decision = ReviewDecision.objects.create(
            review=review,
            review_input=review_input,
            number=number,
            text=text,
            recorded_by=actor,
            recorded_at=now,
        )
        review.updated_at = now
        review.save(update_fields=["updated_at"])
        audit_record(
            actor=actor,
            verb="management_review.decision_recorded",
            obj=decision,
            payload={"review": review.reference, "input": review_input.code, "number": number,
                     "text": text},
        )  # fmt: skip
    return decision


def review_decision_update(
    *,
    actor,
    decision: ReviewDecision,
    text: str,
    expected_version: int | None = None,
    now: datetime.datetime | None = None,
) -> ReviewDecision:
    """Change a decision's text (top management) until the chair approves the minutes; then
    it is read-only. One audit row with the text before and after."""
    _require_hold(actor)
    errors: dict = {}
    text = clean_text(text, "text", errors, limit=TEXT_LIMIT, required=True)
    raise_if(errors)
    now = now or timezone.now()
    with transaction.atomic():
        review = editable_review(decision.review_id)
        decision = ReviewDecision.objects.select_for_update(of=("self",)).get(pk=decision.pk)
        check_version(decision, expected_version)
        if decision.text == text:
            return decision
        old, decision.text = decision.text, text
        decision.version += 1
        decision.save(update_fields=["text", "version"])
        review.updated_at = now
        review.save(update_fields=["updated_at"])
        audit_record(
            actor=actor,
            verb="management_review.decision_updated",
            obj=decision,
            payload={"review": review.reference, "number": decision.number, "text": [old, text]},
        )
    return decision


def review_action_add(
    *,
    actor,
    review_input: ReviewInput,
    description: str,
    owner,
    due_on: datetime.date,
    decision: ReviewDecision | None = None,
    now: datetime.datetime | None = None,
) -> ReviewAction:
    """Record an action ``A<n>`` on an input (and optionally one of its decisions), during the
    meeting (top management): an owner from the staff and a due date not in the past. The
    owner is told."""
    _require_hold(actor)
    now = now or timezone.now()
    errors: dict = {}
    description = clean_text(description, "description", errors, limit=TEXT_LIMIT, required=True)
    owner = clean_owner(owner, errors)
    due_on = clean_date(due_on, "due_on", errors)
    if due_on and "due_on" not in errors and due_on < timezone.localdate(now):
        errors["due_on"] = _("The due date cannot be in the past.")
    if decision is not None and decision.review_input_id != review_input.pk:
        errors["decision"] = _("Choose a decision taken on this input.")
    raise_if(errors)
    with transaction.atomic():
        review = _meeting_review(review_input.review_id)
        number = (review.actions.aggregate(n=Max("number"))["n"] or 0) + 1
        action = ReviewAction.objects.create(
            review=review,
            review_input=review_input,
            decision=decision,
            number=number,
            description=description,
            owner=owner,
            due_on=due_on,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        review.updated_at = now
        review.save(update_fields=["updated_at"])
        audit_record(
            actor=actor,
            verb="management_review.action_added",
            obj=action,
            payload={
                "review": review.reference, "input": review_input.code, "number": number,
                "decision": decision.number if decision else None,
                **snapshot(action, ("description", "owner", "due_on")),
            },
        )  # fmt: skip
        notify(
            recipients=[owner],
            kind="review_action_assigned",
            context={"action": action, "review": review},
            url=reverse("management_review_detail", args=[review.reference]),
        )
    return action
