"""A change manager's journey in the browser (issue 6): a normal change on a database item,
its impact from the CMDB, the CAB's approval, the conflicts of its window in the change
calendar, and the failed change linked to the incident it caused.

Only the starting records are seeded (the CMDB, the catalogue, the agreement, the CAB, the
work already booked); every step of the journey is a click or a form in the browser.
"""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from serviceloop.core.tests.browser.steps import open_nav, sign_in, sign_out, translated

SHANGHAI = ZoneInfo("Asia/Shanghai")  # the demo's TIME_ZONE; the browser's too
TITLE = "升级 ERP 数据库 Upgrade the ERP database"
FAILURE = "pg_upgrade 中断 pg_upgrade aborted half way."
OVERRIDE = "只有这个窗口 The only window the vendor supports."
INCIDENT = "ERP 无法登录 ERP login fails"


def tr(text: str) -> str:
    """``text`` as the demo people (zh-hans) read it."""
    return translated(text, "zh-hans")


def status(page: Page):
    return page.get_by_test_id("status").first


def flash(page: Page):
    return page.locator(".sl-messages .alert")


def move(page: Page, target: str, note: str = "") -> None:
    """Press the change page's button for ``target``; a move that needs a note opens its
    box first."""
    button = page.locator(f"button[data-move={target}]")
    if note:
        button.locator("xpath=ancestor::details[1]/summary").click()
        button.locator("xpath=ancestor::form[1]").locator("textarea[name=note]").fill(note)
    button.click()
    expect(flash(page).first).to_be_visible()


def local_input(instant: datetime.datetime) -> str:
    """An instant as a ``datetime-local`` input takes it."""
    return instant.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def change_world(demo):
    """The starting records on the demo organisation: the ERP database (an item of the
    database type) with the ERP application depending on it, the ERP service built on the
    application for East China Logistics (ECL, with an agreed SLA on it), the CAB (admin and
    owner, two approvals at every risk level), and next week's work on the database: a
    change already scheduled on it and ECL's month-end freeze."""
    from django.utils import timezone

    from serviceloop.core.models import Organisation, User
    from serviceloop.portfolio.models import RelationKind
    from serviceloop.relationship.models import Agreement, AgreementVersion
    from serviceloop.transition.lifecycle import ChangeStatus
    from serviceloop.transition.risk import RiskLevel
    from serviceloop.transition.tests.factories import (
        BlackoutPeriodFactory,
        CabRuleFactory,
        ChangeRequestFactory,
        CiRelationFactory,
        CiTypeFactory,
        ConfigurationItemFactory,
        ServiceComponentFactory,
        ServiceFactory,
    )

    ecl = Organisation.objects.get(short_name="ECL")
    people = {u.username: u for u in User.objects.all()}
    database = CiTypeFactory(code="database", name="数据库 Database")
    software = CiTypeFactory(code="software", name="软件 Software")
    db = ConfigurationItemFactory(name="erp-db-01", ci_type=database)
    app = ConfigurationItemFactory(name="erp-app-01", ci_type=software)
    CiRelationFactory(source=app, kind=RelationKind.DEPENDS_ON, target=db)
    erp = ServiceFactory(code="erp", name="ERP 企业资源计划", customers=[ecl])
    ServiceComponentFactory(service=erp, configuration_item=app)

    agreement = Agreement.objects.create(reference="SLA-2026-000900", kind="sla", title="ERP")
    agreement.customers.add(ecl)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    version = AgreementVersion.objects.create(
        agreement=agreement,
        number=1,
        status="agreed",
        valid_from=yesterday,
        agreed_on=yesterday,
        created_at=timezone.now(),
        updated_at=timezone.now(),
    )
    version.services.add(erp)

    for level in RiskLevel.values:
        CabRuleFactory(risk_level=level, quorum=2, approvers=[people["admin"], people["owner"]])

    day = timezone.localdate() + datetime.timedelta(days=7)  # in next week's calendar

    def at(hour, minute=0):
        return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=SHANGHAI)

    booked = ChangeRequestFactory(
        title="数据库补丁 Database patches",
        requester=people["agent"],
        status=ChangeStatus.SCHEDULED,
        planned_start=at(22),
        planned_end=at(23, 30),
        items=[db],
        customers=[ecl],
    )
    BlackoutPeriodFactory(
        organisation=ecl, start=at(20), end=at(23, 59), reason="月结冻结 Month-end freeze"
    )
    return {"db": db, "erp": erp, "ecl": ecl, "booked": booked, "day": day, "at": at}


