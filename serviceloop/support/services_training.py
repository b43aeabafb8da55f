"""Training (clause 7.2): courses, sessions and their attendance, and who records it.

- **edit** (courses, sessions): the manage-system or administer capability
  (``services_competence.competence_may_edit``); others get 403. Staff read them;
  customers: 404.
- **record attendance and results**: editors and the session's trainer.

A pass on a course that builds a competence raises the attendee's level to the course's
level (never lowers it), with the session as evidence and, for a certification, an expiry
date; the change is kept in ``CompetenceChange``. Each service validates, writes and appends
one audit row in one transaction.
"""

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from serviceloop.core.audit import audit_record
from serviceloop.core.models import User
from serviceloop.core.numbering import reference_allocate
from serviceloop.support.models import (
    AssessmentResult,
    ChangeSource,
    PersonCompetence,
    SessionStatus,
    TrainingAttendance,
    TrainingCourse,
    TrainingSession,
)
from serviceloop.support.record_writing import text_clean
from serviceloop.support.services_competence import (
    TEXT_LIMIT,
    UNSET,
    _apply_level,
    _changes,
    _clean_date,
    _clean_level,
    _staff_person,
    competence_may_edit,
    require_edit,
    require_staff,
)
from serviceloop.support.services_documents import add_months

SESSION_TRANSITIONS = {
    (SessionStatus.PLANNED, SessionStatus.HELD): _l("Mark as held"),
    (SessionStatus.PLANNED, SessionStatus.CANCELLED): _l("Cancel"),
    (SessionStatus.CANCELLED, SessionStatus.PLANNED): _l("Plan again"),
    (SessionStatus.HELD, SessionStatus.PLANNED): _l("Reopen"),
}

# --- Who may do what -----------------------------------------------------------------------


def may_record_attendance(user, session: TrainingSession) -> bool:
    return competence_may_edit(user) or (
        user.is_authenticated and session.trainer_id is not None and session.trainer_id == user.pk
    )


