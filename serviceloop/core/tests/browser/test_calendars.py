"""Checking a deadline on China's working-day calendar around National Day 2026."""

import datetime

import chinese_calendar
import pytest
from playwright.sync_api import expect

from serviceloop.core.tests.browser.steps import open_nav, sign_in

CHINA_WORKING_HOURS = (
    (datetime.time(9), datetime.time(12)),
    (datetime.time(13), datetime.time(18)),
)


def china_deadline(start: datetime.datetime, minutes: int) -> datetime.datetime:
    """Reference: walk minute by minute through China's working hours (Mon–Fri 09–12, 13–18,
    holidays off, make-up weekend days worked) as ``chinese_calendar`` publishes them."""
    moment, left = start, minutes
    while left:
        in_hours = any(a <= moment.time() < b for a, b in CHINA_WORKING_HOURS)
        if in_hours and chinese_calendar.is_workday(moment.date()):
            left -= 1
        moment += datetime.timedelta(minutes=1)
    return moment


# (start, business minutes, the deadline the page shows)
CASES = [
    # One hour left on the eve of National Day (Oct 1–7 off), the rest on Thursday Oct 8.
    ("2026-09-30T17:00", 120, "2026-10-08 10:00:00"),
    # Friday Oct 9 at 17:00: the rest falls on Saturday Oct 10, a make-up workday (调休).
    ("2026-10-09T17:00", 120, "2026-10-10 10:00:00"),
]


def test_the_expected_deadlines_follow_chinas_published_2026_schedule():
    assert not any(chinese_calendar.is_workday(datetime.date(2026, 10, d)) for d in range(1, 8))
    assert chinese_calendar.is_workday(datetime.date(2026, 10, 10))  # a Saturday
    for start, minutes, shown in CASES:
        deadline = china_deadline(datetime.datetime.fromisoformat(start), minutes)
        assert deadline.strftime("%Y-%m-%d %H:%M:%S") == shown


@pytest.mark.browser
def test_agent_checks_deadlines_across_national_day_on_cn_workdays(demo, page):
    sign_in(page, "agent")
    open_nav(page, "calendar_list")
    page.get_by_role("row").filter(has_text="cn-workdays").get_by_role("link").click()
    expect(page.locator("h1")).to_contain_text("cn-workdays")
    holidays = page.locator("ul").filter(has_text="2026-10-01")
    expect(holidays).to_contain_text("2026-10-07")

    for start, minutes, shown in CASES:
        page.locator("#id_start").fill(start)
        page.locator("#id_minutes").fill(str(minutes))
        page.locator("form[method=get] button[type=submit]").click()
        expect(page.get_by_test_id("deadline")).to_contain_text(shown)
        expect(page.get_by_test_id("deadline")).to_contain_text("Asia/Shanghai")
        expect(page.locator("#id_start")).to_have_value(start)  # the form keeps the question
