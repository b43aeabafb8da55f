"""The demand app's browser tests use the core's browser fixtures: Debian's chromium, the
demo organisation, and the checks for console errors and Content-Security-Policy violations."""

from serviceloop.core.tests.browser.conftest import *  # noqa: F403
