"""Named reads of competence: gaps of one person, the assignment check the desk may call, and
the competence matrix (people × competences, level against the level required).

What a person is required to hold (``required_levels``): the highest level among the
requirements of his role, of the desk categories routed to a team he belongs to, and — when
the reader asks about one — of a process or of a desk category. A certification past its
expiry date counts as level 0 ("lapsed").

``competence_gaps_for`` and ``assignment_check`` are pure reads with no side effect: the desk
can call them when a ticket is assigned (this module never imports the desk's services).
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.models import User
from serviceloop.core.roles import PROVIDER_ROLES
from serviceloop.support.models import (
    AssignmentCheck,
    Competence,
    CompetenceRequirement,
    CompetenceSettings,
    PersonCompetence,
    competence_read_all,
)

__all__ = [
    "CompetenceGap",
    "MatrixCell",
    "assignment_check",
    "competence_gaps_for",
    "competence_matrix",
    "required_levels",
]


@dataclass(frozen=True)
class CompetenceGap:
    """A competence a person holds below the level required (``level`` is what counts today:
    0 when the certification lapsed; ``recorded`` is the level on record)."""

    competence: Competence
    required: int
    level: int
    recorded: int | None
    lapsed: bool
    expires_on: datetime.date | None

    def describe(self) -> str:
        if self.lapsed:
            return _("%(competence)s: certification lapsed on %(date)s (needs %(required)d)") % {
                "competence": self.competence.name,
                "date": self.expires_on.isoformat(),
                "required": self.required,
            }
        return _("%(competence)s: level %(level)d, needs %(required)d") % {
            "competence": self.competence.name,
            "level": self.level,
            "required": self.required,
        }


def competence_gaps_for(user, category, *, today: datetime.date | None = None) -> list:
    """The competences a desk ``category`` requires that ``user`` holds below the level
    required (lapsed certifications count as 0), by competence name. With ``category=None``
    the requirements of the user's role are checked instead. Pure read: two queries."""
    today = today or timezone.localdate()
    if category is None:
        requirements = CompetenceRequirement.objects.filter(role=user.role)
    else:
        requirements = CompetenceRequirement.objects.filter(category=category)
    requirements = requirements.filter(competence__is_active=True).select_related("competence")
    needed: dict[int, tuple[Competence, int]] = {}
    for requirement in requirements:
        known = needed.get(requirement.competence_id)
        if known is None or requirement.level > known[1]:
            needed[requirement.competence_id] = (requirement.competence, requirement.level)
    if not needed:
        return []
    held = {
        h.competence_id: h
        for h in PersonCompetence.objects.filter(person=user, competence_id__in=list(needed))
    }
    gaps = []
    for competence_id, (competence, required) in needed.items():
        record = held.get(competence_id)
        level = record.effective_level(today) if record else 0
        if level < required:
            gaps.append(
                CompetenceGap(
                    competence=competence,
                    required=required,
                    level=level,
                    recorded=record.level if record else None,
                    lapsed=bool(record and record.is_lapsed(today)),
                    expires_on=record.expires_on if record else None,
                )
            )
    gaps.sort(key=lambda gap: gap.competence.name)
    return gaps


def assignment_check(
    user, category, *, mode: str | None = None, today: datetime.date | None = None
) -> tuple[str, str]:
    """What the desk should do when ``user`` is assigned a ticket of ``category``:
    ``("ok", "")``, ``("warn", message)`` or ``("block", message)``.

    ``mode`` is the "assignment competence check" setting (``off`` / ``warn`` / ``block``);
    by default the stored one (``CompetenceSettings``). With ``off`` nothing is checked. The
    message (in the active language) names the person and each gap."""
    mode = mode or CompetenceSettings.current().assignment_check
    if mode == AssignmentCheck.OFF or user is None or category is None:
        return "ok", ""
    gaps = competence_gaps_for(user, category, today=today)
    if not gaps:
        return "ok", ""
    details = "; ".join(gap.describe() for gap in gaps)
    if mode == AssignmentCheck.BLOCK:
        message = _("%(person)s may not take “%(category)s” tickets yet: %(gaps)s.")
    else:
        message = _("%(person)s lacks competences “%(category)s” tickets need: %(gaps)s.")
    return (
        "block" if mode == AssignmentCheck.BLOCK else "warn",
        message % {"person": user, "category": category, "gaps": details},
    )


# --- Requirements and the matrix -----------------------------------------------------------


def _applies(requirement, person, team_ids, *, process: str, category) -> bool:
    if requirement.role:
        return requirement.role == person.role
    if requirement.process:
        return bool(process) and requirement.process == process
    if category is not None and requirement.category_id == category.pk:
        return True
    default_team = requirement.category.default_team_id if requirement.category_id else None
    return default_team is not None and default_team in team_ids


def required_levels(
    person, *, process: str = "", category=None, requirements=None, team_ids=None
) -> dict[int, int]:
    """``{competence id: level}`` required of ``person`` (see the module's note)."""
    if requirements is None:
        requirements = list(CompetenceRequirement.objects.select_related("category"))
    if team_ids is None:
        team_ids = set(person.teams.values_list("pk", flat=True))
    required: dict[int, int] = {}
    for requirement in requirements:
        if _applies(requirement, person, team_ids, process=process, category=category):
            required[requirement.competence_id] = max(
                required.get(requirement.competence_id, 0), requirement.level
            )
    return required


