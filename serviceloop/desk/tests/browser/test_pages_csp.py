"""Every desk page a role reaches by following links: served under the strict Content-Security-
Policy, without console errors, CSP violations or failed sub-resources (collected by the core
browser fixtures), and without server errors.

Each role starts from its desk pages and follows the links it is shown under /desk/ and
/portal/, visiting a few pages of each URL pattern (every queue tab counts as its own page).
"""

import re
from collections import Counter, deque
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.urls import Resolver404, resolve

from serviceloop.core.tests.browser.steps import sign_in

PER_PATTERN = 2  # pages visited per URL name (and queue view)
MAX_PAGES = 60
STRICT = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "frame-ancestors": "'none'",
}


def _special_pages():
    """Pages the links of a small demo may not reach: the major incident, a request with
    approval steps, a resolved ticket with its rating, the problem pages and one-click rating."""
    from serviceloop.desk.models import Problem, ProblemProposal, Ticket
    from serviceloop.desk.services.tickets import rating_token

    pages = ["/desk/", "/portal/", "/portal/requests/"]
    major = Ticket.objects.filter(is_major=True).first()
    if major:
        pages.append(f"/desk/tickets/{major.reference}/")
    pages += [f"/desk/problems/{p.reference}/" for p in Problem.objects.all()[:4]]
    pages += [f"/desk/problem-proposals/{p.pk}/" for p in ProblemProposal.objects.all()[:1]]
    resolved = Ticket.objects.filter(status="resolved").exclude(is_major=True).first()
    if resolved:
        pages.append(f"/desk/rate/{rating_token(resolved)}/?score=4")
    pages.append("/desk/search/?q=VPN")
    return pages


def _customer_pages(username):
    from serviceloop.core.models import User
    from serviceloop.desk.models import RequestType, Ticket

    user = User.objects.get(username=username)
    pages = ["/portal/", "/portal/requests/", "/portal/new/"]
    pages += [f"/portal/requests/{rt.pk}/" for rt in RequestType.objects.filter(is_active=True)]
    pages += [
        f"/desk/tickets/{t.reference}/"
        for t in Ticket.objects.visible_to(user).order_by("-created_at")[:3]
    ]
    return pages


def _pattern(url: str):
    parts = urlsplit(url)
    try:
        name = resolve(parts.path).url_name
    except Resolver404:
        return None
    query = tuple(sorted((k, v) for k, v in parse_qsl(parts.query) if k in ("view",)))
    return name, query


def _csp(header: str) -> dict[str, str]:
    directives = {}
    for part in filter(None, (p.strip() for p in header.split(";"))):
        name, _sep, value = part.partition(" ")
        directives[name] = value.strip()
    return directives


def crawl(page, start: list[str]) -> list[str]:
    """Visit the start pages and the desk/portal pages they link to; returns what was seen."""
    queue, seen_urls, per_pattern, visited = deque(start), set(), Counter(), []
    while queue and len(visited) < MAX_PAGES:
        url = queue.popleft()
        pattern = _pattern(url)
        if url in seen_urls or pattern is None or per_pattern[pattern] >= PER_PATTERN:
            continue
        seen_urls.add(url)
        per_pattern[pattern] += 1
        response = page.goto(url)
        assert response.status < 500, f"{url}: {response.status}"
        if response.status >= 400:
            continue  # a page this role may not open: refused, in the product's layout
        csp = _csp(response.headers.get("content-security-policy", ""))
        for directive, value in STRICT.items():
            assert csp.get(directive) == value, f"{url}: CSP {directive} is {csp.get(directive)!r}"
        assert "unsafe" not in response.headers["content-security-policy"], url
        visited.append(url)
        # downloads (CSV/XLSX exports, files) are not pages
        for href in page.locator("a[href]:not([download])").evaluate_all(
            "links => links.map(a => a.href)"
        ):
            parts = urlsplit(href)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if (
                re.match(r"^/(desk|portal)/", path)
                and "/files/" not in path
                and "export=" not in path
            ):
                queue.append(path)
    return visited


ROLES = {
    "agent": ["/desk/?view=all", "/desk/new/", "/desk/known-errors/"],
    "admin": ["/desk/settings/", "/desk/intake/", "/desk/settings/matrix/", "/desk/intake/new/"],
    "auditor": ["/desk/?view=all"],
    "ecl.manager": [],
    "ecl.user": [],
}


@pytest.mark.browser
@pytest.mark.parametrize("username", list(ROLES))
def test_desk_pages_keep_the_strict_csp_without_browser_errors(
    desk_demo, page, browser_problems, username
):
    start = ROLES[username] + (_customer_pages(username) if "." in username else _special_pages())
    sign_in(page, username)
    visited = crawl(page, start)
    assert len(visited) >= 5, visited
    print(f"{username}: {len(visited)} pages", *visited, sep="\n  ")
    browser_problems.assert_none()
