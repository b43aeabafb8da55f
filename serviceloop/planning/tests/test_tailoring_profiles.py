"""Tailoring: applying a profile sets the modules, KPIs and widgets; a module switched off
hides its navigation entries (through the generic core.navigation filter hook); who may
change it; the screen, its export and the API."""

import re

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from serviceloop.core import navigation
from serviceloop.core.models import AuditEvent
from serviceloop.core.navigation import NavEntry, entries_for, register_filter
from serviceloop.planning.models import PROFILES, Module, Profile, TailoringSetting
from serviceloop.planning.queries_tailoring import CACHE_KEY, disabled_modules, module_of
from serviceloop.planning.services_tailoring import module_switch, profile_apply, tailoring_choose

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def _fresh_switches():
    """The switches are cached across requests: no test may leave its own behind."""
    cache.delete(CACHE_KEY)
    yield
    cache.delete(CACHE_KEY)


def nav_names(user) -> set[str]:
    return {entry.url_name for entry in entries_for(user)}


def page_nav(client) -> list[str]:
    return re.findall(r'data-nav="([^"]+)"', client.get(reverse("home")).content.decode())


# --- Profiles ------------------------------------------------------------------------------


def test_applying_the_consulting_profile_preconfigures_modules_kpis_and_widgets(people):
    setting = profile_apply(actor=people.owner, profile=Profile.CONSULTING)

    setting = TailoringSetting.objects.get()
    assert setting.profile == "consulting" and setting.applied_by == people.owner
    assert setting.disabled_modules == ["releases", "cmdb", "capacity", "availability"]
    assert set(setting.module_reasons) == set(setting.disabled_modules)
    assert "premises" in setting.module_reasons["cmdb"]
    assert setting.kpi_codes[:2] == ["process_conformance_pct", "csat_avg"]
    assert "complaint_rate" in setting.kpi_codes and "availability_pct" not in setting.kpi_codes
    assert setting.dashboard_widgets == list(PROFILES[Profile.CONSULTING].widgets)
    assert not setting.module_enabled("cmdb") and setting.module_enabled("complaints")
    event = AuditEvent.objects.get(verb="tailoring.profile_applied")
    assert event.payload["profile"] == "consulting" and event.actor == people.owner


def test_a_new_profile_replaces_the_old_settings_and_modules_stay_switchable(people):
    profile_apply(actor=people.owner, profile=Profile.CONSULTING)
    module_switch(actor=people.owner, module="complaints", enabled=False, reason="Not needed")

    profile_apply(actor=people.admin, profile=Profile.ONLINE)
    module_switch(actor=people.owner, module="surveys", enabled=True)
    module_switch(actor=people.owner, module="budget", enabled=False, reason="No charging")

    setting = TailoringSetting.objects.get()
    assert setting.profile == "online"
    assert setting.disabled_modules == ["budget"]
    assert setting.module_reasons == {"budget": "No charging"}
    assert "availability_pct" in setting.kpi_codes and "process_conformance_pct" not in (
        setting.kpi_codes
    )


def test_switching_a_module_off_needs_a_reason_and_nothing_is_written_without(people):
    with pytest.raises(ValidationError) as error:
        module_switch(actor=people.owner, module="desk", enabled=False, reason="  ")
    with pytest.raises(ValidationError) as unknown:
        module_switch(actor=people.owner, module="teleport", enabled=False, reason="x")

    assert "scope statement needs it" in error.value.message_dict["reason"][0]
    assert "module" in unknown.value.message_dict
    assert not TailoringSetting.objects.exists()
    assert not AuditEvent.objects.filter(verb__startswith="tailoring").exists()


def test_switching_to_the_current_state_writes_nothing(people):
    module_switch(actor=people.owner, module="desk", enabled=True)

    assert not AuditEvent.objects.filter(verb="tailoring.module_switched").exists()


def test_kpis_and_widgets_are_chosen_from_the_catalogues(people):
    tailoring_choose(
        actor=people.owner,
        kpi_codes=["csat_avg", "availability_pct", "csat_avg"],
        dashboard_widgets=["risk_heatmap"],
    )
    with pytest.raises(ValidationError) as error:
        tailoring_choose(actor=people.owner, kpi_codes=["made_up"])

    setting = TailoringSetting.objects.get()
    assert setting.kpi_codes == ["availability_pct", "csat_avg"]  # catalogue order, once
    assert setting.dashboard_widgets == ["risk_heatmap"]
    assert "kpi_codes" in error.value.message_dict


