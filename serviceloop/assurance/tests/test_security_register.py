"""The information security risk register and the controls list (with the starter list)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from serviceloop.assurance.controls_starter import STARTER_CONTROLS
from serviceloop.assurance.models import (
    ControlStatus,
    RiskLevel,
    SecurityControl,
    SecurityRisk,
    risk_level_for,
)
from serviceloop.assurance.queries import risk_heatmap
from serviceloop.assurance.services_security_register import (
    control_create,
    control_update,
    controls_seed,
    risk_create,
    risk_transition,
    risk_update,
)
from serviceloop.assurance.tests.factories import SecurityControlFactory, SecurityRiskFactory
from serviceloop.core.models import AuditEvent
from serviceloop.portfolio.tests.factories import ConfigurationItemFactory

TODAY = timezone.localdate()


def risk_fields(people, **overrides):
    return {
        "title": "Admin account takeover",
        "asset": "Domain admin accounts",
        "threat": "Credential phishing",
        "vulnerability": "No MFA on admin accounts",
        "likelihood": 3,
        "impact": 5,
        "treatment": "mitigate",
        "treatment_plan": "MFA for every admin",
        "owner": people.owner,
        "review_on": TODAY + datetime.timedelta(days=90),
        **overrides,
    }


# --- Risks ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "level"),
    [(1, "low"), (4, "low"), (5, "medium"), (9, "medium"), (10, "high"), (12, "high"),
     (15, "critical"), (25, "critical")],
)  # fmt: skip
def test_the_level_follows_the_score(score, level):
    assert risk_level_for(score) == level


def test_a_risk_gets_its_score_and_level_and_a_reference(people):
    control = SecurityControlFactory(code="SL-04")
    risk = risk_create(actor=people.owner, controls=[control], **risk_fields(people))

    assert risk.reference.startswith("ISR-")
    assert (risk.score, risk.level) == (15, RiskLevel.CRITICAL)
    assert list(risk.controls.all()) == [control]
    payload = AuditEvent.objects.get(verb="security_risk.created").payload
    assert payload["score"] == 15 and payload["controls"] == [control.pk]


def test_changing_likelihood_or_impact_recomputes_the_level(people):
    risk = risk_create(actor=people.owner, **risk_fields(people))

    risk = risk_update(actor=people.owner, risk=risk, likelihood=1, impact=2)

    assert (risk.score, risk.level, risk.version) == (2, RiskLevel.LOW, 2)
    changes = AuditEvent.objects.get(verb="security_risk.updated").payload
    assert changes["score"] == [15, 2] and changes["level"] == ["critical", "low"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"likelihood": 6}, "likelihood"),
        ({"impact": 0}, "impact"),
        ({"treatment": "ignore"}, "treatment"),
        ({"threat": ""}, "threat"),
        ({"treatment": "accept", "treatment_plan": ""}, "treatment_plan"),
        ({"asset": "", "configuration_item": None}, "asset"),
        ({"owner": None}, "owner"),
    ],
)
def test_bad_risks_are_refused(change, field, people):
    with pytest.raises(ValidationError) as refused:
        risk_create(actor=people.owner, **risk_fields(people, **change))

    assert field in refused.value.message_dict
    assert not SecurityRisk.objects.exists()


def test_a_configuration_item_may_name_the_asset(people):
    item = ConfigurationItemFactory(name="db-srv-01")

    risk = risk_create(actor=people.owner, **risk_fields(people, asset="", configuration_item=item))

    assert risk.configuration_item == item


def test_managers_create_and_owners_edit(people):
    with pytest.raises(PermissionDenied):
        risk_create(actor=people.agent, **risk_fields(people))
    risk = SecurityRiskFactory(owner=people.agent)

    risk = risk_update(actor=people.agent, risk=risk, impact=1)  # his own risk
    with pytest.raises(PermissionDenied):
        risk_update(actor=people.lead, risk=risk, impact=2)
    with pytest.raises(PermissionDenied):
        risk_transition(actor=people.auditor, risk=risk, target="treating")

    assert risk.impact == 1


def test_risk_moves(people):
    risk = SecurityRiskFactory()

    risk = risk_transition(actor=people.admin, risk=risk, target="treating")
    with pytest.raises(ValidationError):
        risk_transition(actor=people.admin, risk=risk, target="closed")
    risk = risk_transition(actor=people.admin, risk=risk, target="closed", note="Treated")
    with pytest.raises(ValidationError):
        risk_transition(actor=people.admin, risk=risk, target="monitored")

    assert risk.status == "closed" and risk.status_note == "Treated"


def test_the_heat_map_counts_open_risks_by_impact_and_likelihood(people):
    SecurityRiskFactory(likelihood=1, impact=5)
    SecurityRiskFactory(likelihood=1, impact=5)
    SecurityRiskFactory(likelihood=4, impact=2)
    SecurityRiskFactory(likelihood=3, impact=3, status="closed")

    grid = risk_heatmap(people.agent)

    assert grid[0][0] == 2 and grid[3][3] == 1 and sum(map(sum, grid)) == 3
    assert sum(map(sum, risk_heatmap(people.a_user))) == 0


# --- Controls ------------------------------------------------------------------------------------


def test_the_starter_list_is_our_own_and_seeds_once(people):
    assert 10 <= len(STARTER_CONTROLS) <= 15
    assert len({code for code, _t, _d in STARTER_CONTROLS}) == len(STARTER_CONTROLS)
    for _code, _title, description in STARTER_CONTROLS:
        assert "ISO" not in description and "27001" not in description

    first = controls_seed(actor=people.owner)
    second = controls_seed(actor=None)

    assert (first, second) == (len(STARTER_CONTROLS), 0)
    assert SecurityControl.objects.filter(status=ControlStatus.NOT_STARTED).count() == first
    assert AuditEvent.objects.filter(verb="security_control.seeded").count() == 1
    with pytest.raises(PermissionDenied):
        controls_seed(actor=people.agent)


def test_not_applicable_needs_a_justification(people):
    control = SecurityControlFactory(owner=people.agent)

    with pytest.raises(ValidationError) as refused:
        control_update(actor=people.agent, control=control, status=ControlStatus.NOT_APPLICABLE)
    control = control_update(
        actor=people.agent,
        control=control,
        status=ControlStatus.NOT_APPLICABLE,
        justification="We keep no paper records.",
    )

    assert "justification" in refused.value.message_dict
    assert control.status == ControlStatus.NOT_APPLICABLE


def test_evidence_links_must_be_web_addresses(people):
    control = SecurityControlFactory()

    with pytest.raises(ValidationError):
        control_update(actor=people.owner, control=control, evidence_links=["javascript:alert(1)"])
    control = control_update(
        actor=people.owner,
        control=control,
        evidence_links="https://wiki.example.org/mfa\n\nhttps://wiki.example.org/mfa-report",
    )

    assert control.evidence_links == [
        "https://wiki.example.org/mfa",
        "https://wiki.example.org/mfa-report",
    ]


def test_a_control_code_is_unique(people):
    control_create(actor=people.owner, code="x-1", title="One")

    with pytest.raises(ValidationError) as refused:
        control_create(actor=people.owner, code="X-1", title="Two")

    assert "code" in refused.value.message_dict


# --- Screens and API -----------------------------------------------------------------------------


def test_the_screens(people, client_for):
    risk = SecurityRiskFactory()
    control = SecurityControlFactory()
    pages = [
        reverse("security_risk_list"),
        reverse("security_risk_detail", args=[risk.reference]),
        reverse("security_control_list"),
        reverse("security_control_detail", args=[control.code]),
        reverse("security_incident_list"),
    ]
    for url in pages:
        assert client_for(people.top).get(url).status_code == 200, url
        assert client_for(people.b_manager).get(url).status_code == 404, url
    assert client_for(people.top).get(reverse("security_risk_new")).status_code == 403
    assert (
        client_for(people.top).get(reverse("security_risk_edit", args=[risk.reference])).status_code
        == 403
    )
    assert client_for(people.agent).post(reverse("security_controls_seed")).status_code == 403


def test_creating_a_risk_through_the_form(people, client_for):
    item = ConfigurationItemFactory(name="vpn-gw", reference="CI-2026-000777")
    control = SecurityControlFactory(code="SL-05")

    response = client_for(people.owner).post(
        reverse("security_risk_new"),
        {
            "title": "Unpatched VPN gateway",
            "configuration_item": item.reference,
            "asset": "",
            "threat": "Exploit",
            "vulnerability": "60-day patch window",
            "likelihood": "4",
            "impact": "4",
            "treatment": "mitigate",
            "treatment_plan": "Patch within 14 days",
            "controls": [control.pk],
            "owner": people.admin.pk,
            "review_on": "2027-01-15",
        },
    )

    risk = SecurityRisk.objects.get()
    assert response.status_code == 302
    assert (risk.configuration_item, risk.score, risk.level) == (item, 16, "critical")
    page = client_for(people.agent).get(reverse("security_risk_detail", args=[risk.reference]))
    assert "SL-05" in page.content.decode()


def test_the_lists_filter_and_export(people, client_for):
    SecurityRiskFactory(title="Low one", likelihood=1, impact=1, level="low", score=1)
    SecurityRiskFactory(title="High one", likelihood=3, impact=4, level="high", score=12)
    controls_seed(actor=None)
    client = client_for(people.agent)

    high = client.get(reverse("security_risk_list"), {"level": "high"})
    csv = client.get(reverse("security_risk_list"), {"export": "csv"})
    controls = client.get(reverse("security_control_list"), {"export": "xlsx"})

    assert [r.title for r in high.context["page"]] == ["High one"]
    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert "Low one" in text and "High one" in text
    assert controls.status_code == 200


def test_the_api(people, api_client_for):
    SecurityControlFactory(code="SL-04")
    client = api_client_for(people.owner)

    created = client.post(
        "/api/v1/security-risks/",
        {**{k: v for k, v in risk_fields(people).items() if k not in ("owner", "review_on")},
         "owner": "owner", "review_on": "2027-01-01", "controls": ["SL-04"]},
        format="json",
    )  # fmt: skip
    reference = created.json()["reference"]
    patched = client.patch(f"/api/v1/security-risks/{reference}/", {"likelihood": 1}, format="json")
    control = client.patch(
        "/api/v1/security-controls/SL-04/",
        {"status": "not_applicable", "justification": "No admins"},
        format="json",
    )
    refused = api_client_for(people.agent).post(
        "/api/v1/security-risks/", {"title": "x"}, format="json"
    )
    hidden = api_client_for(people.a_user).get("/api/v1/security-risks/")

    assert created.status_code == 201, created.content
    assert created.json()["level"] == "critical" and created.json()["controls"] == ["SL-04"]
    assert patched.json()["score"] == 5 and patched.json()["level"] == "medium"
    assert control.status_code == 200 and control.json()["status"] == "not_applicable"
    assert refused.status_code == 403 and hidden.status_code == 404
