"""Effectiveness verification by KPI condition (clause 10.1).

An action verified by a KPI condition names a KPI (``evaluation.KpiDefinition``), an
optional slice (``{"organisation": 3}``), a comparator, a threshold and N: "the KPI's value
<comparator> threshold in N consecutive complete periods after the action was done".

``kpi_condition_check(action, today)`` evaluates, with ``evaluation.engine.kpi_evaluate``,
every complete period (the KPI's own period: week, month or quarter, in TIME_ZONE) that
begins after the day the action was done and ends by ``today``; each period is evaluated
once and stored as a row of the action's verification history. Then:

* a period that misses the condition decides at once: the action is *not effective* and its
  nonconformity is reopened (audit row, owners notified);
* N periods in a row that meet it decide *effective* (and the nonconformity closes when
  nothing else is left to verify);
* a period without data (no records to compute the value from) neither meets nor misses:
  it breaks the run, since closing needs data that shows the effect.

Idempotent: a second run on the same day writes nothing; a decided action is skipped.
``kpi_conditions_check_all`` runs it for every action awaiting KPI verification (the daily
task). ``kpi_condition_progress`` reads the stored history for the screens.
"""

import datetime
import logging
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.evaluation.engine import definition_validate, kpi_evaluate, period_bounds
from serviceloop.evaluation.models import KpiDefinition
from serviceloop.improvement.lifecycle_nonconformities import action_record_outcome, lock_action
from serviceloop.improvement.models import (
    COMPARATORS,
    Action,
    ActionStatus,
    ActionVerification,
    Comparator,
    VerificationKind,
    VerificationMethod,
)
from serviceloop.planning.field_cleaning import clean_choice, clean_decimal, clean_text

logger = logging.getLogger(__name__)

MOST_PERIODS = 12
KPI_FIELDS = ("kpi", "kpi_slice", "kpi_comparator", "kpi_threshold", "kpi_periods")
VERIFICATION_FIELDS = ("verification_method", "verification_plan", *KPI_FIELDS)


# --- The condition, as stated on an action -------------------------------------------------


def _clean_slice(value, definition: KpiDefinition | None, errors: dict) -> dict:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        errors["kpi_slice"] = _('Give the slice as an object such as {"organisation": 3}.')
        return {}
    allowed = set(definition.slices or []) if definition else set()
    for key, item in value.items():
        if key not in allowed:
            errors["kpi_slice"] = _("This KPI cannot be sliced by %(name)s.") % {"name": key}
            return {}
        if isinstance(item, bool) or not isinstance(item, int | str) or str(item) == "":
            errors["kpi_slice"] = _("A slice value is a number or a code.")
            return {}
    return dict(value)


def verification_clean(values: dict, errors: dict) -> dict:
    """Clean the verification fields given (see ``VERIFICATION_FIELDS``): the method, and
    for a manual one how it will be verified, for a KPI one the complete condition. Fields
    of the other method are cleared."""
    method = values.get("verification_method", "")
    if method:
        clean_choice(method, VerificationMethod.values, "verification_method", errors)
    cleaned = {"verification_method": method or ""}
    plan = clean_text(values.get("verification_plan", ""), "verification_plan", errors, limit=4000)
    cleaned["verification_plan"] = plan
    blank = {"kpi": None, "kpi_slice": {}, "kpi_comparator": "", "kpi_threshold": None}
    blank["kpi_periods"] = None
    if method == VerificationMethod.MANUAL:
        if not plan and "verification_plan" not in errors:
            errors["verification_plan"] = _("Say how the effect will be verified.")
        return cleaned | blank
    if method != VerificationMethod.KPI:
        return cleaned | blank
    definition = values.get("kpi")
    if not isinstance(definition, KpiDefinition) or not definition.is_active:
        errors["kpi"] = _("Choose an active KPI.")
        definition = None
    else:
        try:
            definition_validate(definition)
        except ValidationError:
            errors["kpi"] = _("This KPI cannot be evaluated: correct its definition first.")
    cleaned["kpi"] = definition
    cleaned["kpi_slice"] = _clean_slice(values.get("kpi_slice"), definition, errors)
    cleaned["kpi_comparator"] = clean_choice(
        values.get("kpi_comparator"), Comparator.values, "kpi_comparator", errors
    )
    threshold = values.get("kpi_threshold")
    if threshold in (None, ""):
        errors["kpi_threshold"] = _("Enter the threshold.")
        cleaned["kpi_threshold"] = None
    else:
        cleaned["kpi_threshold"] = clean_decimal(threshold, "kpi_threshold", errors)
    periods = values.get("kpi_periods")
    if (
        isinstance(periods, bool)
        or not isinstance(periods, int)
        or not 1 <= periods <= MOST_PERIODS
    ):
        errors["kpi_periods"] = _("Enter a number of periods from 1 to %(n)d.") % {
            "n": MOST_PERIODS
        }
    cleaned["kpi_periods"] = periods
    return cleaned


