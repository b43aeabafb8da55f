"""Steps a user takes in the browser, shared by the journeys."""

from django.utils import translation
from playwright.sync_api import Locator, Page, expect

DEMO_PASSWORD = "Demo-pass-2026!"

# In display order: the bar's own entries, then each drop-down menu's (see core.navigation.MENUS).
STAFF_BAR = ["home", "desk_queue", "problem_list", "dashboard"]
OPERATION_MENU = [
    "service_list",
    "ci_list",
    "asset_list",
    "complaint_list",
    "customer_list",
    "agreement_list",
    "supplier_list",
    "change_list",
    "change_calendar",
    "release_list",
    "capacity_plan_list",
    "demand_list",
    "budget_list",
    "availability_home",
    "continuity_plan_list",
    "security_risk_list",
    "knowledge_list",
]
MANAGEMENT_MENU = [
    "document_list",
    "competence_matrix",
    "training_list",
    "communication_list",
    "assessment_list",
    "plan_overview",
    "context_overview",
    "objective_list",
    "risk_list",
    "tailoring",
    "clause_list",
    "internal_audit_list",
    "audit_programme_list",
    "audit_finding_list",
    "kpi_list",
    "service_report_list",
    "management_review_list",
    "improvement_list",
    "nonconformity_list",
    "my_actions",
    "proposal_list",
]
ORGANISATION_MENU = ["organisation_list", "person_list", "team_list", "calendar_list"]
STAFF_NAV = [*STAFF_BAR, *OPERATION_MENU, *MANAGEMENT_MENU, *ORGANISATION_MENU]
AUDIT_NAV = [*STAFF_NAV, "audit_list"]
ADMIN_NAV = AUDIT_NAV
CUSTOMER_NAV = [
    "home",
    "my_organisation",
    "portal_service_list",
    "portal_home",
    "complaint_list",
    "customer_mine",
    "planned_changes",
    "availability_report",
    "portal_knowledge",
    "dashboard",
]
# a customer manager also reads the organisation's demand records and service reports
CUSTOMER_MANAGER_NAV = [*CUSTOMER_NAV[:7], "demand_list", *CUSTOMER_NAV[7:], "service_report_list"]


def sign_in(page: Page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the login form and wait for the signed-in layout."""
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("user-menu")).to_be_attached()  # folded away on a phone


def sign_out(page: Page) -> None:
    open_user_menu(page)
    page.get_by_test_id("logout").click()
    expect(page.get_by_test_id("login-submit")).to_be_visible()


def open_user_menu(page: Page) -> None:
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():  # a phone: unfold the menu first
        toggler.click()
    page.get_by_test_id("user-menu").click()


def nav_entries(page: Page) -> list[str]:
    """The url names of the main navigation's entries, in order."""
    return page.locator("[data-testid=main-nav] [data-nav]").evaluate_all(
        "links => links.map(link => link.dataset.nav)"
    )


def reveal_nav(page: Page, url_name: str) -> Locator:
    """The main navigation entry, made visible: the phone toggler and its drop-down opened."""
    link = page.locator(f"[data-nav={url_name}]")
    if not link.is_visible():
        toggler = page.locator(".navbar-toggler")
        if toggler.is_visible() and not page.get_by_test_id("main-nav").is_visible():
            toggler.click()
        menu = link.locator("xpath=ancestor::li[contains(@class,'dropdown')]/a[@data-nav-menu]")
        if menu.count() and not link.is_visible():
            menu.click()
    return link


def open_nav(page: Page, url_name: str) -> None:
    """Click a main navigation entry and wait for the page it opens."""
    with page.expect_navigation() as navigation:
        reveal_nav(page, url_name).click()
    assert navigation.value.ok, f"{url_name}: {navigation.value.status} {page.url}"


def page_language(page: Page) -> str:
    return page.locator("html").get_attribute("lang")


def field_errors(page: Page, name: str) -> Locator:
    """The error messages shown under a form field (see _form_fields.html)."""
    return (
        page.locator("div.mb-3")
        .filter(has=page.locator(f"#id_{name}"))
        .locator(".invalid-feedback")
    )


def translated(text: str, language: str) -> str:
    """``text`` as the product shows it in ``language`` (whatever the catalogue holds)."""
    with translation.override(language):
        return translation.gettext(text)
