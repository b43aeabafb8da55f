"""Risks raised from a single point of failure found in the CMDB: added to the register in one
step (pre-filled from the finding, which becomes the risk's source), an open risk linked to a
finding or unlinked; who may (the management-system owner and administrators; auditors read;
customers never see either); the finding's pages (through the slots the register fills), the
risk's page and the API. Assurance itself never imports planning."""

import ast
import datetime
import pathlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import serviceloop.assurance
from serviceloop.assurance.lifecycle import FindingStatus
from serviceloop.assurance.models import SpofFinding
from serviceloop.assurance.services_spof import finding_transition, spof_scan
from serviceloop.core.models import AuditEvent
from serviceloop.planning.models import Risk, RiskMatrixSetting, RiskStatus, Treatment
from serviceloop.planning.services_risk_sources import (
    RISK_REVIEW_DAYS,
    risk_from_spof_create,
    risk_spof_link,
    risk_spof_unlink,
    spof_risk_ratings,
)
from serviceloop.planning.services_risks import risk_create, risk_transition
from serviceloop.portfolio.models import RelationKind
from serviceloop.portfolio.tests.factories import (
    CiRelationFactory,
    CiTypeFactory,
    ConfigurationItemFactory,
    ServiceComponentFactory,
    ServiceFactory,
)

pytestmark = pytest.mark.usefixtures("english")
TODAY = datetime.date(2026, 3, 2)


def verbs(obj):
    return list(
        AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .order_by("id")
        .values_list("verb", flat=True)
    )


@pytest.fixture
def host(people):
    """The ERP (owned by ``lead``) runs erp-app on vm-1 on host-1; the Mail service (no owner)
    is built on host-1 alone. The scan finds four single points of failure; returns "host-1
    is a single point of failure of the ERP"."""
    erp = ServiceFactory(code="erp", name="ERP", owner=people.lead)
    mail = ServiceFactory(code="mail", name="Mail")
    app, vm, host = (
        ConfigurationItemFactory(name=name, ci_type=CiTypeFactory(code=code, name=code.title()))
        for name, code in (("erp-app", "app"), ("vm-1", "vm"), ("host-1", "host"))
    )
    ServiceComponentFactory(service=erp, configuration_item=app)
    ServiceComponentFactory(service=mail, configuration_item=host)
    CiRelationFactory(source=app, target=vm, kind=RelationKind.RUNS_ON)
    CiRelationFactory(source=vm, target=host, kind=RelationKind.RUNS_ON)
    spof_scan()
    return SpofFinding.objects.select_related("service__owner", "configuration_item").get(
        service=erp, configuration_item=host
    )


def a_risk(people, *, title="Data centre power", kind="risk", status=None):
    risk = risk_create(
        actor=people.owner,
        kind=kind,
        title=title,
        likelihood=2,
        impact=3,
        treatment=Treatment.REDUCE if kind == "risk" else Treatment.EXPLOIT,
        treatment_plan="A second feed.",
        owner=people.lead,
        review_on=TODAY + datetime.timedelta(days=30),
    )
    if status == RiskStatus.CLOSED:
        risk = risk_transition(actor=people.owner, risk=risk, target=status, note="Gone.")
    return risk


# --- The services ---------------------------------------------------------------------------


def test_adding_a_finding_to_the_register_prefills_the_risk_and_names_its_source(people, host):
    risk = risk_from_spof_create(actor=people.owner, finding=host, today=TODAY)

    assert risk.reference.startswith("RSK-") and risk.kind == "risk"
    assert risk.spof_finding == host and list(host.risks.all()) == [risk]
    assert "host-1" in risk.title and "ERP" in risk.title and "Mail" in risk.title
    assert list(risk.configuration_items.all()) == [host.configuration_item]
    assert [s.code for s in risk.services.order_by("name")] == ["erp", "mail"]
    assert " → ".join(host.path) in risk.description and len(host.path) == 3
    assert (risk.likelihood, risk.impact) == (3, 4) and risk.score == 12  # on the 5×5 default
    assert risk.treatment == Treatment.REDUCE and risk.status == RiskStatus.IDENTIFIED
    assert risk.owner == people.lead  # the ERP's owner, not the actor
    assert risk.review_on == TODAY + datetime.timedelta(days=RISK_REVIEW_DAYS)
    assert verbs(risk) == ["risk.created"]
    assert AuditEvent.objects.get(verb="risk.created").payload["spof_finding"] == host.pk
    # nothing written on the finding: the link is the risk's
    assert SpofFinding.objects.get(pk=host.pk).version == host.version and verbs(host) == []


