"""SLAs and OLAs through the API: create, edit the draft, add targets, move the version
(author cannot agree, superseding), ETag / If-Match, and customer isolation (drafts and other
customers' SLAs are 404, writes 403)."""

import datetime

import pytest
from django.utils import timezone

from serviceloop.relationship.models import AgreementVersion
from serviceloop.relationship.services_agreements import (
    agreement_version_new,
    agreement_version_transition,
)
from serviceloop.relationship.tests import fixtures_customers as fx

pytestmark = pytest.mark.usefixtures("english")
# The shared fixtures of the customers part (see fixtures_customers).
cust, desk_policy, make_sla = fx.cust, fx.desk_policy, fx.make_sla

API = "/api/v1"
D = datetime.date


def results(response):
    return response.json()["results"]


def test_an_sla_through_the_api_from_draft_to_agreed(people, cust, desk_policy, api_client_for):
    lead = api_client_for(people.lead)
    created = lead.post(
        f"{API}/agreements/",
        {"kind": "sla", "title": "API SLA", "customers": [str(people.customer_a.uuid)],
         "valid_from": "2026-01-01", "services": ["erp", "mail"], "body": "Text"},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    agreement = created.json()
    [summary] = agreement["versions"]
    assert summary["status"] == "draft" and agreement["version_in_force"] is None
    url = f"{API}/agreement-versions/{summary['id']}/"

    read = lead.get(url)
    etag = read["ETag"]
    changed = lead.patch(url, {"review_on": "2026-12-01"}, format="json", HTTP_IF_MATCH=etag)
    assert changed.status_code == 200 and changed.json()["review_on"] == "2026-12-01"
    assert lead.patch(url, {"body": "x"}, format="json", HTTP_IF_MATCH=etag).status_code == 412
    target = lead.post(
        f"{API}/agreement-targets/",
        {"version": summary["id"], "metric": "first_response", "priority": "P1",
         "target_value": "30", "unit": "minutes", "sla_policy": desk_policy.policy_id},
        format="json",
    )  # fmt: skip
    assert target.status_code == 201, target.json()

    assert lead.post(f"{url}transition/", {"target": "in_review"}).status_code == 200
    mine = lead.post(f"{url}transition/", {"target": "agreed"})
    assert mine.status_code == 403 and "author" in mine.json()["detail"]
    agreed = api_client_for(people.owner).post(f"{url}transition/", {"target": "agreed"})
    body = agreed.json()
    assert agreed.status_code == 200 and body["status"] == "agreed" and body["in_force"]
    assert [d["state"] for d in body["desk"]] == ["match"]
    assert body["desk"][0]["applied_version"] == desk_policy.number


def test_a_new_version_supersedes_the_agreed_one(people, make_sla, api_client_for):
    first = make_sla()
    lead = api_client_for(people.lead)
    new = lead.post(f"{API}/agreements/{first.agreement.reference}/new-version/")
    assert new.status_code == 201 and new.json()["number"] == 2
    url = f"{API}/agreement-versions/{new.json()['id']}/"
    lead.post(f"{url}transition/", {"target": "in_review"})
    api_client_for(people.owner).post(f"{url}transition/", {"target": "agreed"})
    first.refresh_from_db()
    assert first.status == "superseded"
    old = api_client_for(people.a_user).get(f"{API}/agreement-versions/{first.uuid}/")
    assert old.status_code == 200 and old.json()["superseded_by"] == 2
    assert old.json()["desk"] == []  # the desk's internals are for staff


def test_customers_read_only_their_published_versions(people, cust, make_sla, api_client_for):
    agreed = make_sla(valid_from=timezone.localdate())
    draft = agreement_version_new(actor=people.lead, agreement=agreed.agreement)
    b_sla = make_sla(customers=[people.customer_b], services=[cust.portal], author=people.agent)

    a = api_client_for(people.a_manager)
    assert [x["reference"] for x in results(a.get(f"{API}/agreements/"))] == [
        agreed.agreement.reference
    ]
    agreement = a.get(f"{API}/agreements/{agreed.agreement.reference}/").json()
    assert [v["number"] for v in agreement["versions"]] == [1]
    assert agreement["version_in_force"] == 1
    assert a.get(f"{API}/agreement-versions/{draft.uuid}/").status_code == 404
    assert a.get(f"{API}/agreement-versions/{b_sla.uuid}/").status_code == 404
    assert a.get(f"{API}/agreements/{b_sla.agreement.reference}/").status_code == 404
    assert [v["number"] for v in results(a.get(f"{API}/agreement-versions/"))] == [1]
    assert len(results(a.get(f"{API}/agreement-targets/"))) == 2
    for attempt in (
        a.patch(f"{API}/agreement-versions/{agreed.uuid}/", {"body": "x"}),
        a.post(f"{API}/agreement-versions/{agreed.uuid}/transition/", {"target": "draft"}),
        a.post(f"{API}/agreements/{agreed.agreement.reference}/new-version/"),
        a.post(f"{API}/agreements/", {"kind": "sla"}),
    ):
        assert attempt.status_code == 403
    outsider = api_client_for(people.outsider)
    assert outsider.get(f"{API}/agreements/{agreed.agreement.reference}/").status_code == 404
    assert results(outsider.get(f"{API}/agreement-versions/")) == []


@pytest.mark.parametrize("role", ["auditor", "top"])
def test_read_only_staff_read_everything_and_write_nothing(people, make_sla, api_client_for, role):
    draft = make_sla(until="in_review")
    client = api_client_for(getattr(people, role))
    assert client.get(f"{API}/agreement-versions/{draft.uuid}/").status_code == 200
    target = draft.targets.first()
    attempts = [
        client.post(f"{API}/agreement-versions/{draft.uuid}/transition/", {"target": "agreed"}),
        client.patch(f"{API}/agreement-versions/{draft.uuid}/", {"body": "x"}),
        client.delete(f"{API}/agreement-targets/{target.pk}/"),
        client.post(
            f"{API}/agreement-versions/{draft.uuid}/reviewed/", {"review_on": "2099-01-01"}
        ),
    ]
    assert [a.status_code for a in attempts] == [403] * 4
    assert AgreementVersion.objects.get(pk=draft.pk).status == "in_review"


def test_only_draft_targets_are_removed(people, make_sla, api_client_for):
    version = make_sla(until="draft")
    client = api_client_for(people.lead)
    target = version.targets.first()
    assert client.delete(f"{API}/agreement-targets/{target.pk}/").status_code == 204
    agreement_version_transition(actor=people.lead, version=version, target="in_review")
    other = version.targets.first()
    assert client.delete(f"{API}/agreement-targets/{other.pk}/").status_code == 400


def test_filters_on_the_version_list(people, make_sla, api_client_for):
    make_sla(valid_from=D(2026, 1, 1))
    make_sla(until="draft")
    client = api_client_for(people.agent)
    assert len(results(client.get(f"{API}/agreement-versions/", {"status": "draft"}))) == 1
    assert len(results(client.get(f"{API}/agreement-versions/", {"in_force": "1"}))) == 1


def test_the_openapi_schema_documents_the_relationship_endpoints(db, client):
    response = client.get("/api/schema/")
    schema = response.content.decode()
    for path in (
        "/api/v1/agreements/{reference}/new-version/",
        "/api/v1/agreement-versions/{uuid}/transition/",
        "/api/v1/customer-surveys/{reference}/results/",
        "/api/v1/customer-review-actions/{uuid}/transition/",
    ):
        assert path in schema
    assert "AgreementVersionStatusEnum" in schema


def test_the_agreement_list_costs_the_same_for_one_or_many(
    people, make_sla, api_client_for, django_assert_max_num_queries
):
    for _ in range(4):
        make_sla()
    client = api_client_for(people.agent)
    with django_assert_max_num_queries(12):
        body = client.get(f"{API}/agreements/").json()
    assert len(body["results"]) == 4 and body["results"][0]["version_in_force"] == 1
