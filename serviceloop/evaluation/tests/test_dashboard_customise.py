"""Customising a dashboard: changes persist, are audited, and bad input changes nothing —
through the services, the screens (plain and htmx) and the API."""

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError

from serviceloop.core.models import AuditEvent
from serviceloop.evaluation import services_dashboards as services
from serviceloop.evaluation.library import kpi_library_load
from serviceloop.evaluation.models import DashboardLayout
from serviceloop.evaluation.queries_dashboards import dashboard_for, layout_for

AGENT_DEFAULT = [
    "my_tickets",
    "sla_at_risk",
    "unassigned",
    "kpi.response-within-sla",
    "acknowledgements_due",
]


@pytest.fixture(autouse=True)
def _setup(db):
    cache.clear()
    kpi_library_load()
    yield
    cache.clear()


def stored(user):
    return DashboardLayout.objects.filter(user=user).first()


def dashboard_events():
    return list(AuditEvent.objects.filter(verb__startswith="dashboard.").order_by("id"))


# --- Services ------------------------------------------------------------------------------------


def test_first_change_stores_the_default_with_the_change_and_audits_it(people, english):
    services.dashboard_widget_add(actor=people.agent, code="open_risks")
    layout = stored(people.agent)
    assert layout.widgets == [*AGENT_DEFAULT, "open_risks"]
    assert layout.version == 1
    [event] = dashboard_events()
    assert event.verb == "dashboard.widget_add"
    assert event.actor == people.agent
    assert event.object_type == "evaluation.dashboardlayout"
    assert event.object_id == str(layout.pk)
    assert event.payload["code"] == "open_risks"
    assert event.payload["widgets"] == [AGENT_DEFAULT, [*AGENT_DEFAULT, "open_risks"]]
    widgets, current = dashboard_for(people.agent)
    assert current.customised
    assert widgets[-1].code == "open_risks"


def test_remove_move_configure_persist_each_with_an_audit_row(people, english):
    agent = people.agent
    services.dashboard_widget_remove(actor=agent, code="unassigned")
    services.dashboard_widget_move(actor=agent, code="acknowledgements_due", direction="up")
    services.dashboard_widget_move(actor=agent, code="my_tickets", direction="up")  # first: stays
    services.dashboard_widget_configure(actor=agent, code="kpi.response-within-sla",
                                        settings={"period": "week"})  # fmt: skip
    services.dashboard_widget_configure(actor=agent, code="my_tickets", settings={"limit": "10"})
    layout = stored(agent)
    assert layout.widgets == [
        "my_tickets",
        "sla_at_risk",
        "acknowledgements_due",
        "kpi.response-within-sla",
    ]
    assert layout.widget_settings == {
        "kpi.response-within-sla": {"period": "week"},
        "my_tickets": {"limit": 10},
    }
    assert [e.verb for e in dashboard_events()] == [
        "dashboard.widget_remove",
        "dashboard.widget_move",
        "dashboard.widget_configure",
        "dashboard.widget_configure",
    ]
    widgets, _layout = dashboard_for(agent)
    kpi = next(w for w in widgets if w.code == "kpi.response-within-sla")
    assert kpi.settings == {"period": "week"}
    assert kpi.data["period"] == "week"