def test_the_default_ratings_follow_the_matrix_in_force(people, host):
    RiskMatrixSetting.objects.create(pk=1, size=3, medium_from=3, high_from=6, critical_from=9)

    risk = risk_from_spof_create(actor=people.admin, finding=host)

    assert [spof_risk_ratings(n) for n in (3, 4, 5)] == [(2, 3), (2, 3), (3, 4)]
    assert (risk.likelihood, risk.impact) == (2, 3)


def test_a_service_without_an_owner_gives_the_risk_to_the_actor(people, host):
    mail_finding = SpofFinding.objects.get(service__code="mail")

    risk = risk_from_spof_create(actor=people.owner, finding=mail_finding)

    assert risk.owner == people.owner and risk.spof_finding == mail_finding


def test_an_accepted_finding_becomes_an_accepted_risk_with_given_ratings(people, host):
    host = finding_transition(
        actor=people.owner, finding=host, target=FindingStatus.ACCEPTED, note="Budget next year."
    )

    risk = risk_from_spof_create(actor=people.owner, finding=host, likelihood=1, impact=5)

    assert risk.treatment == Treatment.ACCEPT
    assert (risk.likelihood, risk.impact) == (1, 5)
    assert "Budget next year." in risk.description


def test_the_old_free_text_entry_shows_until_a_risk_names_the_finding(people, host, client_for):
    SpofFinding.objects.filter(pk=host.pk).update(risk_reference="RISK-17 (spreadsheet)")
    auditor = client_for(people.auditor)
    before = auditor.get(reverse("spof_detail", args=[host.pk])).content.decode()

    risk = risk_from_spof_create(actor=people.owner, finding=host)
    after = auditor.get(reverse("spof_detail", args=[host.pk])).content.decode()

    assert "RISK-17 (spreadsheet)" in before and risk.reference not in before
    assert "RISK-17 (spreadsheet)" in risk.description
    assert risk.reference in after and "RISK-17 (spreadsheet)" not in after
    assert SpofFinding.objects.get(pk=host.pk).risk_reference == "RISK-17 (spreadsheet)"


@pytest.mark.parametrize("role", ["lead", "agent", "auditor", "top"])
def test_only_the_management_system_adds_a_finding_to_the_register(role, people, host):
    with pytest.raises(PermissionDenied):
        risk_from_spof_create(actor=getattr(people, role), finding=host)

    assert not Risk.objects.exists()


def test_a_finding_is_added_once_while_its_risk_is_open_and_again_once_closed(people, host):
    first = risk_from_spof_create(actor=people.owner, finding=host)
    with pytest.raises(ValidationError) as again:
        risk_from_spof_create(actor=people.owner, finding=host)
    risk_transition(actor=people.owner, risk=first, target=RiskStatus.CLOSED, note="Replaced.")

    second = risk_from_spof_create(actor=people.owner, finding=host)

    assert again.value.message_dict == {
        "spof_finding": [
            f"This single point of failure is already in the risk register: {first.reference}."
        ]
    }
    assert second != first and set(host.risks.all()) == {first, second}


def test_the_risk_of_an_item_shows_on_the_findings_of_every_service_it_carries(
    people, host, client_for
):
    risk = risk_from_spof_create(actor=people.owner, finding=host)  # raised for the ERP
    mail_finding = SpofFinding.objects.get(service__code="mail")
    page = client_for(people.owner).get(reverse("spof_detail", args=[mail_finding.pk]))

    with pytest.raises(ValidationError) as again:
        risk_from_spof_create(actor=people.owner, finding=mail_finding)

    html = page.content.decode()
    assert reverse("risk_detail", args=[risk.reference]) in html
    assert 'data-testid="risk-register"' not in html  # nothing to add, link or unlink here
    assert risk.reference in str(again.value) and Risk.objects.count() == 1


