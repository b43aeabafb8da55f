"""Competence, training and awareness (clauses 7.2, 7.3): every write, and who may do what.

- **read**: the management-system owner, administrators, auditors, top management and team
  leads read everyone's competence records; other staff read their own, and the courses and
  sessions. Customers: 404.
- **edit** (competences, requirements, people's levels, courses, sessions, settings): the
  manage-system or administer capability; others get 403.
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
from django.db.models import F
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from serviceloop.core.audit import audit_record
from serviceloop.core.models import Notification, User
from serviceloop.core.numbering import reference_allocate
from serviceloop.core.roles import PROVIDER_ROLES, Capability, Role
from serviceloop.core.services.attachments import attachment_add
from serviceloop.core.services.notifications import notify
from serviceloop.support.models import (
    FREQUENCY_MONTHS,
    AssessmentResult,
    AssignmentCheck,
    ChangeSource,
    Channel,
    CommunicationItem,
    CommunicationRecord,
    Competence,
    CompetenceChange,
    CompetenceRequirement,
    CompetenceSettings,
    Frequency,
    PersonCompetence,
    SessionStatus,
    TrainingAttendance,
    TrainingCourse,
    TrainingSession,
    competence_read_all,
)
from serviceloop.support.record_writing import reminders_send, text_clean
from serviceloop.support.services_documents import add_months

NAME_LIMIT = 120
TEXT_LIMIT = 4_000
UNSET = object()

SESSION_TRANSITIONS = {
    (SessionStatus.PLANNED, SessionStatus.HELD): _l("Mark as held"),
    (SessionStatus.PLANNED, SessionStatus.CANCELLED): _l("Cancel"),
    (SessionStatus.CANCELLED, SessionStatus.PLANNED): _l("Plan again"),
    (SessionStatus.HELD, SessionStatus.PLANNED): _l("Reopen"),
}

# --- Who may do what -----------------------------------------------------------------------


def competence_may_edit(user) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and (
            user.has_capability(Capability.MANAGE_SYSTEM)
            or user.has_capability(Capability.ADMINISTER)
        )
    )


def may_record_attendance(user, session: TrainingSession) -> bool:
    return competence_may_edit(user) or (
        user.is_authenticated and session.trainer_id is not None and session.trainer_id == user.pk
    )


def require_staff(user) -> None:
    if not (user.is_authenticated and user.has_capability(Capability.STAFF)):
        raise Http404


def require_edit(user) -> None:
    require_staff(user)
    if not competence_may_edit(user):
        raise PermissionDenied


def get_competence_for(user, pk, *, write: bool = False) -> Competence:
    require_staff(user)
    try:
        competence = Competence.objects.get(pk=pk)
    except (Competence.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if write:
        require_edit(user)
    return competence


def get_requirement_for(user, pk, *, write: bool = False) -> CompetenceRequirement:
    require_staff(user)
    try:
        requirement = CompetenceRequirement.objects.select_related("competence", "category").get(
            pk=pk
        )
    except (CompetenceRequirement.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if write:
        require_edit(user)
    return requirement


def get_person_for(user, pk, *, write: bool = False) -> User:
    """A member of staff whose competence record ``user`` may read: anyone for readers of
    every record, himself otherwise (404)."""
    require_staff(user)
    try:
        person = User.objects.select_related("organisation").get(
            pk=pk, role__in=list(PROVIDER_ROLES)
        )
    except (User.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if not competence_read_all(user) and person.pk != user.pk:
        raise Http404
    if write:
        require_edit(user)
    return person


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


# --- Validation ----------------------------------------------------------------------------


def _clean_level(value, errors, *, field="level", minimum=0) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= 4:
        errors[field] = _("Choose a level from %(min)d to 4.") % {"min": minimum}
        return minimum
    return value


def _clean_date(value, field, errors, *, required=True):
    if value in (None, ""):
        if required:
            errors[field] = _("Enter a date.")
        return None
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        errors[field] = _("Enter a date.")
        return None
    return value


def _staff_person(person, field, errors):
    if not isinstance(person, User) or not (person.is_active and person.is_provider_staff):
        errors[field] = _("Choose an active member of staff.")
    return person


def _changes(instance, values: dict) -> dict:
    """Set ``values`` on ``instance``; ``{field: [old, new]}`` of those that differ (related
    objects by primary key)."""
    changes = {}
    for name, value in values.items():
        field = instance._meta.get_field(name)
        if field.is_relation:
            old, new = getattr(instance, field.attname), (value.pk if value is not None else None)
        else:
            old, new = getattr(instance, name), value
        if old != new:
            changes[name] = [old, new]
            setattr(instance, name, value)
    return changes


# --- Competences and requirements ----------------------------------------------------------


def competence_create(*, actor, name: str, category: str = "", description: str = "") -> Competence:
    """Add a competence (names are unique)."""
    require_edit(actor)
    errors: dict = {}
    name = text_clean(name, "name", errors, limit=NAME_LIMIT, required_message=_("Give a name."))
    category = text_clean(category, "category", errors, limit=NAME_LIMIT)
    description = text_clean(description, "description", errors, limit=TEXT_LIMIT)
    if name and Competence.objects.filter(name__iexact=name).exists():
        errors["name"] = _("A competence with this name exists.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        competence = Competence.objects.create(
            name=name, category=category, description=description
        )
        audit_record(
            actor=actor,
            verb="competence.created",
            obj=competence,
            payload={"name": name, "category": category},
        )
    return competence


def competence_update(
    *, actor, competence: Competence, name=UNSET, category=UNSET, description=UNSET, is_active=UNSET
) -> Competence:
    require_edit(actor)
    errors: dict = {}
    values = {}
    if name is not UNSET:
        values["name"] = text_clean(
            name, "name", errors, limit=NAME_LIMIT, required_message=_("Give a name.")
        )
        if (
            values["name"]
            and Competence.objects.filter(name__iexact=values["name"])
            .exclude(pk=competence.pk)
            .exists()
        ):
            errors["name"] = _("A competence with this name exists.")
    if category is not UNSET:
        values["category"] = text_clean(category, "category", errors, limit=NAME_LIMIT)
    if description is not UNSET:
        values["description"] = text_clean(description, "description", errors, limit=TEXT_LIMIT)
    if is_active is not UNSET:
        values["is_active"] = bool(is_active)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        competence = Competence.objects.select_for_update(of=("self",)).get(pk=competence.pk)
        changes = _changes(competence, values)
        if not changes:
            return competence
        competence.save()
        audit_record(actor=actor, verb="competence.updated", obj=competence, payload=changes)
    return competence


def requirement_set(
    *,
    actor,
    competence: Competence,
    level: int,
    role: str = "",
    process: str = "",
    category=None,
) -> CompetenceRequirement:
    """Require ``level`` of ``competence`` from a role, a process or a desk category (exactly
    one). Setting it again for the same target changes the level."""
    require_edit(actor)
    errors: dict = {}
    level = _clean_level(level, errors, minimum=1)
    role = role or ""
    process = text_clean(process, "process", errors, limit=NAME_LIMIT)
    if role and role not in Role.values:
        errors["role"] = _("Choose a role.")
    targets = [bool(role), bool(process), category is not None]
    if sum(targets) != 1:
        errors["role"] = _("Name exactly one of: a role, a process, a desk category.")
    if errors:
        raise ValidationError(errors)
    lookup = {"competence": competence, "role": role, "process": process, "category": category}
    with transaction.atomic():
        requirement = (
            CompetenceRequirement.objects.select_for_update(of=("self",)).filter(**lookup).first()
        )
        if requirement is not None and requirement.level == level:
            return requirement
        old = requirement.level if requirement else None
        if requirement is None:
            requirement = CompetenceRequirement.objects.create(level=level, **lookup)
        else:
            requirement.level = level
            requirement.save(update_fields=["level"])
        audit_record(
            actor=actor,
            verb="competence.requirement_set",
            obj=requirement,
            payload={
                "competence": competence.pk,
                "role": role,
                "process": process,
                "category": category.pk if category else None,
                "level": [old, level],
            },
        )
    return requirement


def requirement_remove(*, actor, requirement: CompetenceRequirement) -> None:
    require_edit(actor)
    with transaction.atomic():
        payload = {
            "competence": requirement.competence_id,
            "role": requirement.role,
            "process": requirement.process,
            "category": requirement.category_id,
            "level": requirement.level,
        }
        audit_record(
            actor=actor, verb="competence.requirement_removed", obj=requirement, payload=payload
        )
        requirement.delete()


# --- People's levels -----------------------------------------------------------------------


def _apply_level(
    *,
    actor,
    person,
    competence,
    level,
    evidence,
    certificate,
    expires_on,
    assessed_on,
    source,
    session,
    now,
) -> tuple[PersonCompetence, CompetenceChange | None]:
    """Write a person's level and its history row (inside the caller's transaction)."""
    held = (
        PersonCompetence.objects.select_for_update(of=("self",))
        .filter(person=person, competence=competence)
        .first()
    )
    before = held.level if held else None
    if held is None:
        held = PersonCompetence(person=person, competence=competence)
    elif (
        held.level == level
        and held.evidence == evidence
        and held.certificate == certificate
        and held.expires_on == expires_on
        and held.assessed_on == assessed_on
    ):
        return held, None
    held.level = level
    held.evidence = evidence
    held.certificate = certificate
    held.expires_on = expires_on
    held.assessed_on = assessed_on
    held.assessed_by = actor if getattr(actor, "pk", None) else None
    held.source = source
    held.session = session
    held.updated_at = now
    held.save()
    change = CompetenceChange.objects.create(
        person=person,
        competence=competence,
        level_before=before,
        level_after=level,
        expires_on=expires_on,
        evidence=evidence,
        source=source,
        session=session,
        changed_by=held.assessed_by,
        changed_at=now,
    )
    return held, change


def person_competence_set(
    *,
    actor,
    person: User,
    competence: Competence,
    level: int,
    evidence: str = "",
    certificate: str = "",
    expires_on: datetime.date | None = None,
    assessed_on: datetime.date | None = None,
    now=None,
) -> PersonCompetence:
    """Record a person's level in a competence (0–4) from an assessment, with the evidence
    that shows it and, for a certification, its expiry date. The previous level is kept in
    the history. Evidence is required for any level above 0."""
    now = now or timezone.now()
    require_edit(actor)
    errors: dict = {}
    _staff_person(person, "person", errors)
    level = _clean_level(level, errors)
    evidence = text_clean(evidence, "evidence", errors, limit=TEXT_LIMIT)
    if level and not evidence and "level" not in errors:
        errors["evidence"] = _(
            "Say what shows this level: a certificate, an assessment, work observed."
        )
    certificate = text_clean(certificate, "certificate", errors, limit=200)
    expires_on = _clean_date(expires_on, "expires_on", errors, required=False)
    assessed_on = _clean_date(
        assessed_on or timezone.localdate(now), "assessed_on", errors, required=True
    )
    if assessed_on and assessed_on > timezone.localdate(now):
        errors["assessed_on"] = _("The assessment date cannot be in the future.")
    if expires_on and assessed_on and expires_on < assessed_on:
        errors["expires_on"] = _("The expiry date cannot be before the assessment.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        held, change = _apply_level(
            actor=actor,
            person=person,
            competence=competence,
            level=level,
            evidence=evidence,
            certificate=certificate,
            expires_on=expires_on,
            assessed_on=assessed_on,
            source=ChangeSource.ASSESSMENT,
            session=None,
            now=now,
        )
        if change is not None:
            audit_record(
                actor=actor,
                verb="competence.level_set",
                obj=held,
                payload={
                    "person": person.pk,
                    "competence": competence.pk,
                    "level": [change.level_before, level],
                    "expires_on": expires_on,
                },
            )
    return held


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


# --- Expiry reminders ----------------------------------------------------------------------


def expiry_reminder_key(held: PersonCompetence) -> str:
    return f"competence-expiry:{held.pk}:{held.expires_on.isoformat()}"


def competence_expiry_remind(*, today: datetime.date | None = None) -> int:
    """Remind each holder of a certification that expires within the notice period (or has
    expired): exactly once per record and expiry date (the notification's dedupe key names
    both; a renewal sets a new date, reminded of in its turn). Returns how many were sent."""
    today = today or timezone.localdate()
    notice = datetime.timedelta(days=CompetenceSettings.current().expiry_notice_days)
    due = (
        PersonCompetence.objects.filter(
            expires_on__isnull=False, expires_on__lte=today + notice, person__is_active=True
        )
        .select_related("person", "competence")
        .order_by("pk")
    )
    return reminders_send(
        due,
        key=expiry_reminder_key,
        recipient=lambda held: held.person,
        kind="competence_expiry",
        context=lambda held: {
            "held": held,
            "competence": held.competence,
            "expires_on": held.expires_on,
            "lapsed": held.expires_on < today,
        },
        url=lambda held: reverse("competence_person", args=[held.person_id]),
        verb="competence.expiry_reminded",
        payload=lambda held: {"person": held.person_id, "expires_on": held.expires_on},
    )


# --- Settings ------------------------------------------------------------------------------


def competence_settings_update(
    *, actor, assignment_check=UNSET, expiry_notice_days=UNSET, now=None
) -> CompetenceSettings:
    """Change the assignment competence check (off / warn / block) or the expiry notice."""
    now = now or timezone.now()
    require_edit(actor)
    errors: dict = {}
    if assignment_check is not UNSET and assignment_check not in AssignmentCheck.values:
        errors["assignment_check"] = _("Choose off, warn or block.")
    if expiry_notice_days is not UNSET and (
        not isinstance(expiry_notice_days, int) or not 0 <= expiry_notice_days <= 365
    ):
        errors["expiry_notice_days"] = _("Between 0 and 365 days.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        row = CompetenceSettings.objects.select_for_update(of=("self",)).order_by("pk").first()
        if row is None:
            row = CompetenceSettings.objects.create()
        changes = {}
        for name, value in (
            ("assignment_check", assignment_check),
            ("expiry_notice_days", expiry_notice_days),
        ):
            if value is not UNSET and getattr(row, name) != value:
                changes[name] = [getattr(row, name), value]
                setattr(row, name, value)
        if not changes:
            return row
        row.updated_at, row.updated_by = now, actor
        row.save()
        audit_record(actor=actor, verb="competence.settings_updated", obj=row, payload=changes)
    return row


# --- Communication (clause 7.4) ------------------------------------------------------------
# The communication plan lives beside competence and awareness: the same people own it
# (the management-system owner and administrators edit; staff read; customers get 404).
# An item's owner may record the communications he held.


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
    sent = 0
    for item in due:
        key = f"communication-due:{item.pk}:{item.next_due.isoformat()}"
        if Notification.objects.filter(dedupe_key=key).exists():
            continue
        with transaction.atomic():
            if notify(
                recipients=[item.owner],
                kind="communication_due",
                context={"item": item},
                url=reverse("communication_detail", args=[item.reference]),
                dedupe_key=key,
            ):
                audit_record(
                    actor=None,
                    verb="communication.due_reminded",
                    obj=item,
                    payload={"owner": item.owner_id, "next_due": item.next_due},
                )
                sent += 1
    return sent
