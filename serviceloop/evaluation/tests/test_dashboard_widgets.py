"""Dashboards: each role's default widgets, and every figure scoped to what the viewer may
see (a customer manager sees his own organisation's figures only)."""

import datetime
import json

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import timezone

from serviceloop.desk.tests.factories import TicketFactory
from serviceloop.evaluation.engine import period_bounds
from serviceloop.evaluation.library import kpi_library_load
from serviceloop.evaluation.models import KpiDefinition
from serviceloop.evaluation.queries_dashboards import dashboard_for, default_widgets
from serviceloop.evaluation.widgets_dashboards import widget_for
from serviceloop.portfolio.tests.factories import ServiceFactory


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def month_start():
    return period_bounds("month", timezone.localdate())[0]


def responded(organisation, *, met: bool, status="new", minute=5, **extra):
    """A ticket of this month whose first response was met (or breached)."""
    created = month_start() + datetime.timedelta(minutes=minute)
    return TicketFactory(
        organisation=organisation,
        status=status,
        created_at=created,
        first_response_at=created + datetime.timedelta(minutes=10 if met else 50),
        response_due_at=created + datetime.timedelta(minutes=30),
        response_met_at=created + datetime.timedelta(minutes=10 if met else 50),
        response_breached=not met,
        resolution_due_at=timezone.now() + datetime.timedelta(days=2),
        **extra,
    )


@pytest.fixture
def world(people, english):
    """Customer A: three answered tickets (two in time, one late), two still open; customer
    B: four answered in time, all open. A service for each customer."""
    kpi_library_load()
    a, b = people.customer_a, people.customer_b
    tickets = {
        "a": [
            responded(a, met=True, title="A printer"),
            responded(a, met=True, status="resolved", title="A mail"),
            responded(a, met=False, title="A network"),
        ],
        "b": [responded(b, met=True, title=f"B issue {n}", minute=6 + n) for n in range(4)],
    }
    services = {
        "a": ServiceFactory(name="Payroll for A", customers=[a]),
        "b": ServiceFactory(name="Warehouse for B", customers=[b]),
    }
    return {"tickets": tickets, "services": services}


def codes(user):
    widgets, _layout = dashboard_for(user)
    return [w.code for w in widgets]


def widget(user, code):
    widgets, _layout = dashboard_for(user)
    return next(w for w in widgets if w.code == code)


# --- Defaults per role -----------------------------------------------------------------------


EXPECTED = {
    "agent": ["my_tickets", "sla_at_risk", "unassigned", "kpi.response-within-sla",
              "acknowledgements_due"],
    "lead": ["team_queue", "sla_at_risk", "breaches_today", "unassigned",
             "kpi.response-within-sla", "kpi.resolution-within-sla", "changes_week"],
    "owner": ["clause_readiness", "open_nonconformities", "my_overdue_actions", "open_risks",
              "kpi.response-within-sla",
              "kpi.resolution-within-sla", "kpi.policy-acknowledgement-rate",
              "acknowledgements_due"],
    "top": ["kpi.response-within-sla", "kpi.resolution-within-sla", "kpi.csat-average",
            "kpi.change-success-rate", "services_availability", "open_risks",
            "clause_readiness", "open_nonconformities"],
    "admin": ["sla_at_risk", "unassigned", "breaches_today", "changes_week",
              "kpi.response-within-sla", "clause_readiness"],
    "auditor": ["clause_readiness", "open_findings", "my_overdue_actions", "open_risks",
                "kpi.response-within-sla", "acknowledgements_due"],
    "a_manager": ["customer_response_sla", "customer_resolution_sla", "customer_availability",
                  "customer_open_tickets", "customer_planned_changes"],
    "a_user": ["customer_open_tickets", "customer_planned_changes"],
}  # fmt: skip


@pytest.mark.parametrize("who", list(EXPECTED))
def test_each_role_gets_its_default_widgets_with_data(world, people, who):
    user = getattr(people, who)
    widgets, layout = dashboard_for(user)
    assert not layout.customised
    assert [w.code for w in widgets] == EXPECTED[who]
    for w in widgets:
        assert not w.error, w.code
        assert w.title
        assert w.data is not None
        if w.kind == "kpi":
            assert w.data["status"] in ("ok", "warning", "breach", "no_data")
        else:
            assert w.data["count"] >= len(w.data["rows"])


