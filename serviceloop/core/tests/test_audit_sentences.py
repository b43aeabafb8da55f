"""The home page's "Latest changes": audit rows read as sentences, the object linked when
the reader may open it, rows about confidential records still redacted."""

import datetime

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from serviceloop.core import hooks
from serviceloop.core.audit import audit_record
from serviceloop.core.audit_redaction import AUDIT_HIDDEN
from serviceloop.core.audit_sentences import audit_lines
from serviceloop.core.models import AuditEvent
from serviceloop.core.roles import Role
from serviceloop.core.tests.factories import UserFactory

pytestmark = pytest.mark.usefixtures("english")


def record(actor, verb, obj=None, payload=None, **kwargs):
    with transaction.atomic():
        return audit_record(actor=actor, verb=verb, obj=obj, payload=payload, **kwargs)


def sentences(user, *rows) -> list[str]:
    lines = audit_lines(user, AuditEvent.objects.filter(pk__in=[r.pk for r in rows]).order_by("id"))
    return [str(line.sentence) for line in lines]


@pytest.fixture
def li_wei(people):
    return UserFactory(
        username="li.wei", display_name="Li Wei", role=Role.SYSTEM_OWNER, language="en"
    )


@pytest.fixture
def policy_document(li_wei):
    from serviceloop.support.models import Document, DocumentKind

    now = timezone.now()
    return Document.objects.create(
        reference="DOC-2026-0001", title="Information security policy", kind=DocumentKind.POLICY,
        owner=li_wei, created_at=now, updated_at=now,
    )  # fmt: skip


def test_a_version_approval_reads_as_a_sentence_linked_to_the_document(
    people, li_wei, policy_document
):
    row = record(li_wei, "document.version_approved", policy_document, {"version": 2})

    [sentence] = sentences(people.auditor, row)

    assert sentence == (
        'Li Wei approved version 2 of document <a href="/documents/DOC-2026-0001/">'
        "DOC-2026-0001 Information security policy</a>"
    )


def test_common_actions_status_moves_and_unknown_verbs_read_as_sentences(people, li_wei):
    from serviceloop.planning.models import Risk, RiskKind, RiskStatus, Treatment

    now = timezone.now()
    risk = Risk.objects.create(
        reference="RSK-2026-000001", kind=RiskKind.RISK, title="机房断电 Power loss",
        likelihood=2, impact=5, score=10, treatment=Treatment.REDUCE, owner=li_wei,
        review_on=datetime.date(2030, 1, 1), status=RiskStatus.CLOSED, created_at=now,
        updated_at=now,
    )  # fmt: skip
    people.customer_a.name = "<b>Evil</b> Ltd"
    rows = [
        record(people.admin, "organisation.updated", people.customer_a, {"name": ["A", "B"]}),
        record(li_wei, "risk.status_changed", risk, {"from": "monitoring", "to": "closed"}),
        record(None, "complaint.response_warning", people.agent),
        record(li_wei, "communication.due_reminded", object_type="support.x", object_id="7"),
    ]

    organisation, moved, unknown, reminded = sentences(people.auditor, *rows)

    url = reverse("organisation_detail", args=[people.customer_a.pk])
    assert (
        organisation
        == f'Admin updated organisation <a href="{url}">&lt;b&gt;Evil&lt;/b&gt; Ltd</a>'
    )
    assert moved == (
        'Li Wei moved risk or opportunity <a href="/planning/risks/RSK-2026-000001/">'
        "RSK-2026-000001 机房断电 Power loss</a> to “Closed”"
    )
    agent_url = reverse("person_detail", args=[people.agent.pk])
    assert unknown == (
        f'ServiceLoop: complaint response warning — person <a href="{agent_url}">Agent</a>'
    )
    # an object of an unknown kind: named by its id, linked to nothing
    assert reminded == "Li Wei sent a reminder about #7"


def test_an_object_gone_or_whose_page_name_belongs_to_another_app_is_not_linked(people, li_wei):
    from serviceloop.core.tests.factories import TeamFactory
    from serviceloop.evaluation.models import Audit, AuditProgramme

    now = timezone.now()
    programme = AuditProgramme.objects.create(
        reference="APR-2026", year=2026, title="2026", created_at=now, updated_at=now
    )
    audit = Audit.objects.create(
        reference="AUD-2026-0001", programme=programme, title="服务台 Desk",
        planned_start=datetime.date(2026, 5, 1), planned_end=datetime.date(2026, 5, 2),
        lead_auditor=people.auditor, created_at=now, updated_at=now,
    )  # fmt: skip
    team = TeamFactory(name="一线 Service desk")
    rows = [
        record(li_wei, "team.updated", team),
        # "audit_detail" is the audit trail's page (core), not the internal audit's
        record(li_wei, "audit.created", audit),
        record(li_wei, "team.updated", object_type="core.team", object_id="999999"),  # gone
    ]

    linked, elsewhere, gone = sentences(people.auditor, *rows)

    team_url = reverse("team_detail", args=[team.pk])
    assert linked == f'Li Wei updated team <a href="{team_url}">一线 Service desk</a>'
    assert elsewhere == "Li Wei created internal audit AUD-2026-0001 服务台 Desk"
    assert gone == "Li Wei updated team #999999"


def test_a_row_about_a_confidential_record_names_nothing_and_links_nothing(
    people, li_wei, policy_document
):
    row = record(li_wei, "document.version_approved", policy_document, {"version": 2})

    def hide_documents(*, user, events):
        return {e.pk for e in events if e.object_type == "support.document"}

    hooks.collector_register(AUDIT_HIDDEN, hide_documents)
    try:
        [line] = audit_lines(people.auditor, AuditEvent.objects.filter(pk=row.pk))
    finally:
        hooks.collector_unregister(AUDIT_HIDDEN, hide_documents)

    # the version number came from the payload, which redaction empties
    assert str(line.sentence) == "Li Wei approved document (confidential)"
    assert line.url == "" and "href" not in line.sentence


def test_the_home_page_shows_the_sentences_not_the_action_codes(
    people, li_wei, policy_document, client_for
):
    record(li_wei, "document.version_approved", policy_document, {"version": 2})

    html = client_for(people.auditor).get(reverse("home")).content.decode()

    assert "Li Wei approved version 2 of document" in html
    assert 'href="/documents/DOC-2026-0001/"' in html
    assert "document.version_approved" not in html
    assert html.count('data-testid="audit-line"') == AuditEvent.objects.count()


def test_the_home_page_costs_the_same_queries_for_two_rows_as_for_eight(
    people, li_wei, policy_document, client_for
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(people.auditor)

    def queries_for_home() -> int:
        client.get(reverse("home"))  # warm the per-process caches
        with CaptureQueriesContext(connection) as context:
            client.get(reverse("home"))
        return len(context)

    record(li_wei, "document.updated", policy_document)
    record(people.admin, "organisation.updated", people.customer_a)
    few = queries_for_home()
    for _n in range(4):
        record(li_wei, "document.updated", policy_document)
        record(people.admin, "organisation.updated", people.customer_a)

    assert queries_for_home() == few
