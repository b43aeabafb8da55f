"""The agreement screens: the list (filters, exports, the live services no SLA covers), the
version page (text, targets, the desk policy and version applied, history, moves), the forms,
and who sees what: a customer reads only his agreed and superseded SLA versions (drafts, OLAs
and other customers' SLAs: 404), read-only roles get 403 on writes."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from serviceloop.relationship.models import Agreement, AgreementVersion
from serviceloop.relationship.services_agreements import (
    agreement_version_new,
    agreement_version_transition,
)
from serviceloop.relationship.tests import fixtures_customers as fx

pytestmark = pytest.mark.usefixtures("english")
# The shared fixtures of the customers part (see fixtures_customers).
cust, desk_policy, make_sla = fx.cust, fx.desk_policy, fx.make_sla

D = datetime.date


def csv_rows(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


@pytest.fixture
def superseded(people, make_sla):
    """Customer A's SLA: version 1 superseded by version 2 (agreed), version 3 a draft."""
    first = make_sla(valid_from=timezone.localdate() - datetime.timedelta(days=400))
    second = agreement_version_new(actor=people.lead, agreement=first.agreement)
    agreement_version_transition(actor=people.lead, version=second, target="in_review")
    agreement_version_transition(actor=people.owner, version=second, target="agreed")
    agreement_version_new(actor=people.lead, agreement=first.agreement)
    return first.agreement


def page(client, agreement, number):
    return client.get(reverse("agreement_version_detail", args=[agreement.reference, number]))