def test_service_owner_gets_his_services_first(world, people):
    ServiceFactory(name="Mail", owner=people.lead)
    ServiceFactory(name="Old thing", owner=people.auditor, status="retired")
    # the service owner's widgets come first, without repeating the role's own
    assert codes(people.lead) == ["my_services", *EXPECTED["lead"]]
    ServiceFactory(name="Files", owner=people.agent)
    assert codes(people.agent) == [
        "my_services",
        "changes_week",
        "kpi.resolution-within-sla",
        *EXPECTED["agent"],
    ]
    assert codes(people.auditor) == EXPECTED["auditor"]  # a retired service makes no owner
    mine = widget(people.lead, "my_services").data
    assert mine["count"] == 1
    assert [r["title"] for r in mine["rows"]] == ["Mail"]


def test_a_module_switched_off_hides_its_widgets(world, people):
    from serviceloop.planning.models import TailoringSetting
    from serviceloop.planning.queries_tailoring import forget_disabled_modules

    TailoringSetting.objects.create(pk=1, disabled_modules=["changes", "desk"])
    forget_disabled_modules()
    assert codes(people.lead) == ["kpi.response-within-sla", "kpi.resolution-within-sla"]
    with pytest.raises(ValidationError):
        widget_for(people.lead, "changes_week")


def test_missing_kpi_definition_is_left_out_of_defaults(world, people):
    KpiDefinition.objects.filter(code="csat-average").update(is_active=False)
    assert "kpi.csat-average" not in default_widgets(people.top)


# --- Staff figures ---------------------------------------------------------------------------------


def test_staff_kpi_counts_every_customer(world, people):
    data = widget(people.top, "kpi.response-within-sla").data
    assert (data["numerator"], data["denominator"]) == (6, 7)
    assert data["value"] == pytest.approx(600 / 7, rel=1e-4)
    assert data["target"] == 95
    assert data["status"] == "breach"  # 85.7 % is under the 90 % warning line
    assert data["url"] == "/kpis/response-within-sla/"


def test_staff_queues_follow_assignment(world, people):
    mine = world["tickets"]["a"][0]
    mine.assignee = people.agent
    mine.save()
    data = widget(people.agent, "my_tickets").data
    assert data["count"] == 1
    assert data["rows"][0]["reference"] == mine.reference
    assert data["rows"][0]["due"] is not None
    unassigned = widget(people.agent, "unassigned").data
    assert unassigned["count"] == 5  # 7 tickets, one resolved, one assigned


def test_breaches_today_lists_only_todays_misses(world, people):
    now = timezone.now()
    late = TicketFactory(
        organisation=people.customer_a,
        title="Late today",
        created_at=now - datetime.timedelta(minutes=30),
        response_due_at=now - datetime.timedelta(minutes=1),
        response_breached=True,
    )
    TicketFactory(
        organisation=people.customer_a,
        title="Late last week",
        created_at=now - datetime.timedelta(days=8),
        response_due_at=now - datetime.timedelta(days=7),
        response_breached=True,
    )
    data = widget(people.lead, "breaches_today").data
    references = [r["reference"] for r in data["rows"]]
    assert late.reference in references
    assert all("Late last week" not in r["title"] for r in data["rows"])


def test_confidential_tickets_stay_out_of_lists(world, people):
    TicketFactory(organisation=people.customer_a, title="Secret breach", confidential=True)
    data = widget(people.agent, "unassigned").data
    assert all(r["title"] != "Secret breach" for r in data["rows"])
    assert data["count"] == 6


def test_my_overdue_actions_gathers_what_i_own_and_am_late_on(world, people):
    from serviceloop.improvement.models import Action
    from serviceloop.planning.tests.factories import PlanItemFactory

    today = timezone.localdate()
    late = PlanItemFactory(owner=people.owner, title="Write the policy",
                           start_on=today - datetime.timedelta(days=30),
                           due_on=today - datetime.timedelta(days=3))  # fmt: skip
    PlanItemFactory(owner=people.owner, start_on=today, due_on=today + datetime.timedelta(days=9))
    PlanItemFactory(owner=people.lead, start_on=today - datetime.timedelta(days=30),
                    due_on=today - datetime.timedelta(days=9))  # fmt: skip
    now = timezone.now()
    Action.objects.create(
        reference="ACT-2026-000001", kind="preventive", title="Fix the rota",
        owner=people.owner, due_on=today - datetime.timedelta(days=5), status="planned",
        created_at=now, updated_at=now,
    )  # fmt: skip
    data = widget(people.owner, "my_overdue_actions").data
    assert data["count"] == 2
    assert [r["title"] for r in data["rows"]] == ["Fix the rota", late.title]  # oldest first
    assert data["rows"][0]["url"] == "/improvement/actions/ACT-2026-000001/"
    assert all(r["tone"] == "danger" for r in data["rows"])


