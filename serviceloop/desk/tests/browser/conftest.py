"""Browser tests of the service desk: the core browser fixtures (Debian's chromium, the live
server, browser-problem collection: console errors, CSP violations, failed sub-resources),
plus ``desk_demo``: the demo organisation with a few desk demo tickets.
"""

import pytest

from serviceloop.core.tests.browser.conftest import (  # noqa: F401  (fixtures and the hook)
    base_url,
    browser_context_args,
    browser_problems,
    browser_type_launch_args,
    demo,
    new_context,
    pytest_runtest_makereport,
)

DEMO_TICKETS = 20  # enough for the screens; the full 2,000 take minutes


@pytest.fixture
def desk_demo(request):
    """The demo organisation (the core ``demo`` fixture) with the desk's demo records:
    categories routed to the two teams, the standard SLA on cn-workdays, request types, canned
    responses, problems and ``DEMO_TICKETS`` tickets (nearly all closed by now)."""
    from serviceloop.desk.demo import demo_records

    passwords = request.getfixturevalue("demo")
    demo_records(write=lambda *_: None, tickets=DEMO_TICKETS)
    return passwords