def verification_stated(action: Action) -> bool:
    """Whether the action says how its effect will be verified (needed to mark it done)."""
    if action.verification_method == VerificationMethod.MANUAL:
        return bool(action.verification_plan.strip())
    if action.verification_method == VerificationMethod.KPI:
        return bool(
            action.kpi_id
            and action.kpi_comparator
            and action.kpi_threshold is not None
            and action.kpi_periods
        )
    return False


# --- Periods -------------------------------------------------------------------------------


def complete_periods(
    period: str, done_on: datetime.date, today: datetime.date
) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """The periods that begin after ``done_on`` and have ended by ``today`` (midnight
    starting it, TIME_ZONE), in order, as half-open aware instants."""
    first_day = done_on + datetime.timedelta(days=1)
    start, end = period_bounds(period, first_day)
    if start.date() < first_day:
        start, end = period_bounds(period, end.date())
    periods = []
    while end.date() <= today:
        periods.append((start, end))
        start, end = period_bounds(period, end.date())
    return periods


# --- The check -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodCheck:
    start: datetime.datetime
    end: datetime.datetime
    value: Decimal | None
    met: bool | None  # None: no data


@dataclass
class KpiCheck:
    """What a check found: ``outcome`` effective | not_effective | pending | skipped | error;
    the periods evaluated so far (stored and new), the run of periods met at the end, and
    how many the condition needs."""

    outcome: str
    periods: list[PeriodCheck] = field(default_factory=list)
    in_row: int = 0
    needed: int = 0
    new_periods: int = 0
    error: str = ""


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 6)))


def _met(action: Action, value: Decimal | None) -> bool | None:
    if value is None:
        return None
    return COMPARATORS[action.kpi_comparator](value, action.kpi_threshold)


def _run(periods: list[PeriodCheck], needed: int) -> tuple[str, int, PeriodCheck | None]:
    """(outcome, periods met in a row, the deciding period) over periods in order."""
    in_row = 0
    for period in periods:
        if period.met is False:
            return "not_effective", 0, period
        in_row = in_row + 1 if period.met else 0
        if in_row >= needed:
            return "effective", in_row, period
    return "pending", in_row, None