@pytest.mark.parametrize("who", ["agent", "lead", "auditor", "top", "a_manager"])
def test_only_the_system_owner_and_administrators_tailor(people, who):
    with pytest.raises(PermissionDenied):
        profile_apply(actor=getattr(people, who), profile=Profile.ONLINE)
    with pytest.raises(PermissionDenied):
        module_switch(actor=getattr(people, who), module="desk", enabled=False, reason="x")


# --- Navigation ----------------------------------------------------------------------------


def test_a_switched_off_module_disappears_from_the_navigation_of_staff_and_customers(
    people, client_for
):
    before_staff, before_customer = nav_names(people.agent), nav_names(people.a_user)

    module_switch(actor=people.owner, module="desk", enabled=False, reason="Desk outsourced")
    module_switch(actor=people.owner, module="changes", enabled=False, reason="No changes")
    staff, customer = nav_names(people.agent), nav_names(people.a_user)

    assert {"desk_queue", "change_list", "change_calendar"} <= before_staff
    assert {"portal_home", "planned_changes"} <= before_customer
    assert not {"desk_queue", "change_list", "change_calendar"} & staff
    assert not {"portal_home", "planned_changes"} & customer
    assert before_staff - staff == {"desk_queue", "change_list", "change_calendar"}
    assert {"release_list", "problem_list", "objective_list", "home"} <= staff
    assert "desk_queue" not in page_nav(client_for(people.agent))

    module_switch(actor=people.owner, module="desk", enabled=True)
    assert "desk_queue" in nav_names(people.agent)
    assert "desk_queue" in page_nav(client_for(people.agent))


def test_applying_a_profile_hides_its_switched_off_modules(people, client_for):
    profile_apply(actor=people.admin, profile=Profile.CONSULTING)

    names = set(page_nav(client_for(people.owner)))

    assert not {"ci_list", "release_list"} & names
    assert {"asset_list", "change_list", "complaint_list", "desk_queue"} <= names


def test_entries_map_to_modules_by_their_own_key_the_map_or_their_url_prefix():
    def entry(url_name, module=""):
        return NavEntry("x", url_name, "x", module=module)

    assert module_of(entry("desk_queue")) == "desk"
    assert module_of(entry("portal_knowledge")) == "knowledge"
    assert module_of(entry("capacity_plan_list")) == "capacity"
    assert module_of(entry("outage_list")) == "availability"
    assert module_of(entry("anything", module="security")) == "security"
    assert module_of(entry("home")) == "" and module_of(entry("risk_list")) == ""


def test_the_navigation_filter_hook_drops_entries_for_every_caller(people):
    seen = []

    def no_people(user, entries):
        seen.append(user)
        return [e for e in entries if e.url_name != "person_list"]

    register_filter(no_people)
    try:
        shown = nav_names(people.admin)
    finally:
        navigation.FILTERS.remove(no_people)

    assert "person_list" not in shown and "team_list" in shown
    assert seen == [people.admin]
    assert "person_list" in nav_names(people.admin)


def test_a_page_reads_the_switches_from_the_cache_without_a_query(
    people, client_for, django_assert_max_num_queries
):
    module_switch(actor=people.owner, module="knowledge", enabled=False, reason="None yet")
    client = client_for(people.agent)  # signing in reads the switches afresh
    TailoringSetting.objects.update(disabled_modules=[])  # behind the services' back

    assert disabled_modules() == frozenset({"knowledge"})  # the cached copy
    with django_assert_max_num_queries(5):  # session, user, page, badge; nothing for the nav
        client.get(reverse("tailoring"))
    assert "knowledge_list" not in page_nav(client)
    client_for(people.agent)
    assert disabled_modules() == frozenset()


# --- Screens and API -----------------------------------------------------------------------


