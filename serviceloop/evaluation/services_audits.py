"""Internal audit writes (clause 9.2): the programme and its lines (management-system owner),
the audits and their lifecycle (internal auditors).

Each service checks the actor's right, validates, writes the change and one audit row in one
transaction, and raises ValidationError (translated messages, nothing written) on bad input.
An audit team is checked for qualification (on the audit's planned start) and independence
(no auditor of the team owning an audited line) whenever it or the audited lines change,
and again when the audit starts.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.conformity.models import Clause
from serviceloop.core.audit import audit_record, field_changes, snapshot
from serviceloop.core.models import Team, User
from serviceloop.core.numbering import reference_allocate
from serviceloop.evaluation.auditors_audits import audit_team_errors
from serviceloop.evaluation.checklists_audits import checklist_build
from serviceloop.evaluation.models import (
    AUDIT_TRANSITIONS,
    PROGRAMME_TRANSITIONS,
    Audit,
    AuditProgramme,
    AuditStatus,
    FindingStatus,
    ProgrammeLine,
    ProgrammeStatus,
    RiskRating,
    transition_for,
)
from serviceloop.evaluation.permissions_audits import require_audit, require_manage_programme
from serviceloop.evaluation.queries_audits import default_subjects
from serviceloop.planning.field_cleaning import (
    check_version,
    clean_choice,
    clean_date,
    clean_text,
    raise_if,
)

PROGRAMME_KIND = "AP"
AUDIT_KIND = "AU"
PROGRAMME_FIELDS = ("title", "objectives", "criteria")
LINE_FIELDS = ("risk", "risk_note", "owner_team", "note")
AUDIT_TEXT_FIELDS = ("scope", "objectives", "criteria", "agenda", "auditees")
AUDIT_FIELDS = ("title", *AUDIT_TEXT_FIELDS, "planned_start", "planned_end", "lead_auditor")


def _default_criteria() -> str:
    return _("ISO/IEC 20000-1:2018 and the documented information of the service management "
             "system.")  # fmt: skip


# --- The programme -----------------------------------------------------------------------------


def programme_create(
    *, actor, year: int, title: str = "", objectives: str = "", criteria: str = ""
) -> AuditProgramme:
    """The programme of ``year`` (a draft). Its lines copy those of the year before (subject,
    owning team, risk); without one, every process in scope and a group for each other part
    of the standard, rated medium risk (audited once a year)."""
    require_manage_programme(actor)
    errors: dict = {}
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        errors["year"] = _("Enter a year from 2000 to 2100.")
    elif AuditProgramme.objects.filter(year=year).exists():
        errors["year"] = _("There is already a programme for %(year)d.") % {"year": year}
    title = clean_text(title, "title", errors, limit=200)
    objectives = clean_text(objectives, "objectives", errors)
    criteria = clean_text(criteria, "criteria", errors)
    raise_if(errors)
    now = timezone.now()
    with transaction.atomic():
        programme = AuditProgramme.objects.create(
            reference=reference_allocate(kind=PROGRAMME_KIND, year=year),
            year=year,
            title=title or _("Internal audit programme %(year)d") % {"year": year},
            objectives=objectives,
            criteria=criteria or _default_criteria(),
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        previous = AuditProgramme.objects.filter(year__lt=year).order_by("-year").first()
        if previous is not None:
            for line in previous.lines.all():
                ProgrammeLine.objects.create(
                    programme=programme,
                    clause_id=line.clause_id,
                    owner_team_id=line.owner_team_id,
                    risk=line.risk,
                    risk_note=line.risk_note,
                )
        else:
            for clause in Clause.objects.filter(number__in=default_subjects()):
                ProgrammeLine.objects.create(programme=programme, clause=clause)
        audit_record(
            actor=actor,
            verb="audit_programme.created",
            obj=programme,
            payload={
                **snapshot(programme, ("year", *PROGRAMME_FIELDS)),
                "copied_from": previous.reference if previous else "",
                "lines": list(programme.lines.values_list("clause__number", flat=True)),
            },
        )
    return programme


def _require_open(programme: AuditProgramme) -> None:
    if programme.status == ProgrammeStatus.CLOSED:
        raise ValidationError(_("The programme is closed: reopen it first."))


def programme_update(
    *, actor, programme: AuditProgramme, expected_version=None, **changes
) -> AuditProgramme:
    """Change the title, objectives or criteria of a programme that is not closed."""
    require_manage_programme(actor)
    unknown = set(changes) - set(PROGRAMME_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    errors: dict = {}
    cleaned = {}
    for name, value in changes.items():
        limit = 200 if name == "title" else 20_000
        cleaned[name] = clean_text(value, name, errors, limit=limit, required=name == "title")
    raise_if(errors)
    with transaction.atomic():
        programme = AuditProgramme.objects.select_for_update(of=("self",)).get(pk=programme.pk)
        check_version(programme, expected_version)
        _require_open(programme)
        before = snapshot(programme, PROGRAMME_FIELDS)
        for name, value in cleaned.items():
            setattr(programme, name, value)
        made = field_changes(programme, before, PROGRAMME_FIELDS)
        if not made:
            return programme
        programme.updated_at = timezone.now()
        programme.version += 1
        programme.save()
        audit_record(actor=actor, verb="audit_programme.updated", obj=programme, payload=made)
    return programme


def programme_transition(
    *, actor, programme: AuditProgramme, target: str, note: str = "", expected_version=None
) -> AuditProgramme:
    """Approve (needs at least one line), close (with a note), revise or reopen (with a
    reason) the programme."""
    require_manage_programme(actor)
    with transaction.atomic():
        programme = AuditProgramme.objects.select_for_update(of=("self",)).get(pk=programme.pk)
        check_version(programme, expected_version)
        transition = transition_for(PROGRAMME_TRANSITIONS, programme.status, target)
        if transition is None:
            raise ValidationError(
                {"target": _("The programme cannot move from its current status to that one.")}
            )
        errors: dict = {}
        note = clean_text(note, "note", errors, limit=2000)
        if transition.needs in ("reason", "note") and not note and "note" not in errors:
            errors["note"] = _("Say why.")
        if target == ProgrammeStatus.APPROVED and not programme.lines.exists():
            errors["target"] = _("Add the programme's lines first.")
        raise_if(errors)
        previous = programme.status
        programme.status = target
        programme.status_note = note
        if target == ProgrammeStatus.APPROVED:
            programme.approved_by = actor
            programme.approved_at = timezone.now()
        programme.updated_at = timezone.now()
        programme.version += 1
        programme.save()
        audit_record(
            actor=actor,
            verb="audit_programme.status_changed",
            obj=programme,
            payload={"from": previous, "to": target, "note": note},
        )
    return programme


def _clean_line(values: dict, errors: dict) -> dict:
    cleaned = {}
    if "risk" in values:
        cleaned["risk"] = clean_choice(values["risk"], RiskRating.values, "risk", errors)
    for name in ("risk_note", "note"):
        if name in values:
            cleaned[name] = clean_text(values[name], name, errors, limit=4000)
    if "owner_team" in values:
        team = values["owner_team"]
        if team is not None and not (isinstance(team, Team) and team.organisation.is_provider):
            errors["owner_team"] = _("Choose one of the provider's teams.")
        cleaned["owner_team"] = team
    return cleaned


def line_add(
    *, actor, programme: AuditProgramme, clause: Clause, risk: str = RiskRating.MEDIUM,
    owner_team: Team | None = None, risk_note: str = "", note: str = "",
) -> ProgrammeLine:  # fmt: skip
    """Add a subject to the programme: a clause (typically a process) with its sub-clauses."""
    require_manage_programme(actor)
    errors: dict = {}
    if not isinstance(clause, Clause):
        errors["clause"] = _("Choose a clause from the list.")
    cleaned = _clean_line(
        {"risk": risk, "owner_team": owner_team, "risk_note": risk_note, "note": note}, errors
    )
    raise_if(errors)
    with transaction.atomic():
        programme = AuditProgramme.objects.select_for_update(of=("self",)).get(pk=programme.pk)
        _require_open(programme)
        if programme.lines.filter(clause=clause).exists():
            raise ValidationError({"clause": _("The programme already has this clause.")})
        line = ProgrammeLine.objects.create(programme=programme, clause=clause, **cleaned)
        audit_record(
            actor=actor,
            verb="audit_programme.line_added",
            obj=programme,
            payload={"clause": clause.number, **snapshot(line, LINE_FIELDS)},
        )
    return line


def line_update(*, actor, line: ProgrammeLine, **changes) -> ProgrammeLine:
    """Change a line's risk (and so its frequency), the reason for it, its team or note."""
    require_manage_programme(actor)
    unknown = set(changes) - set(LINE_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    errors: dict = {}
    cleaned = _clean_line(changes, errors)
    raise_if(errors)
    with transaction.atomic():
        programme = AuditProgramme.objects.select_for_update(of=("self",)).get(pk=line.programme_id)
        _require_open(programme)
        line = ProgrammeLine.objects.select_related("clause").get(pk=line.pk)
        before = snapshot(line, LINE_FIELDS)
        for name, value in cleaned.items():
            setattr(line, name, value)
        made = field_changes(line, before, LINE_FIELDS)
        if not made:
            return line
        if "owner_team" in made:
            for audit in line.audits.filter(status__in=(AuditStatus.PLANNED,
                                                        AuditStatus.IN_PROGRESS)):  # fmt: skip
                errors = audit_team_errors(
                    audit.lead_auditor, list(audit.auditors.all()), [line], audit.planned_start
                )
                if errors:
                    raise ValidationError(
                        _(
                            "%(audit)s is planned with an auditor of that team: change its team "
                            "first."
                        )
                        % {"audit": audit.reference}  # fmt: skip
                    )
        line.save()
        programme.updated_at = timezone.now()
        programme.version += 1
        programme.save(update_fields=["updated_at", "version"])
        audit_record(
            actor=actor,
            verb="audit_programme.line_updated",
            obj=programme,
            payload={"clause": line.clause.number, **made},
        )
    return line


def line_remove(*, actor, line: ProgrammeLine) -> None:
    """Remove a line no audit includes."""
    require_manage_programme(actor)
    with transaction.atomic():
        programme = AuditProgramme.objects.select_for_update(of=("self",)).get(pk=line.programme_id)
        _require_open(programme)
        if line.audits.exists():
            raise ValidationError(_("An audit includes this line: it cannot be removed."))
        number = line.clause.number
        line.delete()
        programme.updated_at = timezone.now()
        programme.version += 1
        programme.save(update_fields=["updated_at", "version"])
        audit_record(
            actor=actor,
            verb="audit_programme.line_removed",
            obj=programme,
            payload={"clause": number},
        )


# --- Audits ------------------------------------------------------------------------------------


def _clean_audit(values: dict, errors: dict, programme: AuditProgramme) -> dict:
    cleaned = {}
    if "title" in values:
        cleaned["title"] = clean_text(values["title"], "title", errors, limit=200, required=True)
    for name in AUDIT_TEXT_FIELDS:
        if name in values:
            cleaned[name] = clean_text(
                values[name], name, errors, limit=300 if name == "auditees" else 20_000
            )
    for name in ("planned_start", "planned_end"):
        if name in values:
            cleaned[name] = clean_date(values[name], name, errors)
    if "lines" in values:
        lines = list(values["lines"] or [])
        if not lines:
            errors["lines"] = _("Choose at least one line of the programme.")
        elif any(not isinstance(x, ProgrammeLine) or x.programme_id != programme.pk
                 for x in lines):  # fmt: skip
            errors["lines"] = _("Choose lines of this audit's programme.")
        cleaned["lines"] = lines
    if "lead_auditor" in values:
        cleaned["lead_auditor"] = values["lead_auditor"]
        if not isinstance(values["lead_auditor"], User):
            errors["lead_auditor"] = _("Choose the lead auditor.")
    if "auditors" in values:
        auditors = list(values["auditors"] or [])
        if any(not isinstance(person, User) for person in auditors):
            errors["auditors"] = _("Choose from the list.")
        cleaned["auditors"] = auditors
    return cleaned


def _check_dates(start, end, programme: AuditProgramme, errors: dict) -> None:
    if start and end and "planned_end" not in errors and end < start:
        errors["planned_end"] = _("The audit cannot end before it starts.")
    if start and "planned_start" not in errors and start.year != programme.year:
        errors["planned_start"] = _("Plan the audit within %(year)d, the programme's year.") % {
            "year": programme.year
        }


def _check_team(lead, auditors, lines, start, errors: dict) -> list:
    auditors = [a for a in dict.fromkeys(auditors) if a != lead]
    if "lead_auditor" in errors or "auditors" in errors or "lines" in errors or not start:
        return auditors
    for name, messages in audit_team_errors(lead, auditors, lines, start).items():
        errors[name] = messages
    return auditors


def audit_create(
    *, actor, programme: AuditProgramme, title: str, lines, planned_start: datetime.date,
    planned_end: datetime.date, lead_auditor: User, auditors=(), scope: str = "",
    objectives: str = "", criteria: str = "", agenda: str = "", auditees: str = "",
) -> Audit:  # fmt: skip
    """Plan an audit ``AU-YYYY-NNNNNN`` of some lines of an approved programme, in its year,
    by a qualified and independent team; its checklist is built from the clauses the lines
    cover."""
    require_audit(actor)
    errors: dict = {}
    programme = AuditProgramme.objects.get(pk=programme.pk)
    if programme.status != ProgrammeStatus.APPROVED:
        raise ValidationError(_("Audits are planned in an approved programme."))
    cleaned = _clean_audit(
        {
            "title": title, "lines": lines, "planned_start": planned_start,
            "planned_end": planned_end, "lead_auditor": lead_auditor, "auditors": auditors,
            "scope": scope, "objectives": objectives, "criteria": criteria, "agenda": agenda,
            "auditees": auditees,
        },
        errors,
        programme,
    )  # fmt: skip
    _check_dates(cleaned["planned_start"], cleaned["planned_end"], programme, errors)
    cleaned["auditors"] = _check_team(
        cleaned["lead_auditor"], cleaned["auditors"], cleaned["lines"],
        cleaned["planned_start"], errors,
    )  # fmt: skip
    raise_if(errors)
    lines, auditors = cleaned.pop("lines"), cleaned.pop("auditors")
    now = timezone.now()
    with transaction.atomic():
        audit = Audit.objects.create(
            reference=reference_allocate(kind=AUDIT_KIND, year=programme.year),
            programme=programme,
            criteria=cleaned.pop("criteria") or programme.criteria,
            created_by=actor,
            created_at=now,
            updated_at=now,
            **cleaned,
        )
        audit.lines.set(lines)
        audit.auditors.set(auditors)
        audit_record(
            actor=actor,
            verb="audit.created",
            obj=audit,
            payload={
                **snapshot(audit, AUDIT_FIELDS),
                "programme": programme.reference,
                "lines": sorted(x.clause.number for x in lines),
                "auditors": sorted(a.pk for a in auditors),
            },
        )
        checklist_build(actor=actor, audit=audit)
    return audit


def audit_update(*, actor, audit: Audit, expected_version=None, **changes) -> Audit:
    """Change an audit's plan while it is planned or in progress; its lines only while it is
    planned (the checklist follows). The team is checked again."""
    require_audit(actor)
    unknown = set(changes) - {*AUDIT_FIELDS, "lines", "auditors"}
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    errors: dict = {}
    with transaction.atomic():
        audit = (
            Audit.objects.select_for_update(of=("self",))
            .select_related("programme")
            .get(pk=audit.pk)
        )
        check_version(audit, expected_version)
        if not audit.is_editable:
            raise ValidationError(_("A reported, closed or cancelled audit is not changed."))
        if "lines" in changes and audit.status != AuditStatus.PLANNED:
            lines_now = {x.pk for x in audit.lines.all()}
            if {x.pk for x in changes["lines"] or []} != lines_now:
                errors["lines"] = _("The lines of an audit in progress are not changed.")
        cleaned = _clean_audit(changes, errors, audit.programme)
        start = cleaned.get("planned_start", audit.planned_start)
        end = cleaned.get("planned_end", audit.planned_end)
        _check_dates(start, end, audit.programme, errors)
        lead = cleaned.get("lead_auditor", audit.lead_auditor)
        auditors = cleaned.get("auditors", list(audit.auditors.all()))
        lines = cleaned.get("lines", list(audit.lines.select_related("clause", "owner_team")))
        auditors = _check_team(lead, auditors, lines, start, errors)
        raise_if(errors)
        before = snapshot(audit, AUDIT_FIELDS)
        for name in AUDIT_FIELDS:
            if name in cleaned:
                setattr(audit, name, cleaned[name])
        made = field_changes(audit, before, AUDIT_FIELDS)
        old_auditors = sorted(audit.auditors.values_list("pk", flat=True))
        if sorted(a.pk for a in auditors) != old_auditors:
            audit.auditors.set(auditors)
            made["auditors"] = [old_auditors, sorted(a.pk for a in auditors)]
        if "lines" in cleaned:
            old = sorted(audit.lines.values_list("clause__number", flat=True))
            new = sorted(x.clause.number for x in cleaned["lines"])
            if old != new:
                audit.lines.set(cleaned["lines"])
                made["lines"] = [old, new]
        if not made:
            return audit
        audit.updated_at = timezone.now()
        audit.version += 1
        audit.save()
        audit_record(actor=actor, verb="audit.updated", obj=audit, payload=made)
        if "lines" in made:
            checklist_build(actor=actor, audit=audit)
    return audit


def audit_transition(
    *, actor, audit: Audit, target: str, note: str = "", conclusion: str | None = None,
    expected_version=None, today: datetime.date | None = None,
) -> Audit:  # fmt: skip
    """Move an audit along its lifecycle (``AUDIT_TRANSITIONS``): starting needs a checklist
    and a team still qualified and independent; issuing the report needs every question
    answered and a conclusion; closing needs no finding left open (each has an action or is
    closed); cancelling, reopening and planning again need a reason."""
    require_audit(actor)
    today = today or timezone.localdate()
    with transaction.atomic():
        audit = Audit.objects.select_for_update(of=("self",)).get(pk=audit.pk)
        check_version(audit, expected_version)
        transition = transition_for(AUDIT_TRANSITIONS, audit.status, target)
        if transition is None:
            raise ValidationError(
                {"target": _("This audit cannot move from its current status to that one.")}
            )
        errors: dict = {}
        note = clean_text(note, "note", errors, limit=2000)
        if conclusion is not None:
            conclusion = clean_text(conclusion, "conclusion", errors)
            audit.conclusion = conclusion
        if transition.needs == "reason" and not note and "note" not in errors:
            errors["note"] = _("Say why.")
        if transition.needs == "ready":
            if not audit.checklist.exists():
                errors["target"] = _("The audit has no checklist yet.")
            lines = list(audit.lines.select_related("clause", "owner_team"))
            team = audit_team_errors(
                audit.lead_auditor, list(audit.auditors.all()), lines, audit.planned_start
            )
            if team:
                errors["target"] = [m for messages in team.values() for m in messages]
        if transition.needs == "answered":
            left = audit.checklist.filter(result="").count()
            if left:
                errors["target"] = _("%(n)d checklist questions are not answered yet.") % {
                    "n": left
                }
            if not audit.conclusion.strip() and "conclusion" not in errors:
                errors["conclusion"] = _("Write the audit's conclusion first.")
        if transition.needs == "findings_handled":
            still_open = audit.findings.filter(status=FindingStatus.OPEN).count()
            if still_open:
                errors["target"] = _(
                    "%(n)d findings have no action yet: plan their actions or close them first."
                ) % {"n": still_open}
        raise_if(errors)
        previous = audit.status
        audit.status = target
        audit.status_note = note
        if target == AuditStatus.IN_PROGRESS and previous == AuditStatus.PLANNED:
            audit.started_on = today
        if target == AuditStatus.REPORTED:
            audit.reported_on = today
        audit.closed_on = today if target == AuditStatus.CLOSED else None
        audit.updated_at = timezone.now()
        audit.version += 1
        audit.save()
        audit_record(
            actor=actor,
            verb="audit.status_changed",
            obj=audit,
            payload={"from": previous, "to": target, "note": note,
                     "conclusion": audit.conclusion if target == AuditStatus.REPORTED else ""},
        )  # fmt: skip
    return audit
