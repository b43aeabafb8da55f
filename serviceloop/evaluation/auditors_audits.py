"""Auditors (clause 9.2): who is qualified to audit, and who may audit what.

- **Qualification** comes from the competence records (clause 7.2): a person is qualified on
  a day when his record of the qualifying competence is at or above the lowest qualifying
  level, was assessed on or before that day and had not expired by then. The qualifying
  competence and level are set in ``AuditSettings``; without a setting, the competence the
  competence requirements ask of the internal auditor role (and that level) apply.
- **Independence**: a member (or the lead) of the team that owns an audited programme line
  may not audit it: an auditor never audits his own team's process. There is no exception.

``audit_team_errors`` checks both for a whole audit team and returns translated messages
keyed by form field; the audit services raise them as one ValidationError.
"""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record, field_changes, snapshot
from serviceloop.core.models import User
from serviceloop.core.roles import Capability, Role
from serviceloop.evaluation.models import AuditSettings
from serviceloop.evaluation.permissions_audits import require_manage_programme
from serviceloop.support.models import (
    Competence,
    CompetenceRequirement,
    PersonCompetence,
    TrainingAttendance,
)

DEFAULT_MINIMUM_LEVEL = 3


@dataclass(frozen=True)
class QualificationRule:
    competence: Competence | None
    minimum_level: int
    source: str  # "settings" | "requirement" | "" (nothing defined)


def audit_settings() -> AuditSettings:
    """The stored settings row, or an unsaved one holding the defaults."""
    return AuditSettings.objects.select_related("competence").filter(pk=1).first() or (
        AuditSettings(pk=1, minimum_level=DEFAULT_MINIMUM_LEVEL)
    )


def qualification_rule() -> QualificationRule:
    """The competence and level that qualify an internal auditor (see the module docstring)."""
    setting = audit_settings()
    if setting.competence_id and setting.competence.is_active:
        return QualificationRule(setting.competence, setting.minimum_level, "settings")
    requirement = (
        CompetenceRequirement.objects.select_related("competence")
        .filter(role=Role.AUDITOR, competence__is_active=True)
        .order_by("-level", "competence__name")
        .first()
    )
    if requirement is not None:
        return QualificationRule(requirement.competence, requirement.level, "requirement")
    return QualificationRule(None, setting.minimum_level, "")


@dataclass
class Qualification:
    person: User
    qualified: bool
    record: PersonCompetence | None
    reason: str  # why not, in the active language ("" when qualified)
    on: datetime.date


_UNREAD = object()


def qualification_of(
    person: User, on: datetime.date, *, rule: QualificationRule | None = None, record=_UNREAD
) -> Qualification:
    """Whether ``person`` is qualified to audit on the day ``on`` (and why not).

    ``record`` (his record of the competence, or None) may be passed when already read, to
    avoid one query per person in a list."""
    rule = rule or qualification_rule()
    if rule.competence is None:
        return Qualification(person, False, None, _("No auditor qualification is defined yet."), on)
    if record is _UNREAD:
        record = PersonCompetence.objects.filter(person=person, competence=rule.competence).first()
    if record is None:
        reason = _("No record of %(competence)s.") % {"competence": rule.competence}
    elif record.level < rule.minimum_level:
        reason = _("Level %(level)d of %(competence)s; %(minimum)d or higher is required.") % {
            "level": record.level,
            "competence": rule.competence,
            "minimum": rule.minimum_level,
        }
    elif record.assessed_on > on:
        reason = _("Assessed only on %(date)s.") % {"date": record.assessed_on.isoformat()}
    elif record.expires_on is not None and record.expires_on < on:
        reason = _("The certification expired on %(date)s.") % {
            "date": record.expires_on.isoformat()
        }
    else:
        reason = ""
    return Qualification(person, not reason, record, reason, on)


def independence_conflicts(person: User, lines) -> list[tuple]:
    """``[(line, team)]``: the lines whose owning team ``person`` leads or belongs to."""
    conflicts = []
    for line in lines:
        team = line.owner_team
        if team is None:
            continue
        if team.lead_id == person.pk or team.members.filter(pk=person.pk).exists():
            conflicts.append((line, team))
    return conflicts