def test_a_bad_rating_is_refused_with_nothing_written(people, host):
    with pytest.raises(ValidationError) as refused:
        risk_from_spof_create(actor=people.owner, finding=host, likelihood=9)

    assert "likelihood" in refused.value.message_dict
    assert not Risk.objects.exists() and not AuditEvent.objects.filter(verb__startswith="risk.")


def test_managers_link_and_unlink_an_open_risk_and_bad_links_are_refused(people, host):
    risk = a_risk(people)
    closed = a_risk(people, title="Closed", status=RiskStatus.CLOSED)
    chance = a_risk(people, title="Cheaper hosting", kind="opportunity")

    with pytest.raises(ValidationError) as shut:
        risk_spof_link(actor=people.owner, risk=closed, finding=host)
    with pytest.raises(ValidationError) as opportunity:
        risk_spof_link(actor=people.owner, risk=chance, finding=host)
    with pytest.raises(ValidationError) as stale:
        risk_spof_link(actor=people.owner, risk=risk, finding=host, expected_version=9)
    linked = risk_spof_link(actor=people.admin, risk=risk, finding=host)
    again = risk_spof_link(actor=people.admin, risk=linked, finding=host)
    unlinked = risk_spof_unlink(actor=people.owner, risk=again)
    with pytest.raises(ValidationError) as nothing:
        risk_spof_unlink(actor=people.owner, risk=unlinked)

    assert "closed" in str(shut.value) and "not an opportunity" in str(opportunity.value)
    assert stale.value.error_list[0].code == "stale"
    assert linked.spof_finding == host and again.version == linked.version
    assert unlinked.spof_finding is None and Risk.objects.filter(pk=risk.pk).exists()
    assert "names no single point of failure" in str(nothing.value)
    assert verbs(risk) == ["risk.created", "risk.spof_linked", "risk.spof_unlinked"]
    assert AuditEvent.objects.get(verb="risk.spof_linked").payload == {
        "spof_finding": [None, host.pk]
    }
    assert not closed.spof_finding_id and not Risk.objects.get(pk=chance.pk).spof_finding_id


@pytest.mark.parametrize("role", ["lead", "auditor"])
def test_only_managers_link_or_unlink_even_the_risk_owner(role, people, host):
    risk = a_risk(people)  # owned by lead
    linked = risk_spof_link(actor=people.owner, risk=risk, finding=host)

    with pytest.raises(PermissionDenied):
        risk_spof_link(
            actor=getattr(people, role), risk=a_risk(people, title="Other"), finding=host
        )
    with pytest.raises(PermissionDenied):
        risk_spof_unlink(actor=getattr(people, role), risk=linked)

    assert list(host.risks.all()) == [risk]


def test_a_finding_dropped_from_the_cmdb_leaves_its_risk_in_the_register(people, host):
    risk = risk_from_spof_create(actor=people.owner, finding=host)

    SpofFinding.objects.filter(pk=host.pk).delete()  # its item or service removed (CASCADE)

    risk.refresh_from_db()
    assert risk.spof_finding is None and "host-1" in risk.description


# --- The screens ----------------------------------------------------------------------------


def test_add_to_risk_register_in_one_click_and_the_pages_link_each_other(people, host, client_for):
    client = client_for(people.owner)
    before = client.get(reverse("spof_detail", args=[host.pk])).content.decode()

    added = client.post(reverse("risk_from_spof", args=[host.pk]), follow=True)
    risk = Risk.objects.get()
    risk_page = client_for(people.auditor).get(reverse("risk_detail", args=[risk.reference]))

    assert 'data-testid="add-to-register"' in before and 'data-testid="link-risk"' in before
    assert "likelihood 3 × impact 4" in before
    assert added.redirect_chain[-1][0] == reverse("spof_detail", args=[host.pk])
    html = added.content.decode()
    assert f"Risk {risk.reference} added to the risk register." in html
    assert reverse("risk_detail", args=[risk.reference]) in html
    assert 'data-testid="add-to-register"' not in html and 'data-testid="unlink-risk"' in html
    source = risk_page.content.decode()
    assert 'data-testid="risk-source"' in source
    assert f"Single point of failure: {host.configuration_item} → ERP" in source
    assert reverse("spof_detail", args=[host.pk]) in source
    assert 'data-testid="unlink-source"' not in source  # the auditor reads only