def _text(value) -> str:
    if value is None:
        return _("no data")
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def kpi_condition_check(action: Action, today: datetime.date | None = None) -> KpiCheck:
    """Check the KPI condition of a done action up to ``today`` (default: today in TIME_ZONE)
    and decide it when the data allows; see the module docstring. The system acts: audit
    rows have no actor. Skips actions not awaiting KPI verification."""
    today = today or timezone.localdate()
    with transaction.atomic():
        action = lock_action(action.pk)
        if (
            action.status != ActionStatus.DONE
            or action.verification_method != VerificationMethod.KPI
            or action.kpi is None
            or action.done_on is None
            or not action.kpi_periods
        ):
            return KpiCheck("skipped")
        stored = {
            row.period_start: row
            for row in action.verifications.filter(kind=VerificationKind.PERIOD)
        }
        periods, new = [], []
        for start, end in complete_periods(action.kpi.period, action.done_on, today):
            row = stored.get(start)
            if row is None:
                try:
                    result = kpi_evaluate(action.kpi, start, end, action.kpi_slice or {})
                except ValidationError as error:
                    logger.warning("KPI condition of %s cannot be evaluated: %s", action, error)
                    return KpiCheck("error", periods, error="; ".join(error.messages))
                value = _decimal(result.value)
                row = ActionVerification.objects.create(
                    action=action,
                    kind=VerificationKind.PERIOD,
                    checked_on=today,
                    period_start=start,
                    period_end=end,
                    value=value,
                    numerator=_decimal(result.numerator),
                    denominator=_decimal(result.denominator),
                    met=_met(action, value),
                    created_at=timezone.now(),
                )
                new.append(row)
            periods.append(PeriodCheck(start, end, row.value, row.met))
            if row.met is False:
                break  # a missed period decides: later periods are not needed
            if _run(periods, action.kpi_periods)[0] == "effective":
                break
        outcome, in_row, deciding = _run(periods, action.kpi_periods)
        if new:
            audit_record(
                actor=None,
                verb="action.kpi_checked",
                obj=action,
                payload={
                    "periods": [
                        {"start": r.period_start, "value": r.value, "met": r.met} for r in new
                    ],
                    "in_row": in_row,
                    "needed": action.kpi_periods,
                },
            )
        if outcome != "pending":
            action_record_outcome(
                action,
                effective=outcome == "effective",
                actor=None,
                today=today,
                note=_outcome_note(action, outcome, deciding, in_row),
                payload={"in_row": in_row, "needed": action.kpi_periods},
            )
    return KpiCheck(outcome, periods, in_row, action.kpi_periods, len(new))


def _outcome_note(action: Action, outcome: str, deciding: PeriodCheck, in_row: int) -> str:
    values = {
        "condition": action.condition_text(),
        "period": timezone.localtime(deciding.start).date().isoformat(),
        "value": _text(deciding.value),
        "n": in_row,
    }
    if outcome == "effective":
        return _("KPI condition met in %(n)s periods in a row (%(condition)s).") % values
    return (
        _("KPI condition missed in the period from %(period)s: value %(value)s (%(condition)s).")
        % values
    )


def kpi_conditions_check_all(today: datetime.date | None = None) -> dict[str, int]:
    """Check every action awaiting KPI verification, one transaction each (one action that
    cannot be evaluated does not stop the others). Returns the count per outcome."""
    today = today or timezone.localdate()
    counts: Counter = Counter()
    for pk in Action.objects.awaiting_kpi().order_by("pk").values_list("pk", flat=True):
        counts[kpi_condition_check(Action(pk=pk), today).outcome] += 1
    return dict(counts)


# --- Reading the progress ------------------------------------------------------------------


def kpi_condition_progress(action: Action, rows=None) -> dict | None:
    """For the screens: the periods checked so far (value against the threshold) and the run
    met at the end, from the stored history (no evaluation). None without a KPI condition.
    ``rows``: the action's period rows, if already fetched."""
    if action.verification_method != VerificationMethod.KPI or action.kpi_id is None:
        return None
    if rows is None:
        rows = list(action.verifications.filter(kind=VerificationKind.PERIOD))
    periods = [PeriodCheck(r.period_start, r.period_end, r.value, r.met) for r in rows]
    periods.sort(key=lambda p: p.start)
    _outcome, in_row, _deciding = _run(periods, action.kpi_periods or 1)
    return {
        "periods": periods,
        "in_row": in_row,
        "needed": action.kpi_periods,
        "threshold": action.kpi_threshold,
        "comparator": Comparator(action.kpi_comparator).label if action.kpi_comparator else "",
        "condition": action.condition_text(),
    }