def audit_team_errors(lead, auditors, lines, on: datetime.date) -> dict[str, list[str]]:
    """Translated messages, by form field (``lead_auditor``, ``auditors``), for every member
    of an audit team who is not active staff, not qualified on ``on``, or who belongs to the
    team owning one of ``lines``."""
    rule = qualification_rule()
    errors: dict[str, list[str]] = {}
    team = [("lead_auditor", lead)] + [("auditors", person) for person in auditors]
    for field_name, person in team:
        if not (
            isinstance(person, User)
            and person.is_active
            and person.has_capability(Capability.STAFF)
        ):
            errors.setdefault(field_name, []).append(
                _("An auditor must be an active member of the provider's staff.")
            )
            continue
        qualification = qualification_of(person, on, rule=rule)
        if not qualification.qualified:
            errors.setdefault(field_name, []).append(
                _("%(person)s is not qualified to audit on %(date)s: %(reason)s")
                % {"person": person, "date": on.isoformat(), "reason": qualification.reason}
            )
        for line, owner_team in independence_conflicts(person, lines):
            errors.setdefault(field_name, []).append(
                _(
                    "%(person)s cannot audit %(subject)s: he or she is a member of %(team)s, "
                    "the team that owns it, and an auditor never audits his own team's process."
                )
                % {"person": person, "subject": f"{line.clause.number} {line.subject}",
                   "team": owner_team}
            )  # fmt: skip
    return errors


# --- The register ------------------------------------------------------------------------------


@dataclass
class AuditorRow:
    person: User
    qualification: Qualification
    teams: list = field(default_factory=list)


def auditor_register(today: datetime.date | None = None) -> list[AuditorRow]:
    """Everyone who holds a record of the qualifying competence, and everyone with the
    internal auditor role, with his qualification today and his teams (a fixed number of
    queries)."""
    today = today or timezone.localdate()
    rule = qualification_rule()
    records = {}
    if rule.competence is not None:
        records = {
            r.person_id: r
            for r in PersonCompetence.objects.filter(competence=rule.competence).select_related(
                "person"
            )
        }
    people = User.objects.filter(is_active=True).filter(pk__in=list(records)) | User.objects.filter(
        is_active=True, role=Role.AUDITOR
    )
    rows = []
    for person in people.distinct().prefetch_related("teams", "led_teams").order_by("username"):
        qualification = qualification_of(person, today, rule=rule, record=records.get(person.pk))
        teams = {t.pk: t for t in [*person.teams.all(), *person.led_teams.all()]}
        rows.append(AuditorRow(person, qualification, sorted(teams.values(), key=str)))
    return rows


def qualified_auditors(on: datetime.date) -> list[User]:
    """Active staff qualified to audit on ``on``."""
    return [row.person for row in auditor_register(on) if row.qualification.qualified]


def training_of(person: User, competence: Competence | None):
    """The person's attendances at sessions of courses that build ``competence``."""
    if competence is None:
        return TrainingAttendance.objects.none()
    return (
        TrainingAttendance.objects.filter(person=person, session__course__competence=competence)
        .select_related("session__course")
        .order_by("-session__held_on")
    )


# --- The setting -------------------------------------------------------------------------------


def audit_settings_update(
    *, actor, competence: Competence | None, minimum_level: int, expected_version=None
) -> AuditSettings:
    """Set the qualifying competence (None: the one required of the internal auditor role)
    and the lowest qualifying level (1–4). Management-system owner only."""
    require_manage_programme(actor)
    errors = {}
    if competence is not None and not isinstance(competence, Competence):
        errors["competence"] = _("Choose a competence from the list.")
    if (
        isinstance(minimum_level, bool)
        or not isinstance(minimum_level, int)
        or not (1 <= minimum_level <= 4)
    ):
        errors["minimum_level"] = _("Choose a level from 1 to 4.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        setting, created = AuditSettings.objects.select_for_update(of=("self",)).get_or_create(
            pk=1, defaults={"minimum_level": DEFAULT_MINIMUM_LEVEL}
        )
        if expected_version is not None and expected_version != setting.version:
            raise ValidationError(
                _("Someone changed this record since you opened it. Reload and try again."),
                code="stale",
            )
        fields = ("competence", "minimum_level")
        before = snapshot(setting, fields)
        setting.competence = competence
        setting.minimum_level = minimum_level
        made = field_changes(setting, before, fields)
        if not made and not created:
            return setting
        setting.updated_by = actor
        setting.updated_at = timezone.now()
        setting.version += 1
        setting.save()
        audit_record(actor=actor, verb="audit_settings.updated", obj=setting, payload=made)
    return setting
