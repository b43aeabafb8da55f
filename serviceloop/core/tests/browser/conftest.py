"""Browser tests: Debian's chromium through Playwright against pytest-django's live server.

Every test that asks for ``demo`` gets the demo organisation (``demo_load``, one shared
password). Browser contexts are in Chinese (the browser of a user in China) and record what
went wrong in the browser: console errors, uncaught exceptions, Content-Security-Policy
violations and failed sub-resources. A test that passes with such a problem errors at
teardown, so every page any journey visits is checked; problems of bugs already reported
(``KNOWN_BROWSER_BUGS``) are only failed by the tests that expose them. On failure, every
open page is saved as a PNG under ``$SERVICELOOP_TEST_RESULTS`` (default:
``<tmp>/serviceloop-test-results``), never in the repository.
"""

import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext

from serviceloop.core.tests.browser.steps import DEMO_PASSWORD

# Playwright's sync API runs an event loop in the test thread; the test also reads the database.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RESULTS_DIR = Path(
    os.environ.get("SERVICELOOP_TEST_RESULTS")
    or Path(tempfile.gettempdir()) / "serviceloop-test-results"
)

# Browser problems caused by bugs already reported, each exposed by a strict xfail test in
# test_assets_and_csp.py. Remove an entry with its bug's fix.
KNOWN_BROWSER_BUGS: dict[str, re.Pattern] = {}

# Reports every Content-Security-Policy violation to the test, across navigations.
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__slReportCsp(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} ` +
    `at ${event.sourceFile || document.location.href}:${event.lineNumber}`
  );
});
"""

_CALL_REPORT = pytest.StashKey[pytest.TestReport]()


# --- Playwright set-up ---------------------------------------------------------------------
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def base_url(live_server):
    """Relative URLs in ``page.goto("/...")`` go to the live server."""
    return live_server.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "locale": "zh-CN",
        "timezone_id": "Asia/Shanghai",
        "viewport": {"width": 1280, "height": 800},
        "accept_downloads": True,
    }


@dataclass
class BrowserProblems:
    """What went wrong in the browser while the test ran."""

    entries: list[str] = field(default_factory=list)

    def watch(self, context: BrowserContext) -> None:
        context.expose_binding("__slReportCsp", lambda _source, text: self.add("csp", text))
        context.add_init_script(_CSP_LISTENER)
        context.on("console", self._console)
        context.on("weberror", lambda error: self.add("page error", str(error.error)))
        context.on("response", self._response)
        context.on("requestfailed", self._request_failed)

    def add(self, kind: str, text: str) -> None:
        self.entries.append(f"{kind}: {text}")

    def _console(self, message) -> None:
        # A page answered with 404/403 on purpose logs "Failed to load resource"; failed
        # sub-resources are caught by _response instead.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.add("console", f"{message.text} ({message.location.get('url', '')})")

    def _response(self, response) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            self.add("sub-resource", f"{response.status} {response.url}")

    def _request_failed(self, request) -> None:
        # ERR_ABORTED: a download, or a navigation that replaced the page; not an error.
        if "ERR_ABORTED" not in (request.failure or ""):
            self.add("request failed", f"{request.url} {request.failure}")

    def unexpected(self) -> list[str]:
        """The problems no known bug explains."""
        known = KNOWN_BROWSER_BUGS.values()
        return [e for e in self.entries if not any(p.search(e) for p in known)]

    def assert_none(self, *, including_known_bugs: bool = False) -> None:
        found = self.entries if including_known_bugs else self.unexpected()
        assert found == [], "the browser reported problems:\n" + "\n".join(found)


@pytest.fixture
def browser_problems() -> BrowserProblems:
    return BrowserProblems()


@pytest.fixture
def new_context(new_context, browser_problems, request):
    """pytest-playwright's factory, watching each context; checks the browser's problems
    after a passed test and saves every open page after a failed one."""
    contexts = []

    def factory(**kwargs) -> BrowserContext:
        context = new_context(**kwargs)
        browser_problems.watch(context)
        contexts.append(context)
        return context

    yield factory
    report = request.node.stash.get(_CALL_REPORT, None)
    if report is None:
        return
    if report.failed:
        _save_pages(request.node.nodeid, contexts)
        if browser_problems.entries:
            print("browser problems:", *browser_problems.entries, sep="\n  ")
    elif report.passed and not hasattr(report, "wasxfail"):
        browser_problems.assert_none()


def _save_pages(nodeid: str, contexts) -> None:
    folder = RESULTS_DIR / re.sub(r"[^A-Za-z0-9_.-]+", "-", nodeid)[-150:]
    folder.mkdir(parents=True, exist_ok=True)
    for n, context in enumerate(contexts):
        for m, page in enumerate(context.pages):
            path = folder / f"context{n}-page{m}.png"
            try:
                page.screenshot(path=path, full_page=True)
            except Exception as exc:  # a closed page or a crashed browser: report, go on
                print(f"no screenshot of {page.url}: {exc}")
            else:
                print(f"screenshot of {page.url}: {path}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash[_CALL_REPORT] = report
    return report


# --- Data ------------------------------------------------------------------------------------
@pytest.fixture
def demo(transactional_db, live_server, monkeypatch):
    """The demo organisation, every account with the password ``DEMO_PASSWORD``."""
    from serviceloop.core.demo import demo_load

    monkeypatch.setenv("SERVICELOOP_DEMO_PASSWORD", DEMO_PASSWORD)
    return demo_load(write=lambda *_: None)
