"""The SLA clock against hand-worked cases on China's 2026 working days.

cn-workdays: Mon-Fri 09:00-12:00 and 13:00-18:00 Asia/Shanghai; 2026 holidays used here:
Oct 1-7 (National Day), make-up workdays Sun Sep 20 and Sat Oct 10.
"""

from datetime import datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serviceloop.core.business_time import BusinessCalendar, CalendarSpec
from serviceloop.core.calendar_presets import preset_spec
from serviceloop.desk.sla_clock import ClockEvent, ClockPolicy, Targets, replay

SH = ZoneInfo("Asia/Shanghai")
CN = BusinessCalendar(preset_spec("cn-workdays"))
H = 3600
M = 60

POLICY = ClockPolicy(
    targets={
        "P1": Targets(response=30 * M, resolution=4 * H),
        "P2": Targets(response=1 * H, resolution=8 * H),
        "P3": Targets(response=4 * H, resolution=24 * H, update=4 * H),
    },
    warn_fraction=Fraction(3, 4),
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def clock(events=(), *, created="2026-09-28 09:00", priority="P2", now="2026-12-31 00:00"):
    return replay(
        created_at=at(created),
        status="new",
        priority=priority,
        events=list(events),
        policy=POLICY,
        calendar=CN,
        now=at(now),
    )


def test_running_clock_due_times_follow_the_calendar():
    state = clock(created="2026-09-28 17:00", now="2026-09-28 17:10")  # Monday
    # P2: response 1 h: 17:00-18:00 Monday. Resolution 8 h: 1 h Mon + 7 h Tue (3 + 4).
    assert state.response.due_at == at("2026-09-28 18:00")
    assert state.resolution.due_at == at("2026-09-29 17:00")
    assert state.response.warn_at == at("2026-09-28 17:45")
    assert state.resolution.warn_at == at("2026-09-29 15:00")  # 6 h consumed
    assert state.response.consumed_seconds == 10 * M
    assert not state.response.breached and state.response.running


def test_national_day_holiday_is_skipped():
    # Created Wed Sep 30 17:00: 1 h left that day, then Oct 1-7 off, Oct 8 (Thu) resumes.
    state = clock(created="2026-09-30 17:00", now="2026-09-30 17:01")
    assert state.response.due_at == at("2026-09-30 18:00")
    assert state.resolution.due_at == at("2026-10-08 17:00")


def test_make_up_workday_counts():
    # Created Fri Oct 9 17:00 (P2, 8 h): 1 h Fri, then Sat Oct 10 is a make-up workday: 7 h.
    state = clock(created="2026-10-09 17:00", now="2026-10-09 17:01")
    assert state.resolution.due_at == at("2026-10-10 17:00")


def test_lunch_break_does_not_count():
    state = clock(created="2026-09-28 11:50", now="2026-09-28 11:51")
    assert state.response.due_at == at("2026-09-28 13:50")  # 10 min before lunch, 50 after


def test_first_public_reply_stops_the_response_clock():
    events = [ClockEvent(at("2026-09-28 09:40"), status="in_progress", public_response=True)]
    state = clock(events, now="2026-09-28 12:00")
    assert state.response.met_at == at("2026-09-28 09:40")
    assert state.response.consumed_seconds == 40 * M
    assert not state.response.breached and not state.response.running
    assert state.resolution.running and state.resolution.consumed_seconds == 3 * H


def test_late_first_reply_is_a_breach():
    events = [ClockEvent(at("2026-09-28 10:00:01"), public_response=True)]
    state = clock(events, now="2026-09-28 12:00")
    assert state.response.breached
    assert state.response.breached_at == at("2026-09-28 10:00")


def test_reply_at_the_due_second_is_on_time():
    state = clock(
        [ClockEvent(at("2026-09-28 10:00"), public_response=True)], now="2026-09-28 11:00"
    )
    assert not state.response.breached


def test_pause_spanning_a_night_and_a_holiday():
    events = [
        ClockEvent(at("2026-09-28 11:00"), status="in_progress", public_response=True),
        ClockEvent(at("2026-09-30 16:00"), status="waiting_customer"),
        ClockEvent(at("2026-10-08 10:00"), status="in_progress"),
    ]
    # Created Mon 09:00 (P2, 8 h): Mon 09-12 and 13-18 use the 8 h: due Mon 18:00, long
    # before the pause.
    state = clock(events, now="2026-10-08 11:00")
    assert state.resolution.breached
    assert state.resolution.breached_at == at("2026-09-28 18:00")
    # Paused business time: Wed 16-18 (2 h) + Oct 8 09-10 (1 h); the holiday is not working.
    assert state.paused_seconds == 3 * H


def test_pause_pushes_the_due_time():
    events = [
        ClockEvent(at("2026-09-28 09:10"), status="in_progress", public_response=True),
        ClockEvent(at("2026-09-28 10:00"), status="waiting_customer"),
        ClockEvent(at("2026-09-29 10:00"), status="in_progress"),
    ]
    state = clock(events, now="2026-09-29 10:30")
    # 1 h consumed Mon 09-10; paused until Tue 10:00; 7 h left: Tue 10-12, 13-18 -> Tue 18:00.
    assert state.resolution.due_at == at("2026-09-29 18:00")
    assert state.paused_seconds == 8 * H  # Mon 10-12, 13-18 (7 h) + Tue 09-10 (1 h)
    assert not state.paused


def test_paused_ticket_has_no_due_time():
    events = [ClockEvent(at("2026-09-28 10:00"), status="waiting_supplier")]
    state = clock(events, now="2026-09-28 15:00")
    assert state.paused
    assert state.resolution.due_at is None and state.response.due_at is None
    assert state.resolution.consumed_seconds == 1 * H


def test_priority_raise_retargets_from_creation():
    # Created P3 Mon 09:00; raised to P1 at 10:00 -> P1's 4 h from creation: Mon 14:00.
    events = [ClockEvent(at("2026-09-28 10:00"), priority="P1")]
    state = clock(events, priority="P3", now="2026-09-28 10:05")
    assert state.resolution.due_at == at("2026-09-28 14:00")
    # The response target is P1's 30 min, measured from creation: already breached.
    assert state.response.breached and state.response.breached_at == at("2026-09-28 09:30")


def test_resolve_and_reopen():
    events = [
        ClockEvent(at("2026-09-28 09:30"), status="in_progress", public_response=True),
        ClockEvent(at("2026-09-28 11:00"), status="resolved"),
        ClockEvent(at("2026-09-29 09:00"), status="in_progress"),  # reopened next morning
    ]
    state = clock(events, now="2026-09-29 09:30")
    # 2 h consumed on Monday; the resolved night does not count; 6 h left from Tue 09:00.
    assert state.resolution.consumed_seconds == 2 * H + 30 * M
    assert state.resolution.due_at == at("2026-09-29 16:00")
    assert state.resolution.met_at is None


def test_resolved_ticket_is_met_or_breached_by_its_consumption():
    # Created Mon 09:00, P2 (8 h): due Mon 18:00.
    on_time = clock([ClockEvent(at("2026-09-28 18:00"), status="resolved")])
    after_hours = clock([ClockEvent(at("2026-09-28 20:00"), status="resolved")])
    late = clock([ClockEvent(at("2026-09-29 09:00:01"), status="resolved")])
    assert on_time.resolution.met_at == at("2026-09-28 18:00") and not on_time.resolution.breached
    # Resolved in the evening: no working time passed after 18:00, still on time.
    assert not after_hours.resolution.breached
    assert late.resolution.breached and late.resolution.breached_at == at("2026-09-28 18:00")
    # Resolution without a reply also ends the response measurement (P2: 1 h, so late).
    assert on_time.response.met_at == at("2026-09-28 18:00") and on_time.response.breached


def test_due_times_do_not_depend_on_now():
    events = [ClockEvent(at("2026-09-28 09:10"), public_response=True)]
    a = clock(events, now="2026-09-28 09:20")
    b = clock(events, now="2026-09-28 16:20")
    assert a.resolution.due_at == b.resolution.due_at == at("2026-09-28 18:00")
    assert b.resolution.consumed_seconds - a.resolution.consumed_seconds == 6 * H


def test_next_update_cadence():
    events = [ClockEvent(at("2026-09-28 10:00"), status="in_progress", public_response=True)]
    state = clock(events, priority="P3", now="2026-09-28 10:01")
    assert state.next_update_due_at == at("2026-09-28 15:00")  # 4 working hours after 10:00


# --- property test against a minute-walking reference ------------------------------------

SMALL = BusinessCalendar(
    CalendarSpec(
        tz="Asia/Shanghai",
        weekly=(CalendarSpec.parse_hours("09:00-12:00,13:00-18:00"),) * 5 + ((), ()),
    )
)
STATUSES = ["in_progress", "waiting_customer", "resolved", "in_progress", "waiting_supplier"]


def walk_reference(created, status, events, now, target_seconds, pauses, stops):
    """Minute by minute: consumption of the resolution clock and its due minute."""
    consumed = 0
    due = None
    t = created
    current = status
    pending = list(events)
    while t < now:
        while pending and pending[0].at <= t:
            current = pending.pop(0).status or current
        if current not in pauses and current not in stops and SMALL.is_working(t):
            consumed += 60
            if due is None and consumed >= target_seconds:
                due = t + timedelta(minutes=1)
        t += timedelta(minutes=1)
    return consumed, due


@settings(max_examples=60, deadline=None, database=None)
@given(
    offsets=st.lists(st.integers(min_value=1, max_value=3 * 24 * 60), min_size=0, max_size=5),
    statuses=st.lists(st.sampled_from(STATUSES), min_size=5, max_size=5),
    start_minute=st.integers(min_value=0, max_value=7 * 24 * 60),
    target_hours=st.integers(min_value=1, max_value=12),
)
def test_resolution_consumption_matches_a_minute_walk(
    offsets, statuses, start_minute, target_hours
):
    created = at("2026-11-02 00:00") + timedelta(minutes=start_minute)
    times = sorted({created + timedelta(minutes=o) for o in offsets})
    events = [ClockEvent(t, status=s) for t, s in zip(times, statuses, strict=False)]
    now = created + timedelta(days=4)
    policy = ClockPolicy(targets={"P2": Targets(resolution=target_hours * H)})
    state = replay(
        created_at=created,
        status="new",
        priority="P2",
        events=events,
        policy=policy,
        calendar=SMALL,
        now=now,
    )
    consumed, due = walk_reference(
        created, "new", events, now, target_hours * H, policy.pause_statuses, policy.stop_statuses
    )
    target = target_hours * H
    assert state.resolution.consumed_seconds == consumed
    if state.resolution.running:
        if due is not None:  # the walk saw the target reached before ``now``
            assert state.resolution.due_at == due
        assert state.resolution.breached == (due is not None and now > due)
    else:  # paused or stopped: judged by the consumption
        assert state.resolution.breached == (consumed > target)
    if consumed > target:
        assert state.resolution.breached_at == due


@pytest.mark.parametrize("priority", ["P1", "P2", "P3"])
def test_unknown_or_missing_targets_have_no_due_time(priority):
    policy = ClockPolicy(targets={})
    state = replay(
        created_at=at("2026-09-28 09:00"),
        status="new",
        priority=priority,
        events=[],
        policy=policy,
        calendar=CN,
        now=at("2026-09-28 10:00"),
    )
    assert state.resolution.due_at is None and not state.resolution.breached
    assert state.resolution.consumed_seconds == H
