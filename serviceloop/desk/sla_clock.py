"""The SLA clock: a pure function of a ticket's history, its policy version and a calendar.

``replay`` walks the ticket's status and priority changes through the business calendar and
answers, for the first-response and the resolution target: how much business time the
ticket has consumed, when it is (or was) due, when the warning threshold is (or was)
reached, when the measurement stopped and whether the target was breached. The same
function computes the stored fields when a ticket changes and recomputes any period later
(``serviceloop sla-recompute``), so a stored figure can always be explained and reproduced.

Rules
-----
- Time counts in the calendar's working time only, to the second.
- A status in ``pause_statuses`` (by default: waiting for customer, waiting for supplier)
  stops both clocks; leaving it resumes them. Business time spent there is ``paused_seconds``.
- The first-response clock stops at the first public reply by the provider, or when the
  ticket first reaches a stop status (resolved, closed, cancelled).
- The resolution clock stops when the ticket reaches a stop status and restarts when it is
  reopened; the time it spent resolved does not count.
- **Priority changes re-target from creation**: the target is the one of the priority the
  ticket had when its clock stopped (or has now, if the clock runs), measured from creation
  with pauses left out. A P3 raised to P1 after two hours is due two hours earlier than had
  it been P1 from the start only if P1's target is that much shorter; both are measured from
  the same creation instant.
- A target is met when the consumed time at the stop is at most the target (a reply at
  exactly the due second is on time). A running clock is breached once ``now`` passes the
  due instant; ``breached_at`` is the due instant of a breached target (also when the ticket
  is paused or stopped later).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction

DEFAULT_PAUSE_STATUSES = frozenset({"waiting_customer", "waiting_supplier", "pending_approval"})
DEFAULT_STOP_STATUSES = frozenset({"resolved", "closed", "cancelled"})


@dataclass(frozen=True)
class Targets:
    """Targets of one priority, in business seconds (None: no target)."""

    response: int | None = None
    resolution: int | None = None
    update: int | None = None  # next-update cadence for public updates while open


@dataclass(frozen=True)
class ClockPolicy:
    targets: Mapping[str, Targets]
    pause_statuses: frozenset[str] = DEFAULT_PAUSE_STATUSES
    stop_statuses: frozenset[str] = DEFAULT_STOP_STATUSES
    warn_fraction: Fraction = Fraction(3, 4)


@dataclass(frozen=True)
class ClockEvent:
    """One change in a ticket's history. ``status``/``priority`` are the new values, if any."""

    at: datetime
    status: str | None = None
    priority: str | None = None
    public_response: bool = False  # a public reply (or update) by the provider


@dataclass
class TargetState:
    target_seconds: int | None
    consumed_seconds: int = 0  # as of ``now`` (or of the stop)
    due_at: datetime | None = None  # None while paused, stopped, or without a target
    warn_at: datetime | None = None
    met_at: datetime | None = None  # when the measurement stopped (last stop)
    breached_at: datetime | None = None  # when consumption passed the target
    breached: bool = False
    running: bool = False


@dataclass
class ClockState:
    response: TargetState
    resolution: TargetState
    paused: bool
    paused_seconds: int
    next_update_due_at: datetime | None = None
    priority: str = ""
    status: str = ""
    notes: list[str] = field(default_factory=list)


class _Meter:
    """Consumption of one target along the replay, with the instants it reached the warning
    threshold and the target (the due instant)."""

    def __init__(self, target: int | None, warn_fraction: Fraction):
        self.target = target
        self.warn = None if target is None else int(target * warn_fraction)
        self.consumed = 0
        self.reached_at: datetime | None = None  # consumption == target: the due instant
        self.warn_at: datetime | None = None
        self.stopped_at: datetime | None = None

    def run(self, calendar, start: datetime, seconds: int) -> None:
        """Consume ``seconds`` of business time from ``start``; note the instants reached.

        ``add_seconds`` with a positive amount keeps an instant at the end of a working
        interval there, so a target reached at 18:00 is due at 18:00, not at 09:00 next day.
        """
        before = self.consumed
        self.consumed += seconds
        if self.target is None:
            return
        if self.warn_at is None and before < self.warn <= self.consumed:
            self.warn_at = calendar.add_seconds(start, self.warn - before)
        if self.reached_at is None and before < self.target <= self.consumed:
            self.reached_at = calendar.add_seconds(start, self.target - before)