def test_open_nonconformities_put_major_and_overdue_first(world, people):
    from serviceloop.improvement.models import Nonconformity

    today, now = timezone.localdate(), timezone.now()
    for reference, severity, due, status in (
        ("NC-2026-000001", "minor", today + datetime.timedelta(days=5), "open"),
        ("NC-2026-000002", "major", today - datetime.timedelta(days=1), "analysed"),
        ("NC-2026-000003", "major", None, "closed"),
    ):
        Nonconformity.objects.create(
            reference=reference, title=f"Finding {reference}", source="internal_audit",
            severity=severity, due_on=due, status=status, raised_on=today,
            created_at=now, updated_at=now,
        )  # fmt: skip
    data = widget(people.owner, "open_nonconformities").data
    assert data["count"] == 2
    assert [r["reference"] for r in data["rows"]] == ["NC-2026-000002", "NC-2026-000001"]
    assert [r["tone"] for r in data["rows"]] == ["danger", ""]


# --- A customer manager sees his own organisation only ---------------------------------------------


def test_customer_manager_kpis_count_his_organisation_only(world, people):
    a = widget(people.a_manager, "customer_response_sla").data
    b = widget(people.b_manager, "customer_response_sla").data
    assert (a["numerator"], a["denominator"]) == (2, 3)
    assert a["value"] == pytest.approx(200 / 3, rel=1e-4)
    assert a["status"] == "breach"
    assert (b["numerator"], b["denominator"]) == (4, 4)
    assert b["value"] == 100
    assert b["status"] == "ok"
    assert a["url"] == "" and b["url"] == ""  # KPI pages are staff only


def test_customer_manager_lists_hold_his_organisation_only(world, people):
    a_refs = {t.reference for t in world["tickets"]["a"]}
    b_refs = {t.reference for t in world["tickets"]["b"]}
    open_a = widget(people.a_manager, "customer_open_tickets").data
    open_b = widget(people.b_manager, "customer_open_tickets").data
    assert open_a["count"] == 2
    assert {r["reference"] for r in open_a["rows"]} <= a_refs
    assert open_b["count"] == 4
    assert {r["reference"] for r in open_b["rows"]} <= b_refs
    availability = widget(people.a_manager, "customer_availability").data
    assert [r["title"] for r in availability["rows"]] == ["Payroll for A"]
    # nothing of customer B anywhere in A's dashboard
    widgets, _layout = dashboard_for(people.a_manager)
    text = json.dumps([w.as_dict() for w in widgets], ensure_ascii=False)
    assert "Warehouse for B" not in text
    assert not any(ref in text for ref in b_refs)
    assert "kpi." not in text


def test_customer_user_sees_his_own_tickets_only(world, people):
    own = TicketFactory(organisation=people.customer_a, requester=people.a_user, title="Mine")
    data = widget(people.a_user, "customer_open_tickets").data
    assert data["count"] == 1
    assert data["rows"][0]["reference"] == own.reference


def test_customers_cannot_have_staff_widgets_and_staff_not_customer_ones(world, people):
    for code in ("kpi.response-within-sla", "my_tickets", "open_risks", "clause_readiness"):
        with pytest.raises(ValidationError, match="not available"):
            widget_for(people.a_manager, code)
    with pytest.raises(ValidationError, match="not available"):
        widget_for(people.a_user, "customer_response_sla")  # organisation figures: managers
    with pytest.raises(ValidationError, match="not available"):
        widget_for(people.agent, "customer_open_tickets")
    with pytest.raises(ValidationError, match="Unknown widget"):
        widget_for(people.agent, "kpi.no-such-kpi")