@pytest.mark.browser
def test_a_change_manager_takes_a_database_change_from_request_to_failure(change_world, page):
    from serviceloop.core.models import AuditEvent
    from serviceloop.desk.models import Ticket
    from serviceloop.transition.models import CabVote, ChangeIncident, ChangeRequest

    db, ecl, booked = change_world["db"], change_world["ecl"], change_world["booked"]

    # --- The change manager raises a normal change on the database.
    sign_in(page, "lead")
    open_nav(page, "change_list")
    page.get_by_test_id("new-change").click()
    items = page.locator("#id_configuration_items")
    expect(items.locator("option", has_text="erp-db-01")).to_contain_text("数据库 Database")
    page.locator("#id_title").fill(TITLE)
    page.locator("#id_description").fill("PostgreSQL 14 → 16.")
    page.locator("#id_reason").fill("Version 14 loses support.")
    items.select_option(label=f"{db.reference} erp-db-01 (数据库 Database)")
    page.locator("#id_implementation_plan").fill("Stop the app, pg_upgrade, start the app.")
    page.locator("#id_backout_plan").fill("Restore last night's backup.")
    page.locator("#id_test_plan").fill("Run the ERP smoke tests.")
    page.get_by_test_id("save").click()

    change = ChangeRequest.objects.get(title=TITLE)
    ref = change.reference
    expect(page).to_have_url(re.compile(rf"/changes/{ref}/$"))
    expect(flash(page)).to_contain_text(ref)
    expect(status(page)).to_have_text(tr("Draft"))
    assert change.change_type == "normal" and list(change.configuration_items.all()) == [db]

    # --- Its impact, from the CMDB: the application on the database, the service built on
    # it, the customer entitled to the service.
    impact = page.get_by_test_id("impact")
    expect(impact).to_contain_text("erp-app-01")
    expect(impact.get_by_test_id("impact-services")).to_contain_text("ERP 企业资源计划")
    expect(impact.get_by_test_id("impact-customers")).to_contain_text(ecl.name)
    expect(impact).to_contain_text(tr("preview: recorded on submission"))

    # Submitting records the impact; the assessment gives the risk; then to the CAB.
    move(page, "submitted")
    expect(status(page)).to_have_text(tr("Submitted"))
    expect(impact).not_to_contain_text(tr("preview: recorded on submission"))
    change.refresh_from_db()
    assert [c["name"] for c in change.impact_snapshot["customers"]] == [ecl.name]
    assert list(change.affected_customers.all()) == [ecl]

    assess = page.locator("button[data-move=assessed]")
    assess.locator("xpath=ancestor::details[1]/summary").click()
    assessment = assess.locator("xpath=ancestor::form[1]")
    assessment.locator("select[name=likelihood]").select_option("2")
    assessment.locator("select[name=impact]").select_option("2")
    assess.click()
    expect(status(page)).to_have_text(tr("Assessed"))
    expect(page.get_by_test_id("cab-needed")).to_be_visible()  # why no manager approval

    move(page, "awaiting_cab")
    expect(status(page)).to_have_text(tr("Awaiting CAB"))
    cab = page.get_by_test_id("cab")
    expect(cab).to_contain_text("王磊 Wang Lei")
    expect(cab).to_contain_text("李娜 Li Na")
    expect(cab.get_by_test_id("vote-link")).to_have_count(0)  # the manager has no seat
    sign_out(page)

    # --- The CAB: admin and owner each find the change waiting for their vote and approve.
    for member, comment in (("admin", "回退方案可行 Backout is sound."), ("owner", "同意 OK")):
        sign_in(page, member)
        open_nav(page, "change_list")
        page.get_by_test_id("cab-queue").click()
        page.get_by_test_id("my-votes").locator("tr", has_text=ref).get_by_role("link").click()
        expect(page.get_by_test_id("impact-customers")).to_contain_text(ecl.name)
        approve = page.locator("input[name=decision][value=approve]")
        expect(approve).to_have_class(re.compile(r"\bform-check-input\b"))
        approve.check()
        page.locator("#id_comment").fill(comment)
        page.get_by_test_id("vote").click()
        expect(flash(page)).to_have_text(tr("Your vote is recorded."))
        expect(page.get_by_test_id("cab")).to_contain_text(comment)
        sign_out(page)

    change.refresh_from_db()
    assert change.status == "approved" and change.approved_at is not None
    votes = CabVote.objects.filter(change=change, round=1)
    assert sorted(votes.values_list("voter__username", "decision")) == [
        ("admin", "approve"),
        ("owner", "approve"),
    ]

    sign_in(page, "lead")
    open_nav(page, "change_list")
    page.get_by_test_id("changes").get_by_role("link", name=ref).click()
    expect(status(page)).to_have_text(tr("Approved"))
    expect(page.get_by_test_id("cab").get_by_test_id("tally")).to_contain_text("2")
    expect(page.get_by_test_id("change-history")).to_contain_text("回退方案可行")

    # --- Scheduling into next week's window: the booked change and the freeze conflict.
    start, end = change_world["at"](21), change_world["at"](23)
    page.locator("a[data-move=scheduled]").click()
    page.locator("#id_planned_start").fill(local_input(start))
    page.locator("#id_planned_end").fill(local_input(end))
    page.get_by_test_id("save").click()
    conflicts = page.get_by_test_id("conflicts")
    expect(conflicts.locator("li")).to_have_count(2)
    expect(conflicts.locator(f"[data-conflict-change='{booked.reference}']")).to_have_text(
        booked.title
    )
    expect(conflicts).to_contain_text("月结冻结 Month-end freeze")
    reason_errors = page.locator("#id_override_reason ~ .invalid-feedback")
    # what to do about them, once: the conflicts themselves are listed above the form
    expect(reason_errors).to_have_text(
        [tr("This window conflicts with other work; give a reason to schedule it anyway.")]
    )
    assert ChangeRequest.objects.get(pk=change.pk).status == "approved"

    page.locator("#id_override_reason").fill(OVERRIDE)
    page.get_by_test_id("save").click()
    expect(flash(page)).to_have_text(tr("Change scheduled."))
    expect(status(page)).to_have_text(tr("Scheduled"))
    expect(page.get_by_test_id("conflicts").locator("li")).to_have_count(2)
    expect(page.get_by_test_id("override")).to_contain_text(OVERRIDE)
    expect(page.get_by_test_id("window")).to_have_text(
        f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M}"
    )

    # --- The change calendar, next week: the change is flagged, its conflicts listed.
    open_nav(page, "change_calendar")
    page.get_by_test_id("view-week").click()
    expect(page.get_by_test_id("calendar")).to_have_attribute("data-view", "week")
    page.get_by_test_id("next").click()
    day = page.locator(f"td[data-day='{change_world['day']:%Y-%m-%d}']")
    expect(day.locator(f"a[data-change='{ref}']")).to_have_attribute("data-conflict", "1")
    expect(day.locator(f"a[data-change='{booked.reference}']")).to_be_visible()
    expect(day.locator("[data-blackout]")).to_contain_text("ECL")
    listed = page.get_by_test_id("calendar-conflicts").locator(
        "div", has=page.locator(f"a[data-change='{ref}']")
    )
    expect(listed).to_contain_text(booked.reference)
    expect(listed).to_contain_text("月结冻结 Month-end freeze")

    # --- Implementation starts, and fails.
    day.locator(f"a[data-change='{ref}']").click()
    move(page, "implementing")
    expect(status(page)).to_have_text(tr("Implementing"))
    move(page, "failed", note=FAILURE)
    expect(status(page)).to_have_text(tr("Failed"))
    expect(page.locator(".alert-danger")).to_contain_text(FAILURE)
    sign_out(page)

    # --- ECL's user reports the ERP down in the portal.
    sign_in(page, "ecl.user")
    open_nav(page, "portal_home")
    page.get_by_role("link", name=tr("Raise a ticket")).click()
    page.get_by_text(tr("Report a problem"), exact=True).click()
    page.locator("#id_title").fill(INCIDENT)
    page.locator("#id_service").fill("ERP 企业资源计划")
    page.get_by_test_id("save").click()
    incident = Ticket.objects.get(title=INCIDENT)
    expect(page).to_have_url(re.compile(rf"/desk/tickets/{incident.reference}/$"))
    sign_out(page)

    # --- The change manager finds it offered on the failed change's page and links it.
    sign_in(page, "lead")
    open_nav(page, "change_list")
    page.get_by_test_id("changes").get_by_role("link", name=ref).click()
    suspected = page.get_by_test_id("suspected-incidents")
    expect(suspected).to_contain_text(INCIDENT)
    suspected.locator(f"button[data-link-incident='{incident.reference}']").click()
    expect(flash(page)).to_contain_text(incident.reference)
    caused = page.get_by_test_id("caused-incidents")
    expect(caused).to_contain_text(incident.reference)
    expect(caused).to_contain_text("ECL")
    expect(page.get_by_test_id("suspected-incidents")).to_have_count(0)
    assert ChangeIncident.objects.filter(change=change, incident=incident).exists()

    # The incident's page names the failed change as its cause.
    caused.get_by_role("link", name=incident.reference).click()
    panel = page.get_by_test_id("transition-panel")
    expect(panel.get_by_role("link", name=ref)).to_be_visible()
    expect(panel).to_contain_text(tr("Failed"))
    panel.get_by_role("link", name=ref).click()
    expect(page).to_have_url(re.compile(rf"/changes/{ref}/$"))

    # --- Every step left its audit row on the change, by the person who took it.
    rows = AuditEvent.objects.filter(object_type="transition.changerequest", object_id=change.pk)
    assert list(rows.order_by("id").values_list("verb", "actor__username")) == [
        ("change.created", "lead"),
        ("change.submitted", "lead"),
        ("change.assessed", "lead"),
        ("change.awaiting_cab", "lead"),
        ("change.cab_vote", "admin"),
        ("change.cab_vote", "owner"),
        ("change.approved", "owner"),
        ("change.scheduled", "lead"),
        ("change.implementing", "lead"),
        ("change.failed", "lead"),
        ("change.incidents_linked", "lead"),
    ]
    scheduled = rows.get(verb="change.scheduled")
    assert scheduled.payload["override_reason"] == OVERRIDE
    assert {c["kind"] for c in scheduled.payload["conflicts"]} == {"change", "blackout"}
    assert rows.get(verb="change.incidents_linked").payload == {"incidents": [incident.reference]}
