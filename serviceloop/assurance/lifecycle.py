"""The lifecycles of the assurance records, declared as data.

Each table lists the moves a record may make; ``needs`` names what a move asks for beyond
the right to make it ("note": a reason). The services (``*_transition``) are the only way to
make a move, and they decide who may (the editors of the record).
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Move:
    source: str
    target: str
    label: str
    needs: str = ""


def moves_from(table: tuple[Move, ...], source: str) -> list[Move]:
    """The moves out of ``source``, in declaration order."""
    return [move for move in table if move.source == source]


def move_for(table: tuple[Move, ...], source: str, target: str) -> Move | None:
    for move in table:
        if move.source == source and move.target == target:
            return move
    return None


# --- Single points of failure ----------------------------------------------------------------


class FindingStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Risk accepted")
    RESOLVED = "resolved", _("Resolved")


F = FindingStatus
FINDING_MOVES = (
    Move(F.OPEN, F.ACCEPTED, _("Accept the risk"), "note"),
    Move(F.OPEN, F.RESOLVED, _("Mark as resolved"), "note"),
    Move(F.ACCEPTED, F.OPEN, _("Reopen")),
    Move(F.RESOLVED, F.OPEN, _("Reopen")),
)


# --- Continuity plans ------------------------------------------------------------------------


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    RETIRED = "retired", _("Retired")


P = PlanStatus
PLAN_MOVES = (
    Move(P.DRAFT, P.ACTIVE, _("Approve for use"), "steps"),
    Move(P.ACTIVE, P.DRAFT, _("Back to draft")),
    Move(P.ACTIVE, P.RETIRED, _("Retire"), "note"),
    Move(P.DRAFT, P.RETIRED, _("Retire"), "note"),
)


class IssueStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


I = IssueStatus  # noqa: E741
ISSUE_MOVES = (
    Move(I.OPEN, I.DONE, _("Mark as done")),
    Move(I.OPEN, I.CANCELLED, _("Cancel"), "note"),
    Move(I.DONE, I.OPEN, _("Reopen")),
    Move(I.CANCELLED, I.OPEN, _("Reopen")),
)


# --- Information security --------------------------------------------------------------------


class RiskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    TREATING = "treating", _("In treatment")
    MONITORED = "monitored", _("Monitored")
    CLOSED = "closed", _("Closed")


R = RiskStatus
RISK_MOVES = (
    Move(R.OPEN, R.TREATING, _("Start treatment")),
    Move(R.OPEN, R.MONITORED, _("Monitor")),
    Move(R.TREATING, R.MONITORED, _("Treatment done: monitor")),
    Move(R.OPEN, R.CLOSED, _("Close"), "note"),
    Move(R.TREATING, R.CLOSED, _("Close"), "note"),
    Move(R.MONITORED, R.CLOSED, _("Close"), "note"),
    Move(R.MONITORED, R.TREATING, _("Treat again")),
    Move(R.CLOSED, R.OPEN, _("Reopen")),
)


class IncidentStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CONTAINED = "contained", _("Contained")
    CLOSED = "closed", _("Closed")


S = IncidentStatus
INCIDENT_MOVES = (
    Move(S.OPEN, S.CONTAINED, _("Contained")),
    Move(S.OPEN, S.CLOSED, _("Close"), "note"),
    Move(S.CONTAINED, S.CLOSED, _("Close"), "note"),
    Move(S.CONTAINED, S.OPEN, _("Reopen")),
    Move(S.CLOSED, S.OPEN, _("Reopen")),
)