def test_the_list_shows_agreements_and_the_uncovered_live_services(
    people, cust, make_sla, client_for
):
    make_sla(valid_from=timezone.localdate(), services=[cust.erp])

    response = client_for(people.auditor).get(reverse("agreement_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-service="mail"' in html and 'data-service="portal"' in html
    assert 'data-service="erp"' not in html and 'data-service="lab"' not in html
    [agreement] = response.context["page"]
    assert agreement.current.number == 1


def test_the_list_filters_and_exports(people, cust, make_sla, client_for):
    make_sla(valid_from=D(2026, 1, 1))
    make_sla(until="draft", customers=[people.customer_b], services=[cust.portal])
    client = client_for(people.agent)

    rows = csv_rows(client.get(reverse("agreement_list"), {"export": "csv"}))
    assert rows[0][:4] == ["Reference", "Kind", "Title", "Parties"]
    assert len(rows) == 3
    drafts = csv_rows(client.get(reverse("agreement_list"), {"export": "csv", "status": "draft"}))
    assert [r[3] for r in drafts[1:]] == ["Customer B 乙方"]
    by_customer = client.get(reverse("agreement_list"), {"customer": people.customer_a.pk})
    assert by_customer.context["page"].paginator.count == 1
    xlsx = client.get(reverse("agreement_list"), {"export": "xlsx"})
    assert xlsx.content[:2] == b"PK"


def test_the_version_page_shows_the_desk_policy_and_version_applied(
    people, make_sla, desk_policy, client_for
):
    version = make_sla()
    response = page(client_for(people.agent), version.agreement, 1)

    html = response.content.decode()
    assert response.status_code == 200 and response.context["in_force"] is (
        version.valid_from <= timezone.localdate()
    )
    assert "Standard" in html and "The desk applies v1" in html
    assert 'data-alignment="match"' in html
    assert "<script>alert" not in html and "We answer fast." in html
    targets = csv_rows(
        client_for(people.agent).get(
            reverse("agreement_version_detail", args=[version.agreement.reference, 1]),
            {"export": "csv"},
        )
    )
    assert [r[0] for r in targets[1:]] == ["First response time", "Availability (%)"]


def test_a_superseded_version_stays_readable(people, superseded, client_for):
    response = page(client_for(people.a_user), superseded, 1)
    assert response.status_code == 200
    assert 'data-testid="superseded"' in response.content.decode()
    detail = client_for(people.a_user).get(reverse("agreement_detail", args=[superseded.reference]))
    assert detail.status_code == 302 and detail.url.endswith("/v2/")


def test_customers_never_see_drafts_olas_or_other_customers_slas(
    people, cust, superseded, make_sla, client_for
):
    client = client_for(people.a_manager)
    assert page(client, superseded, 2).status_code == 200
    assert page(client, superseded, 3).status_code == 404  # the draft
    versions = [v.number for v in page(client, superseded, 2).context["versions"]]
    assert versions == [2, 1]

    draft_only = make_sla(until="in_review").agreement
    assert client.get(reverse("agreement_detail", args=[draft_only.reference])).status_code == 404
    listing = client.get(reverse("agreement_list"))
    assert [a.reference for a in listing.context["page"]] == [superseded.reference]
    assert listing.context["uncovered"] is None  # the provider's gaps are not for customers

    for other in (people.b_manager, people.b_user, people.outsider):
        other_client = client_for(other)
        assert page(other_client, superseded, 2).status_code == 404
        assert page(other_client, superseded, 1).status_code == 404
        assert (
            other_client.get(reverse("agreement_detail", args=[superseded.reference])).status_code
            == 404
        )
        assert other_client.get(reverse("agreement_list")).context["page"].paginator.count == 0


def test_customers_do_not_see_olas(people, cust, client_for):
    from serviceloop.core.tests.factories import TeamFactory
    from serviceloop.relationship.services_agreements import agreement_create

    agreement = agreement_create(
        actor=people.agent,
        kind="ola",
        title="OLA",
        teams=[
            TeamFactory(organisation=people.provider, name="T1"),
            TeamFactory(organisation=people.provider, name="T2"),
        ],
        valid_from=D(2026, 1, 1),
    )
    assert page(client_for(people.a_manager), agreement, 1).status_code == 404
    assert page(client_for(people.top), agreement, 1).status_code == 200


def test_the_moves_offered_follow_the_roles(people, make_sla, client_for):
    version = make_sla(until="in_review")
    agreement = version.agreement
    moves = lambda user: [m.target for m in page(client_for(user), agreement, 1).context["moves"]]  # noqa: E731
    assert moves(people.lead) == ["draft"]  # the author: return to draft, not agree
    assert moves(people.owner) == ["draft", "agreed"]
    assert moves(people.agent) == [] and moves(people.auditor) == []


def test_agreeing_on_screen_and_the_author_refused(people, make_sla, client_for):
    version = make_sla(until="in_review")
    url = reverse("agreement_version_move", args=[version.agreement.reference, 1])

    refused = client_for(people.lead).post(url, {"target": "agreed"}, follow=True)
    assert refused.status_code == 403
    client_for(people.owner).post(url, {"target": "agreed", "version": version.version})
    version.refresh_from_db()
    assert version.status == "agreed"


def test_a_stale_form_does_not_move_the_version(people, make_sla, client_for):
    version = make_sla(until="in_review")
    url = reverse("agreement_version_move", args=[version.agreement.reference, 1])
    response = client_for(people.owner).post(
        url, {"target": "agreed", "version": version.version - 1}, follow=True
    )
    assert "Someone else changed" in response.content.decode()
    version.refresh_from_db()
    assert version.status == "in_review"


@pytest.mark.parametrize("role", ["auditor", "top", "a_manager"])
def test_read_only_roles_get_403_on_agreement_writes(people, superseded, client_for, role):
    client = client_for(getattr(people, role))
    ref = superseded.reference
    if role == "a_manager":
        # The draft does not exist for him; the agreed version's writes are forbidden.
        assert client.get(reverse("agreement_version_edit", args=[ref, 3])).status_code == 404
    else:
        assert client.get(reverse("agreement_version_edit", args=[ref, 3])).status_code == 403
    assert client.get(reverse("agreement_new")).status_code == 403
    assert client.get(reverse("agreement_edit", args=[ref])).status_code == 403
    assert client.post(reverse("agreement_version_new", args=[ref])).status_code == 403
    assert (
        client.post(
            reverse("agreement_version_move", args=[ref, 2]), {"target": "draft"}
        ).status_code
        == 403
    )
    assert client.post(reverse("agreement_target_add", args=[ref, 2]), {}).status_code == 403
    assert AgreementVersion.objects.filter(agreement=superseded).count() == 3


def test_staff_create_an_sla_with_the_template_then_targets(people, cust, desk_policy, client_for):
    client = client_for(people.lead)
    form = client.get(reverse("agreement_new"), {"customer": people.customer_a.pk})
    assert "Purpose" in form.context["form"].initial["body"]  # the English template
    response = client.post(
        reverse("agreement_new"),
        {
            "kind": "sla",
            "title": "Mail SLA",
            "customers": [people.customer_a.pk],
            "valid_from": "2026-01-01",
            "services": [cust.mail.pk],
            "body": form.context["form"].initial["body"],
        },
    )
    agreement = Agreement.objects.get(title="Mail SLA")
    assert response.url == reverse("agreement_version_detail", args=[agreement.reference, 1])
    client.post(
        reverse("agreement_target_add", args=[agreement.reference, 1]),
        {"metric": "first_response", "priority": "P1", "target_value": "30", "unit": "minutes",
         "sla_policy": desk_policy.policy.pk},
    )  # fmt: skip
    client.post(
        reverse("agreement_version_move", args=[agreement.reference, 1]), {"target": "in_review"}
    )
    version = agreement.versions.get()
    assert version.status == "in_review" and version.targets.get().sla_policy == desk_policy.policy


def test_the_template_comes_in_chinese_too(people, client_for, settings):
    from serviceloop.relationship.agreements_sla_template import sla_template

    assert "服务台" in sla_template("zh-hans") and "Service desk" in sla_template("en")
    assert sla_template("fr") == sla_template("en")


def test_recording_a_review_of_the_agreed_version(people, make_sla, client_for):
    version = make_sla(review_on=D(2026, 12, 1))
    url = reverse("agreement_version_reviewed", args=[version.agreement.reference, 1])
    client_for(people.lead).post(url, {"review_on": "2099-12-01", "note": "ok"})
    version.refresh_from_db()
    assert version.review_on == D(2099, 12, 1)
    assert client_for(people.a_manager).post(url, {"review_on": "2099-12-02"}).status_code == 403


def test_the_agreement_list_runs_a_bounded_number_of_queries(
    people, cust, make_sla, client_for, django_assert_max_num_queries
):
    for _ in range(3):
        make_sla()
    client = client_for(people.agent)
    client.get(reverse("agreement_list"))
    with django_assert_max_num_queries(25):
        client.get(reverse("agreement_list"))


def test_a_multi_customer_sla_shows_each_customer_only_himself(
    people, cust, make_sla, client_for, api_client_for
):
    version = make_sla(customers=[people.customer_a, people.customer_b], services=[cust.erp])
    ref = version.agreement.reference

    for user, own, other in (
        (people.a_user, people.customer_a, people.customer_b),
        (people.b_user, people.customer_b, people.customer_a),
    ):
        html = page(client_for(user), version.agreement, 1).content.decode()
        assert own.name in html and other.name not in html
        rows = csv_rows(client_for(user).get(reverse("agreement_list"), {"export": "csv"}))
        assert rows[1][3] == own.name
        body = api_client_for(user).get(f"/api/v1/agreements/{ref}/").json()
        assert body["customers"] == [str(own.uuid)]
    staff = api_client_for(people.auditor).get(f"/api/v1/agreements/{ref}/").json()
    assert len(staff["customers"]) == 2