def test_auditors_read_the_link_but_may_not_write_it(people, host, client_for):
    risk = risk_from_spof_create(actor=people.owner, finding=host)
    other = a_risk(people, title="Other")
    auditor = client_for(people.auditor)

    page = auditor.get(reverse("spof_detail", args=[host.pk])).content.decode()
    listing = auditor.get(reverse("spof_list")).content.decode()
    create = auditor.post(reverse("risk_from_spof", args=[host.pk]))
    link = auditor.post(reverse("risk_spof_link", args=[host.pk]), {"risk": other.reference})
    unlink = auditor.post(reverse("risk_spof_unlink", args=[risk.reference]))

    assert risk.reference in page and 'data-testid="risk-register"' not in page
    assert reverse("risk_detail", args=[risk.reference]) in listing
    assert (create.status_code, link.status_code, unlink.status_code) == (403, 403, 403)
    assert list(host.risks.all()) == [risk] and Risk.objects.count() == 2


@pytest.mark.parametrize("role", ["a_manager", "outsider"])
def test_customers_see_neither_the_finding_nor_its_risk(role, people, host, client_for):
    risk = risk_from_spof_create(actor=people.owner, finding=host)
    customer = client_for(getattr(people, role))

    answers = [
        customer.get(reverse("spof_detail", args=[host.pk])),
        customer.post(reverse("risk_from_spof", args=[host.pk])),
        customer.post(reverse("risk_spof_link", args=[host.pk]), {"risk": risk.reference}),
        customer.post(reverse("risk_spof_unlink", args=[risk.reference])),
        customer.get(reverse("risk_detail", args=[risk.reference])),
    ]

    assert [answer.status_code for answer in answers] == [404] * 5
    assert Risk.objects.get().spof_finding == host


def test_a_manager_links_a_risk_on_the_finding_page_and_errors_are_shown(people, host, client_for):
    risk = a_risk(people)
    closed = a_risk(people, title="Closed", status=RiskStatus.CLOSED)
    client = client_for(people.admin)
    url = reverse("risk_spof_link", args=[host.pk])

    unknown = client.post(url, {"risk": "RSK-1999-000009"}, follow=True).content.decode()
    shut = client.post(url, {"risk": closed.reference}, follow=True).content.decode()
    linked = client.post(url, {"risk": risk.reference.lower()}, follow=True).content.decode()

    assert "No risk in the register has this reference." in unknown
    assert "This risk is closed: choose an open one." in shut
    assert "Risk register entry linked." in linked and risk.reference in linked
    assert 'data-testid="link-risk"' not in linked  # treated by an open risk now
    assert list(host.risks.all()) == [risk]


def test_unlinking_goes_back_to_the_page_it_came_from(people, host, client_for):
    client = client_for(people.owner)
    first = risk_from_spof_create(actor=people.owner, finding=host)
    second = a_risk(people, title="Second")
    risk_spof_link(actor=people.owner, risk=second, finding=host)
    risk_page = client.get(reverse("risk_detail", args=[second.reference])).content.decode()

    from_finding = client.post(
        reverse("risk_spof_unlink", args=[first.reference]), {"back": "finding"}
    )
    from_risk = client.post(reverse("risk_spof_unlink", args=[second.reference]))
    stale = client.post(
        reverse("risk_spof_unlink", args=[second.reference]), {"version": "1"}, follow=True
    )

    assert 'data-testid="unlink-source"' in risk_page
    assert from_finding["Location"] == reverse("spof_detail", args=[host.pk])
    assert from_risk["Location"] == reverse("risk_detail", args=[second.reference])
    assert "Someone changed this record" in stale.content.decode()
    assert not host.risks.exists()


