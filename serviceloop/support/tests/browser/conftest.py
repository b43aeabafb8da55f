"""Browser tests of the knowledge base: the core browser fixtures (Debian's chromium, the
live server, browser-problem collection: console errors, CSP violations, failed
sub-resources), plus ``knowledge_demo``: the demo organisation, a live VPN service for ECL
and the knowledge demo articles, with the full-text index installed."""

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


@pytest.fixture
def knowledge_demo(request):
    from django.db import connection

    from serviceloop.core.models import Organisation
    from serviceloop.portfolio.models import Service
    from serviceloop.support import search_knowledge
    from serviceloop.support.demo_knowledge import demo_records

    request.getfixturevalue("demo")
    search_knowledge.index_install(connection)
    vpn = Service.objects.create(code="vpn", name="VPN", status="live")
    vpn.customers.set([Organisation.objects.get(short_name="ECL")])
    demo_records(write=lambda *_: None)