def test_reset_returns_to_the_role_default_and_is_audited(people):
    services.dashboard_widget_remove(actor=people.agent, code="my_tickets")
    assert services.dashboard_reset(actor=people.agent) is True
    assert stored(people.agent) is None
    assert layout_for(people.agent).codes == AGENT_DEFAULT
    assert dashboard_events()[-1].verb == "dashboard.reset"
    assert services.dashboard_reset(actor=people.agent) is False  # already: nothing written
    assert len(dashboard_events()) == 2


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda u: services.dashboard_widget_add(actor=u, code="no_such_widget"),
         "Unknown widget: no_such_widget"),
        (lambda u: services.dashboard_widget_add(actor=u, code="kpi.nothing"),
         "Unknown widget: kpi.nothing"),
        (lambda u: services.dashboard_widget_add(actor=u, code="customer_open_tickets"),
         "not available to you"),
        (lambda u: services.dashboard_widget_add(actor=u, code="my_tickets"),
         "already on your dashboard"),
        (lambda u: services.dashboard_widget_remove(actor=u, code="open_risks"),
         "not on your dashboard"),
        (lambda u: services.dashboard_widget_move(actor=u, code="my_tickets", direction="left"),
         "up or down"),
        (lambda u: services.dashboard_widget_configure(
            actor=u, code="kpi.response-within-sla", settings={"period": "decade"}),
         "period must be one of"),
        (lambda u: services.dashboard_widget_configure(
            actor=u, code="my_tickets", settings={"period": "week"}),
         "has no setting period"),
        (lambda u: services.dashboard_widget_configure(
            actor=u, code="my_tickets", settings={"limit": 1000}),
         "limit must be one of"),
        (lambda u: services.dashboard_layout_save(actor=u, widgets=["my_tickets", "my_tickets"]),
         "listed twice"),
        (lambda u: services.dashboard_layout_save(actor=u, widgets=["my_tickets", "bogus"]),
         "Unknown widget: bogus"),
        (lambda u: services.dashboard_layout_save(
            actor=u, widgets=["my_tickets"], settings={"open_risks": {"limit": 5}}),
         "not on the dashboard"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_and_changes_nothing(people, english, change, message):
    with pytest.raises(ValidationError, match=message):
        change(people.agent)
    assert stored(people.agent) is None
    assert dashboard_events() == []
    assert layout_for(people.agent).codes == AGENT_DEFAULT


def test_save_replaces_the_whole_layout(people):
    services.dashboard_layout_save(
        actor=people.lead,
        widgets=["kpi.mean-time-to-resolve", "team_queue"],
        settings={"team_queue": {"limit": 20}},
    )
    layout = stored(people.lead)
    assert layout.widgets == ["kpi.mean-time-to-resolve", "team_queue"]
    assert layout.widget_settings == {"team_queue": {"limit": 20}}
    assert dashboard_events()[-1].verb == "dashboard.save"


def test_a_widget_no_longer_allowed_is_hidden_but_kept(people):
    services.dashboard_widget_add(actor=people.agent, code="kpi.csat-average")
    from serviceloop.evaluation.models import KpiDefinition

    KpiDefinition.objects.filter(code="csat-average").update(is_active=False)
    widgets, _layout = dashboard_for(people.agent)
    assert "kpi.csat-average" not in [w.code for w in widgets]
    assert "kpi.csat-average" in stored(people.agent).widgets


# --- Screens -------------------------------------------------------------------------------------


def test_customise_screen_lists_widgets_and_what_can_be_added(people, client_for, english):
    response = client_for(people.agent).get("/dashboard/customise/")
    assert response.status_code == 200
    body = response.content.decode()
    for code in AGENT_DEFAULT:
        assert f'data-row="{code}"' in body
    assert 'value="open_risks"' in body  # addable
    assert 'value="kpi.csat-average"' in body
    assert 'value="customer_open_tickets"' not in body
    assert "<script>" not in body  # CSP: no inline script


def test_screen_actions_persist_and_redirect(people, client_for, english):
    client = client_for(people.agent)
    response = client.post("/dashboard/widgets/add/", {"code": "open_risks"})
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/customise/"
    client.post("/dashboard/widgets/my_tickets/move/", {"direction": "down"})
    client.post("/dashboard/widgets/open_risks/settings/", {"limit": "20"})
    client.post("/dashboard/widgets/kpi.response-within-sla/remove/")
    layout = stored(people.agent)
    assert layout.widgets == [
        "sla_at_risk", "my_tickets", "unassigned", "acknowledgements_due", "open_risks",
    ]  # fmt: skip
    assert layout.widget_settings == {"open_risks": {"limit": 20}}
    page = client.get("/dashboard/").content.decode()
    assert page.index('data-widget="sla_at_risk"') < page.index('data-widget="my_tickets"')
    response = client.post("/dashboard/reset/", follow=True)
    assert "back to your role" in response.content.decode()
    assert stored(people.agent) is None


def test_screen_refuses_an_unknown_widget_with_a_message(people, client_for, english):
    client = client_for(people.agent)
    response = client.post("/dashboard/widgets/add/", {"code": "bogus"}, follow=True)
    assert response.status_code == 200
    assert "Unknown widget: bogus" in response.content.decode()
    assert stored(people.agent) is None
    assert dashboard_events() == []


def test_htmx_actions_answer_with_the_layout_partial(people, client_for, english):
    client = client_for(people.agent)
    response = client.post(
        "/dashboard/widgets/add/", {"code": "open_risks"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.startswith('<div id="dashboard-layout"')
    assert 'data-row="open_risks"' in body
    response = client.post(
        "/dashboard/widgets/add/", {"code": "bogus"}, headers={"HX-Request": "true"}
    )
    assert 'data-testid="layout-error"' in response.content.decode()
    assert "Unknown widget: bogus" in response.content.decode()
    assert stored(people.agent).widgets == [*AGENT_DEFAULT, "open_risks"]


def test_actions_need_post_and_sign_in(people, client_for):
    assert client_for(people.agent).get("/dashboard/widgets/add/").status_code == 405
    response = client_for(None).post("/dashboard/widgets/add/", {"code": "open_risks"})
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert not DashboardLayout.objects.exists()


# --- API -----------------------------------------------------------------------------------------


def test_api_layout_replaces_and_refuses_unknown_codes(people, api_client_for, english):
    client = api_client_for(people.lead)
    response = client.put(
        "/api/v1/dashboard/layout/",
        {"widgets": ["team_queue", "kpi.response-within-sla"],
         "settings": {"kpi.response-within-sla": {"period": "quarter"}}},
        format="json",
    )  # fmt: skip
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["customised"] is True
    assert [w["code"] for w in body["widgets"]] == ["team_queue", "kpi.response-within-sla"]
    assert body["widgets"][1]["data"]["period"] == "quarter"
    before = len(dashboard_events())
    response = client.put("/api/v1/dashboard/layout/", {"widgets": ["bogus"]}, format="json")
    assert response.status_code == 400
    assert "Unknown widget: bogus" in str(response.json())
    assert stored(people.lead).widgets == ["team_queue", "kpi.response-within-sla"]
    assert len(dashboard_events()) == before
    response = client.post("/api/v1/dashboard/reset/")
    assert response.json() == {"reset": True}
    assert stored(people.lead) is None


def test_api_catalogue_is_what_the_person_may_have(people, api_client_for):
    entries = api_client_for(people.a_manager).get("/api/v1/dashboard/catalogue/").json()
    by_code = {e["code"]: e for e in entries}
    assert set(by_code) == {
        "customer_response_sla",
        "customer_resolution_sla",
        "customer_open_tickets",
        "customer_availability",
        "customer_planned_changes",
        "acknowledgements_due",
    }
    assert by_code["customer_open_tickets"]["on_dashboard"] is True
    assert by_code["acknowledgements_due"]["on_dashboard"] is False
    staff = api_client_for(people.agent).get("/api/v1/dashboard/catalogue/").json()
    assert "kpi.response-within-sla" in {e["code"] for e in staff}
    assert api_client_for(None).get("/api/v1/dashboard/catalogue/").status_code in (401, 403)