def test_the_findings_list_costs_the_same_queries_for_any_number_of_risks(people, host, client_for):
    client = client_for(people.auditor)

    def count():
        with CaptureQueriesContext(connection) as captured:
            page = client.get(reverse("spof_list"))
        assert page.status_code == 200
        return len(captured), page.content.decode()

    few, _html = count()
    findings = SpofFinding.objects.filter(service__code="erp")  # one per item: app, vm, host
    risks = [risk_from_spof_create(actor=people.owner, finding=f) for f in findings]
    many, html = count()

    assert many == few and len(risks) == 3
    assert all(reverse("risk_detail", args=[risk.reference]) in html for risk in risks)


# --- The API --------------------------------------------------------------------------------


def test_the_api_adds_a_risk_from_a_finding_and_lists_the_risks_of_a_finding(
    people, host, api_client_for
):
    url = "/api/v1/risks/from-spof/"
    owner = api_client_for(people.owner)

    refused = api_client_for(people.auditor).post(url, {"spof_finding": host.pk}, format="json")
    hidden = api_client_for(people.a_manager).post(url, {"spof_finding": host.pk}, format="json")
    missing = owner.post(url, {"spof_finding": 999999}, format="json")
    created = owner.post(url, {"spof_finding": host.pk, "impact": 5}, format="json")
    again = owner.post(url, {"spof_finding": host.pk}, format="json")
    a_risk(people, title="Unrelated")
    listed = api_client_for(people.auditor).get("/api/v1/risks/", {"spof_finding": host.pk})

    assert (refused.status_code, hidden.status_code, missing.status_code) == (403, 404, 400)
    assert created.status_code == 201 and created.json()["spof_finding"] == host.pk
    reference = created.json()["reference"]
    assert Risk.objects.get(reference=reference).impact == 5
    assert created["ETag"] == f'"{created.json()["version"]}"'
    assert again.status_code == 400 and "spof_finding" in again.json()
    assert [r["reference"] for r in listed.json()["results"]] == [reference]


def test_the_api_sets_and_clears_the_source_of_a_risk_with_validation(people, host, api_client_for):
    owner = api_client_for(people.owner)
    created = owner.post(
        "/api/v1/risks/",
        {
            "kind": "risk", "title": "Host failure", "likelihood": 2, "impact": 4,
            "treatment": "reduce", "owner": "lead", "review_on": "2026-06-01",
            "spof_finding": host.pk,
        },
        format="json",
    )  # fmt: skip
    url = f"/api/v1/risks/{created.json()['reference']}/"
    chance = a_risk(people, title="Cheaper hosting", kind="opportunity")

    refused = api_client_for(people.auditor).patch(url, {"spof_finding": None}, format="json")
    stale = owner.patch(url, {"spof_finding": None}, format="json", HTTP_IF_MATCH='"9"')
    cleared = owner.patch(url, {"spof_finding": None}, format="json")
    unknown = owner.patch(url, {"spof_finding": 999999}, format="json")
    opportunity = owner.patch(
        f"/api/v1/risks/{chance.reference}/", {"spof_finding": host.pk}, format="json"
    )
    relinked = owner.patch(url, {"spof_finding": host.pk}, format="json")

    assert created.status_code == 201 and created.json()["spof_finding"] == host.pk
    assert (refused.status_code, stale.status_code) == (403, 412)
    assert cleared.status_code == 200 and cleared.json()["spof_finding"] is None
    assert unknown.status_code == 400 and "spof_finding" in unknown.json()
    assert opportunity.status_code == 400 and "spof_finding" in opportunity.json()
    assert relinked.json()["spof_finding"] == host.pk
    updates = AuditEvent.objects.filter(verb="risk.updated").order_by("id")
    assert [e.payload["spof_finding"] for e in updates] == [[host.pk, None], [None, host.pk]]


# --- The seam -------------------------------------------------------------------------------


def test_assurance_never_imports_planning():
    root = pathlib.Path(serviceloop.assurance.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.relative_to(root)}: {n}"
                for n in names
                if n.startswith("serviceloop.planning")
            ]

    assert offenders == []