def get_course_for(user, pk, *, write: bool = False) -> TrainingCourse:
    require_staff(user)
    try:
        course = TrainingCourse.objects.select_related("competence").get(pk=pk)
    except (TrainingCourse.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if write:
        require_edit(user)
    return course


def get_session_for(
    user, reference: str, *, write: bool = False, attendance: bool = False
) -> TrainingSession:
    require_staff(user)
    try:
        session = TrainingSession.objects.select_related(
            "course__competence", "trainer", "created_by"
        ).get(reference=reference)
    except (TrainingSession.DoesNotExist, ValueError) as exc:
        raise Http404 from exc
    if write:
        require_edit(user)
    if attendance and not may_record_attendance(user, session):
        raise PermissionDenied
    return session


# --- Courses and sessions ------------------------------------------------------------------


def _course_values(values: dict, errors: dict) -> dict:
    clean = {}
    if "title" in values:
        clean["title"] = text_clean(
            values["title"], "title", errors, limit=200, required_message=_("Give a title.")
        )
    if "description" in values:
        clean["description"] = text_clean(
            values["description"], "description", errors, limit=TEXT_LIMIT
        )
    if "competence" in values:
        clean["competence"] = values["competence"]
    if "raises_to_level" in values:
        level = values["raises_to_level"]
        clean["raises_to_level"] = (
            None
            if level in (None, "")
            else _clean_level(level, errors, field="raises_to_level", minimum=1)
        )
    if "validity_months" in values:
        months = values["validity_months"]
        if months in (None, ""):
            clean["validity_months"] = None
        elif not isinstance(months, int) or not 1 <= months <= 120:
            errors["validity_months"] = _("Between 1 and 120 months, or empty.")
        else:
            clean["validity_months"] = months
    if "duration_hours" in values:
        hours = values["duration_hours"]
        try:
            clean["duration_hours"] = None if hours in (None, "") else Decimal(str(hours))
        except InvalidOperation:
            errors["duration_hours"] = _("Enter a number of hours.")
    if "is_active" in values:
        clean["is_active"] = bool(values["is_active"])
    return clean


def _check_course(clean: dict, errors: dict, course: TrainingCourse | None = None):
    competence = clean.get("competence", course.competence if course else None)
    level = clean.get("raises_to_level", course.raises_to_level if course else None)
    if (competence is None) != (level is None):
        errors["raises_to_level"] = _(
            "Name both the competence a course builds and the level a pass reaches, or neither."
        )
    title = clean.get("title")
    if title:
        clash = TrainingCourse.objects.filter(title__iexact=title)
        if course is not None:
            clash = clash.exclude(pk=course.pk)
        if clash.exists():
            errors["title"] = _("A course with this title exists.")


def course_create(*, actor, title: str, **values) -> TrainingCourse:
    """Add a training course; a course that builds a competence names the level a pass
    reaches and, for a certification, how many months it counts."""
    require_edit(actor)
    errors: dict = {}
    clean = _course_values({"title": title, **values}, errors)
    _check_course(clean, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        course = TrainingCourse.objects.create(**clean)
        audit_record(
            actor=actor,
            verb="training.course_created",
            obj=course,
            payload={
                "title": course.title,
                "competence": course.competence_id,
                "raises_to_level": course.raises_to_level,
                "validity_months": course.validity_months,
            },
        )
    return course


def course_update(*, actor, course: TrainingCourse, **values) -> TrainingCourse:
    require_edit(actor)
    errors: dict = {}
    clean = _course_values(values, errors)
    _check_course(clean, errors, course)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        course = TrainingCourse.objects.select_for_update(of=("self",)).get(pk=course.pk)
        changes = _changes(course, clean)
        if not changes:
            return course
        course.save()
        audit_record(actor=actor, verb="training.course_updated", obj=course, payload=changes)
    return course


def _clean_attendees(attendees, errors) -> list[User]:
    attendees = list(attendees or [])
    for person in attendees:
        if not isinstance(person, User) or not (person.is_active and person.is_provider_staff):
            errors["attendees"] = _("Attendees are active members of staff.")
            break
    return attendees


def session_create(
    *,
    actor,
    course: TrainingCourse,
    held_on: datetime.date,
    trainer: User | None = None,
    trainer_name: str = "",
    location: str = "",
    notes: str = "",
    attendees=(),
    now=None,
) -> TrainingSession:
    """Plan a training session (reference ``TRN-YYYY-NNNN``) with its attendees."""
    now = now or timezone.now()
    require_edit(actor)
    errors: dict = {}
    held_on = _clean_date(held_on, "held_on", errors)
    trainer_name = text_clean(trainer_name, "trainer_name", errors, limit=150)
    if trainer is not None:
        _staff_person(trainer, "trainer", errors)
    if trainer is None and not trainer_name and "trainer_name" not in errors:
        errors["trainer"] = _("Name the trainer: one of us, or an external trainer.")
    location = text_clean(location, "location", errors, limit=200)
    notes = text_clean(notes, "notes", errors, limit=TEXT_LIMIT)
    attendees = _clean_attendees(attendees, errors)
    if not isinstance(course, TrainingCourse):
        errors["course"] = _("Choose a course.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        session = TrainingSession.objects.create(
            reference=reference_allocate(kind="TRN", year=held_on.year, width=4),
            course=course,
            held_on=held_on,
            trainer=trainer,
            trainer_name=trainer_name,
            location=location,
            notes=notes,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        TrainingAttendance.objects.bulk_create(
            [TrainingAttendance(session=session, person=p) for p in attendees]
        )
        audit_record(
            actor=actor,
            verb="training.session_created",
            obj=session,
            payload={
                "reference": session.reference,
                "course": course.pk,
                "held_on": held_on,
                "trainer": trainer.pk if trainer else trainer_name,
                "attendees": sorted(p.pk for p in attendees),
            },
        )
    return session


def session_update(
    *,
    actor,
    session: TrainingSession,
    held_on=UNSET,
    trainer=UNSET,
    trainer_name=UNSET,
    location=UNSET,
    notes=UNSET,
    attendees=UNSET,
    now=None,
) -> TrainingSession:
    """Change a session; attendees may be added, and removed while nothing is recorded for
    them (a recorded attendance is evidence)."""
    now = now or timezone.now()
    require_edit(actor)
    errors: dict = {}
    values = {}
    if held_on is not UNSET:
        values["held_on"] = _clean_date(held_on, "held_on", errors)
    if trainer is not UNSET:
        if trainer is not None:
            _staff_person(trainer, "trainer", errors)
        values["trainer"] = trainer
    if trainer_name is not UNSET:
        values["trainer_name"] = text_clean(trainer_name, "trainer_name", errors, limit=150)
    if location is not UNSET:
        values["location"] = text_clean(location, "location", errors, limit=200)
    if notes is not UNSET:
        values["notes"] = text_clean(notes, "notes", errors, limit=TEXT_LIMIT)
    if attendees is not UNSET:
        attendees = _clean_attendees(attendees, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        session = TrainingSession.objects.select_for_update(of=("self",)).get(pk=session.pk)
        changes = _changes(session, values)
        if session.trainer_id is None and not session.trainer_name:
            raise ValidationError(
                {"trainer": _("Name the trainer: one of us, or an external trainer.")}
            )
        if attendees is not UNSET:
            rows = {a.person_id: a for a in session.attendances.all()}
            wanted = {p.pk for p in attendees}
            removed = [a for pk, a in rows.items() if pk not in wanted]
            if any(a.attended is not None or a.result for a in removed):
                raise ValidationError(
                    {"attendees": _("Attendance is recorded for someone removed; keep them.")}
                )
            added = [p for p in attendees if p.pk not in rows]
            if removed or added:
                TrainingAttendance.objects.filter(pk__in=[a.pk for a in removed]).delete()
                TrainingAttendance.objects.bulk_create(
                    [TrainingAttendance(session=session, person=p) for p in added]
                )
                changes["attendees"] = {
                    "added": sorted(p.pk for p in added),
                    "removed": sorted(a.person_id for a in removed),
                }
        if not changes:
            return session
        session.updated_at = now
        session.save()
        audit_record(actor=actor, verb="training.session_updated", obj=session, payload=changes)
    return session


def session_transitions_from(status: str) -> list[tuple[str, str]]:
    return [
        (target, label)
        for (source, target), label in SESSION_TRANSITIONS.items()
        if source == status
    ]


def session_transition(
    *, actor, session: TrainingSession, target: str, now=None
) -> TrainingSession:
    """Mark a session held, cancel it, or plan it again. A session is held on or after its
    date; one with recorded results stays held."""
    now = now or timezone.now()
    require_edit(actor)
    with transaction.atomic():
        session = TrainingSession.objects.select_for_update(of=("self",)).get(pk=session.pk)
        source = session.status
        if (source, target) not in SESSION_TRANSITIONS:
            label = SessionStatus(target).label if target in SessionStatus.values else target
            raise ValidationError(
                {
                    "status": _("A session cannot go from “%(from)s” to “%(to)s”.")
                    % {"from": SessionStatus(source).label, "to": label}
                }
            )
        if target == SessionStatus.HELD and session.held_on > timezone.localdate(now):
            raise ValidationError(_("A session is held on its date, not before."))
        if source == SessionStatus.HELD and session.attendances.exclude(result="").exists():
            raise ValidationError(_("Results are recorded for this session; it stays held."))
        session.status = target
        session.updated_at = now
        session.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            verb="training.session_transition",
            obj=session,
            payload={"from": source, "to": target},
        )
    return session


def attendance_record(
    *,
    actor,
    session: TrainingSession,
    person: User,
    attended: bool,
    result: str = "",
    score=None,
    comment: str = "",
    now=None,
) -> TrainingAttendance:
    """Record whether ``person`` attended a held session and the assessment (pass / fail /
    none, an optional score 0–100). A pass on a course that builds a competence raises the
    person's level to the course's level when it is below it (or lapsed), with the session
    as evidence and the certification's expiry; a level is never lowered here."""
    now = now or timezone.now()
    if not may_record_attendance(actor, session):
        raise PermissionDenied
    errors: dict = {}
    if not isinstance(attended, bool):
        errors["attended"] = _("Say whether the person attended.")
    if result not in AssessmentResult.values:
        errors["result"] = _("Choose pass, fail or not assessed.")
    elif result and not attended:
        errors["result"] = _("Only someone who attended is assessed.")
    if score not in (None, ""):
        try:
            score = Decimal(str(score))
        except InvalidOperation:
            score = None
            errors["score"] = _("A score is a number from 0 to 100.")
        else:
            if not Decimal(0) <= score <= Decimal(100):
                errors["score"] = _("A score is a number from 0 to 100.")
            elif not attended:
                errors["score"] = _("Only someone who attended is assessed.")
    else:
        score = None
    comment = text_clean(comment, "comment", errors, limit=300)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        session = (
            TrainingSession.objects.select_for_update(of=("self",))
            .select_related("course__competence")
            .get(pk=session.pk)
        )
        if session.status != SessionStatus.HELD:
            raise ValidationError(_("Record attendance once the session is marked as held."))
        row = (
            TrainingAttendance.objects.select_for_update(of=("self",))
            .filter(session=session, person=person)
            .first()
        )
        if row is None:
            raise ValidationError({"person": _("%(name)s is not an attendee.") % {"name": person}})
        before = {"attended": row.attended, "result": row.result, "score": row.score}
        row.attended, row.result, row.score, row.comment = attended, result, score, comment
        row.recorded_at, row.recorded_by = now, actor
        raised = _raise_level_on_pass(actor, session, row, now)
        row.save()
        audit_record(
            actor=actor,
            verb="training.attendance_recorded",
            obj=session,
            payload={
                "person": person.pk,
                "before": before,
                "attended": attended,
                "result": result,
                "score": score,
                "level_raised": raised,
            },
        )
    return row


def _raise_level_on_pass(actor, session, row, now) -> bool:
    course = session.course
    if (
        row.result != AssessmentResult.PASS
        or row.level_raised
        or course.competence is None
        or not course.raises_to_level
    ):
        return False
    held = PersonCompetence.objects.filter(person=row.person, competence=course.competence).first()
    expires_on = (
        add_months(session.held_on, course.validity_months) if course.validity_months else None
    )
    current = held.effective_level(timezone.localdate(now)) if held else 0
    below = current < course.raises_to_level
    # a certification course passed again renews a certification that would expire sooner
    renews = bool(
        expires_on and held and held.expires_on is not None and held.expires_on < expires_on
    )
    if not (below or renews):
        return False
    level = max(course.raises_to_level, current)
    evidence = _("Passed %(course)s (%(session)s) on %(date)s") % {
        "course": course.title,
        "session": session.reference,
        "date": session.held_on.isoformat(),
    }
    if row.score is not None:
        evidence += _(", score %(score)s") % {"score": row.score}
    _apply_level(
        actor=actor,
        person=row.person,
        competence=course.competence,
        level=level,
        evidence=evidence,
        certificate=course.title if course.validity_months else (held.certificate if held else ""),
        expires_on=expires_on,
        assessed_on=session.held_on,
        source=ChangeSource.TRAINING,
        session=session,
        now=now,
    )
    row.level_raised = True
    return True
