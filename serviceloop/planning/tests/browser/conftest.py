"""Browser tests of the management-system set-up: the core browser fixtures (Debian's
chromium, the live server, browser-problem collection: console errors, CSP violations, failed
sub-resources, screenshots on failure)."""

from serviceloop.core.tests.browser.conftest import (  # noqa: F401  (fixtures and the hook)
    base_url,
    browser_context_args,
    browser_problems,
    browser_type_launch_args,
    new_context,
    pytest_runtest_makereport,
)
