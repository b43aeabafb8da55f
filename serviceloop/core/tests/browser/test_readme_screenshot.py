"""The README's screenshot (docs/screenshot-home.png), refreshed on demand with
``SERVICELOOP_SCREENSHOTS=1 .venv/bin/python -m pytest serviceloop/core/tests/browser -k readme``.
"""

import dataclasses
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from serviceloop.core import demo as demo_data
from serviceloop.core.tests.browser.steps import DEMO_PASSWORD, sign_in

DOCS = Path(__file__).resolve().parents[4] / "docs"


@pytest.mark.browser
@pytest.mark.skipif(
    not os.environ.get("SERVICELOOP_SCREENSHOTS"),
    reason="writes docs/screenshot-home.png: run with SERVICELOOP_SCREENSHOTS=1",
)
def test_readme_screenshot_of_the_admin_home_page(transactional_db, live_server, monkeypatch, page):
    # The README is in English: the demo, with an administrator who reads English.
    people = [
        dataclasses.replace(p, language="en") if p.username == "admin" else p
        for p in demo_data.PEOPLE
    ]
    monkeypatch.setattr(demo_data, "PEOPLE", tuple(people))
    monkeypatch.setenv("SERVICELOOP_DEMO_PASSWORD", DEMO_PASSWORD)
    demo_data.demo_load(write=lambda *_: None)

    sign_in(page, "admin")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("count-customers")).to_have_text("2")

    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=DOCS / "screenshot-home.png")  # the 1280×800 viewport