def replay(
    *,
    created_at: datetime,
    status: str,
    priority: str,
    events: Sequence[ClockEvent],
    policy: ClockPolicy,
    calendar,
    now: datetime,
) -> ClockState:
    """The clock of a ticket created at ``created_at`` with ``status`` and ``priority``,
    after ``events`` (in time order; those after ``now`` are ignored), as of ``now``.

    ``calendar`` is a ``core.business_time.BusinessCalendar``. Deterministic: the due and
    warning instants depend on the history only, never on ``now``; ``now`` only decides the
    consumption so far and whether a running clock is breached.
    """
    history = [e for e in events if e.at <= now]
    # Which priority sets each target (see "Priority changes re-target from creation").
    priority_at_response_stop = priority
    priority_now = priority
    response_stop_at = None
    current_status = status
    for event in history:
        if event.priority:
            priority_now = event.priority
        if event.status:
            current_status = event.status
        if response_stop_at is None and (
            event.public_response or (event.status in policy.stop_statuses)
        ):
            response_stop_at = event.at
            priority_at_response_stop = priority_now
    response_priority = priority_at_response_stop if response_stop_at else priority_now
    targets_response = policy.targets.get(response_priority, Targets())
    targets_resolution = policy.targets.get(priority_now, Targets())
    response = _Meter(targets_response.response, policy.warn_fraction)
    resolution = _Meter(targets_resolution.resolution, policy.warn_fraction)
    update_cadence = targets_resolution.update

    paused_seconds = 0
    segment_start = created_at
    segment_status = status
    response_stopped = False
    last_public_update = created_at

    def close_segment(end: datetime) -> None:
        nonlocal paused_seconds
        if end <= segment_start:
            return
        in_pause = segment_status in policy.pause_statuses
        in_stop = segment_status in policy.stop_statuses
        if in_stop:
            return
        seconds = calendar.elapsed_seconds(segment_start, end)
        if in_pause:
            paused_seconds += seconds
            return
        resolution.run(calendar, segment_start, seconds)
        if not response_stopped:
            response.run(calendar, segment_start, seconds)

    for event in history:
        close_segment(event.at)
        segment_start = event.at
        if event.status:
            if event.status in policy.stop_statuses and segment_status not in policy.stop_statuses:
                resolution.stopped_at = event.at
            segment_status = event.status
        if not response_stopped and (event.public_response or event.status in policy.stop_statuses):
            response_stopped = True
            response.stopped_at = event.at
        if event.public_response:
            last_public_update = event.at

    # The open segment, from the last event on: due and warning instants follow from it.
    open_start = segment_start
    open_paused = segment_status in policy.pause_statuses
    open_stopped = segment_status in policy.stop_statuses
    consumed_at_open = (response.consumed, resolution.consumed)
    close_segment(now)

    def finish(meter: _Meter, consumed_before_open: int, running: bool) -> TargetState:
        state = TargetState(target_seconds=meter.target, consumed_seconds=meter.consumed)
        state.running = running
        state.met_at = None if running else meter.stopped_at
        if meter.target is None:
            return state
        state.warn_at = meter.warn_at
        if running:
            if consumed_before_open < meter.target:
                state.due_at = calendar.add_seconds(open_start, meter.target - consumed_before_open)
            else:
                state.due_at = meter.reached_at or open_start
            if state.warn_at is None and consumed_before_open < meter.warn:
                state.warn_at = calendar.add_seconds(open_start, meter.warn - consumed_before_open)
            state.breached = now > state.due_at
        else:
            state.breached = meter.consumed > meter.target
        if state.breached:
            state.breached_at = state.due_at if running else meter.reached_at
        return state

    clocks_run = not open_paused and not open_stopped
    response_state = finish(response, consumed_at_open[0], clocks_run and not response_stopped)
    resolution_state = finish(resolution, consumed_at_open[1], clocks_run)
    if open_paused and not open_stopped:
        # Paused: no due instant, but keep the targets' history visible.
        response_state.running = resolution_state.running = False
        response_state.met_at = response.stopped_at
        resolution_state.met_at = None

    next_update = None
    if update_cadence and clocks_run:
        next_update = calendar.add_seconds(last_public_update, update_cadence)
    return ClockState(
        response=response_state,
        resolution=resolution_state,
        paused=open_paused,
        paused_seconds=paused_seconds,
        next_update_due_at=next_update,
        priority=priority_now,
        status=current_status,
    )