@dataclass
class MatrixCell:
    level: int | None  # the recorded level, None if nothing is recorded
    required: int | None
    lapsed: bool = False
    expiring: bool = False  # expires within the notice period
    expires_on: datetime.date | None = None
    evidence: str = ""

    @property
    def effective(self) -> int:
        return 0 if self.lapsed or self.level is None else self.level

    @property
    def gap(self) -> bool:
        return self.required is not None and self.effective < self.required


@dataclass
class MatrixRow:
    person: User
    cells: list[MatrixCell]
    teams: list = field(default_factory=list)

    @property
    def gaps(self) -> int:
        return sum(1 for c in self.cells if c.gap)

    @property
    def lapsed(self) -> int:
        return sum(1 for c in self.cells if c.lapsed)


@dataclass
class Matrix:
    competences: list[Competence]
    rows: list[MatrixRow]

    @property
    def gaps(self) -> int:
        return sum(r.gaps for r in self.rows)

    @property
    def lapsed(self) -> int:
        return sum(r.lapsed for r in self.rows)

    def long_rows(self):
        """One row per person and competence (for CSV): dicts."""
        for row in self.rows:
            for competence, cell in zip(self.competences, row.cells, strict=True):
                yield {
                    "person": row.person,
                    "username": row.person.username,
                    "teams": ", ".join(t.name for t in row.teams),
                    "competence": competence.name,
                    "category": competence.category,
                    "level": cell.level,
                    "required": cell.required,
                    "gap": cell.gap,
                    "lapsed": cell.lapsed,
                    "expires_on": cell.expires_on,
                }


def matrix_people(viewer, *, team=None):
    """The active provider staff shown to ``viewer``: everyone for readers of every record,
    himself otherwise; with ``team``, its members."""
    people = User.objects.filter(is_active=True, role__in=list(PROVIDER_ROLES))
    if not competence_read_all(viewer):
        people = people.filter(pk=viewer.pk)
    if team is not None:
        people = people.filter(teams=team)
    return people.prefetch_related("teams").order_by("display_name", "username")


def competence_matrix(
    viewer,
    *,
    team=None,
    process: str = "",
    category=None,
    gaps_only: bool = False,
    today: datetime.date | None = None,
) -> Matrix:
    """People × competences with each cell's level against the level required. Columns: the
    active competences (with ``process`` or ``category``, those it requires). A fixed number
    of queries, whatever the size."""
    today = today or timezone.localdate()
    notice = datetime.timedelta(days=CompetenceSettings.current().expiry_notice_days)
    requirements = list(
        CompetenceRequirement.objects.select_related("category").filter(competence__is_active=True)
    )
    competences = Competence.objects.filter(is_active=True)
    if process:
        competences = competences.filter(requirements__process=process)
    if category is not None:
        competences = competences.filter(requirements__category=category)
    competences = list(competences.distinct().order_by("category", "name"))
    people = list(matrix_people(viewer, team=team))
    held = {
        (h.person_id, h.competence_id): h
        for h in PersonCompetence.objects.filter(person__in=people, competence__in=competences)
    }
    rows = []
    for person in people:
        teams = list(person.teams.all())
        required = required_levels(
            person,
            process=process,
            category=category,
            requirements=requirements,
            team_ids={t.pk for t in teams},
        )
        cells = []
        for competence in competences:
            record = held.get((person.pk, competence.pk))
            cells.append(
                MatrixCell(
                    level=record.level if record else None,
                    required=required.get(competence.pk),
                    lapsed=bool(record and record.is_lapsed(today)),
                    expiring=bool(
                        record
                        and record.expires_on
                        and today <= record.expires_on <= today + notice
                    ),
                    expires_on=record.expires_on if record else None,
                    evidence=record.evidence if record else "",
                )
            )
        row = MatrixRow(person=person, cells=cells, teams=teams)
        if not gaps_only or row.gaps or row.lapsed:
            rows.append(row)
    return Matrix(competences=competences, rows=rows)


def processes() -> list[str]:
    """The processes named by requirements or competences, sorted."""
    named = set(CompetenceRequirement.objects.exclude(process="").values_list("process", flat=True))
    return sorted(named)


def person_gaps(person, *, today=None) -> list[dict]:
    """Every competence ``person`` is required to hold (role, teams' categories) with what he
    holds: for his profile page."""
    today = today or timezone.localdate()
    required = required_levels(person)
    competences = Competence.objects.filter(
        Q(pk__in=list(required)) | Q(holders__person=person)
    ).distinct()
    held = {h.competence_id: h for h in PersonCompetence.objects.filter(person=person)}
    rows = []
    for competence in competences.order_by("category", "name"):
        record = held.get(competence.pk)
        level = record.effective_level(today) if record else 0
        need = required.get(competence.pk)
        rows.append(
            {
                "competence": competence,
                "record": record,
                "required": need,
                "level": level,
                "lapsed": bool(record and record.is_lapsed(today)),
                "gap": need is not None and level < need,
            }
        )
    return rows