def test_the_owner_applies_a_profile_and_switches_a_module_on_the_page(people, client_for):
    client = client_for(people.owner)
    first = client.get(reverse("tailoring"))

    client.post(reverse("tailoring_profile"), {"profile": "online", "version": 1})
    client.post(
        reverse("tailoring_module"),
        {"module": "assets", "reason": "Assets are the customer's", "version": 2},
    )
    refused = client.post(
        reverse("tailoring_module"), {"module": "cmdb", "version": 3}, follow=True
    )
    client.post(
        reverse("tailoring_choices"),
        {"kpi_codes": ["csat_avg"], "dashboard_widgets": ["objectives"], "version": 3},
    )
    page = client.get(reverse("tailoring")).content.decode()

    assert 'data-testid="no-profile"' in first.content.decode()
    setting = TailoringSetting.objects.get()
    assert setting.profile == "online" and setting.disabled_modules == ["assets", "surveys"]
    assert setting.kpi_codes == ["csat_avg"] and setting.dashboard_widgets == ["objectives"]
    assert "the scope statement needs it" in refused.content.decode()
    assert 'data-module="assets" data-enabled="0"' in page
    assert "Assets are the customer&#x27;s" in page


def test_the_modules_table_exports(people, client_for):
    module_switch(actor=people.owner, module="surveys", enabled=False, reason="No surveys")

    response = client_for(people.auditor).get(reverse("tailoring"), {"export": "csv"})

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response.status_code == 200
    assert "surveys,Satisfaction surveys,no,No surveys" in text
    assert "desk,Service desk (incidents and requests),yes," in text


@pytest.mark.parametrize(
    ("who", "read", "write"),
    [
        ("admin", 200, 302),
        ("owner", 200, 302),
        ("agent", 200, 403),
        ("auditor", 200, 403),
        ("top", 200, 403),
        ("a_manager", 404, 404),
        ("outsider", 404, 404),
    ],
)
def test_who_reads_and_changes_the_tailoring_screen(people, client_for, who, read, write):
    client = client_for(getattr(people, who))

    assert client.get(reverse("tailoring")).status_code == read
    assert client.post(reverse("tailoring_profile"), {"profile": "mixed"}).status_code == write


def test_the_api_reads_and_changes_the_tailoring(people, api_client_for):
    client = api_client_for(people.owner)

    empty = client.get("/api/v1/tailoring/")
    applied = client.post(
        "/api/v1/tailoring/apply-profile/", {"profile": "consulting"}, format="json"
    )
    stale = client.post(
        "/api/v1/tailoring/switch-module/",
        {"module": "desk", "enabled": False, "reason": "x"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    switched = client.post(
        "/api/v1/tailoring/switch-module/",
        {"module": "cmdb", "enabled": True},
        format="json",
        HTTP_IF_MATCH=applied["ETag"],
    )
    missing = client.post(
        "/api/v1/tailoring/switch-module/", {"module": "desk", "enabled": False}, format="json"
    )
    chosen = client.post("/api/v1/tailoring/choose/", {"kpi_codes": ["csat_avg"]}, format="json")

    assert empty.status_code == 200 and empty.json()["profile"] == ""
    assert all(m["enabled"] for m in empty.json()["modules"])
    assert applied.status_code == 200 and applied.json()["applied_by"] == "owner"
    assert stale.status_code == 412
    body = switched.json()
    assert {m["code"] for m in body["modules"] if not m["enabled"]} == {
        "releases",
        "capacity",
        "availability",
    }
    assert missing.status_code == 400 and "reason" in missing.json()
    assert chosen.json()["kpi_codes"] == ["csat_avg"]


def test_the_api_refuses_read_only_staff_and_hides_from_customers(people, api_client_for):
    apply = {"profile": "online"}

    agent = api_client_for(people.agent).post(
        "/api/v1/tailoring/apply-profile/", apply, format="json"
    )
    customer = api_client_for(people.a_manager).get("/api/v1/tailoring/")

    assert agent.status_code == 403 and customer.status_code == 404
    assert not TailoringSetting.objects.exists()


def test_every_module_has_a_label_and_every_profile_uses_catalogue_codes():
    from serviceloop.planning.models import KPI_CATALOGUE, WIDGET_CATALOGUE

    for spec in PROFILES.values():
        assert set(spec.switched_off) <= set(Module.values)
        assert set(spec.kpis) <= set(KPI_CATALOGUE)
        assert set(spec.widgets) <= set(WIDGET_CATALOGUE)
