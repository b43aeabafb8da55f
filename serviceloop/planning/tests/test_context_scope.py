"""Context (clause 4): issues and interested parties, and the versioned scope statement —
drafts copy the approved version and pick up the modules switched off by tailoring, approval
rules, superseding, who may do what, the screens, exports and the API."""

import datetime

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from serviceloop.core.models import AuditEvent
from serviceloop.planning.models import ContextIssue, InterestedParty, ScopeStatement
from serviceloop.planning.queries_tailoring import CACHE_KEY
from serviceloop.planning.services_context import (
    issue_create,
    issue_set_current,
    issue_update,
    party_create,
    scope_approve,
    scope_draft_create,
    scope_draft_discard,
    scope_update,
)
from serviceloop.planning.services_tailoring import module_switch
from serviceloop.portfolio.tests.factories import ServiceFactory

pytestmark = pytest.mark.usefixtures("english")
REVIEW = datetime.date(2026, 9, 1)


@pytest.fixture(autouse=True)
def _fresh_switches():
    cache.delete(CACHE_KEY)
    yield
    cache.delete(CACHE_KEY)


@pytest.fixture
def services(db):
    return [ServiceFactory(code="erp", name="ERP"), ServiceFactory(code="mail", name="Mail")]


def approved_scope(people, services, **changes):
    draft = scope_draft_create(actor=people.owner)
    values = {"statement": "IT operations services for external customers.", "services": services}
    draft = scope_update(actor=people.owner, scope=draft, **(values | changes))
    return scope_approve(actor=people.top, scope=draft)


# --- Issues and interested parties ---------------------------------------------------------


def test_an_issue_is_recorded_changed_and_retired_with_audit_rows(people):
    issue = issue_create(
        actor=people.owner,
        kind="external",
        title="数据安全法 Data security law",
        impact="Supplier agreements need data clauses.",
        owner=people.lead,
        review_on=REVIEW,
    )
    issue = issue_update(actor=people.owner, issue=issue, impact="More controls.")
    with pytest.raises(ValidationError) as no_reason:
        issue_set_current(actor=people.owner, issue=issue, current=False)
    issue = issue_set_current(actor=people.owner, issue=issue, current=False, reason="Repealed")

    assert issue.is_active is False and issue.retired_reason == "Repealed"
    assert "reason" in no_reason.value.message_dict
    verbs = list(
        AuditEvent.objects.filter(object_type="planning.contextissue")
        .order_by("id")
        .values_list("verb", flat=True)
    )
    assert verbs == ["context_issue.created", "context_issue.updated", "context_issue.retired"]
    updated = AuditEvent.objects.get(verb="context_issue.updated")
    assert updated.payload == {
        "impact": ["Supplier agreements need data clauses.", "More controls."]
    }


def test_bad_input_is_refused_with_every_message_and_nothing_written(people):
    with pytest.raises(ValidationError) as error:
        issue_create(
            actor=people.owner, kind="cosmic", title=" ", owner=people.a_user, review_on="soon"
        )

    assert set(error.value.message_dict) == {"kind", "title", "owner", "review_on"}
    assert not ContextIssue.objects.exists()


@pytest.mark.parametrize("who", ["agent", "auditor", "top"])
def test_read_only_staff_cannot_record_context(people, who):
    with pytest.raises(PermissionDenied):
        party_create(
            actor=getattr(people, who),
            name="Regulator",
            category="regulator",
            requirements="Compliance",
            owner=people.owner,
            review_on=REVIEW,
        )


def test_the_issue_and_party_screens_list_filter_export_and_edit(people, client_for):
    issue_create(
        actor=people.owner, kind="internal", title="Staff turnover", owner=people.lead,
        review_on=datetime.date(2020, 1, 1),
    )  # fmt: skip
    issue_create(
        actor=people.owner, kind="external", title="Cloud adoption", owner=people.owner,
        review_on=REVIEW,
    )  # fmt: skip
    client = client_for(people.owner)

    created = client.post(
        reverse("context_party_new"),
        {
            "name": "华东物流",
            "category": "customer",
            "requirements": "7×24 network",
            "owner": people.owner.pk,
            "review_on": "2026-10-01",
        },
    )
    internal = client.get(reverse("context_issue_list"), {"kind": "internal"})
    export = client.get(reverse("context_issue_list"), {"export": "csv"})
    parties = client.get(reverse("context_party_list"), {"export": "xlsx"})

    party = InterestedParty.objects.get()
    assert created.status_code == 302 and created.url.endswith(f"/parties/{party.pk}/")
    assert [i.title for i in internal.context["page"]] == ["Staff turnover"]
    assert 'text-danger fw-semibold">2020-01-01' in internal.content.decode()
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "Internal,Staff turnover" in text and "External,Cloud adoption" in text
    assert parties["Content-Type"].startswith("application/vnd.openxmlformats")


@pytest.mark.parametrize(
    ("who", "read", "write"),
    [("owner", 200, 200), ("agent", 200, 403), ("top", 200, 403), ("a_manager", 404, 404)],
)
def test_who_sees_and_edits_issues(people, client_for, who, read, write):
    issue = issue_create(
        actor=people.owner, kind="internal", title="X", owner=people.owner, review_on=REVIEW
    )
    client = client_for(getattr(people, who))

    assert client.get(reverse("context_issue_detail", args=[issue.pk])).status_code == read
    assert client.get(reverse("context_issue_edit", args=[issue.pk])).status_code == write
    assert client.get(reverse("context_overview")).status_code == read


# --- Scope statement -----------------------------------------------------------------------


def test_a_draft_picks_up_the_switched_off_modules_and_approval_needs_them(people, services):
    module_switch(actor=people.owner, module="surveys", enabled=False, reason="CSAT per ticket")
    draft = scope_draft_create(actor=people.owner)
    [exclusion] = draft.exclusions.all()
    draft = scope_update(
        actor=people.owner, scope=draft, statement="IT services.", services=services,
        exclusions=[],
    )  # fmt: skip

    with pytest.raises(ValidationError) as error:
        scope_approve(actor=people.top, scope=draft)

    assert (exclusion.module, exclusion.subject) == ("surveys", "Satisfaction surveys")
    assert exclusion.justification == "CSAT per ticket"
    assert "Switched-off modules must be listed as exclusions" in error.value.messages[0]
    assert ScopeStatement.objects.get().status == "draft"


def test_approval_needs_a_statement_a_service_and_justified_exclusions(people):
    draft = scope_draft_create(actor=people.owner)
    with pytest.raises(ValidationError) as error:
        scope_update(actor=people.owner, scope=draft, exclusions=[{"subject": "Legacy OA"}])
    with pytest.raises(ValidationError) as empty:
        scope_approve(actor=people.owner, scope=draft)

    assert "justification" in error.value.messages[0]
    assert empty.value.messages == [
        "Write the scope statement.",
        "Name at least one service in scope.",
    ]


def test_approving_a_new_version_supersedes_the_approved_one(people, services):
    first = approved_scope(people, services, locations="Shanghai DC\nHangzhou desk")
    module_switch(actor=people.owner, module="capacity", enabled=False, reason="No capacity mgmt")

    second = scope_draft_create(actor=people.owner)
    with pytest.raises(ValidationError) as one_draft:
        scope_draft_create(actor=people.owner)
    second = scope_update(
        actor=people.owner, scope=second, services=services[:1], change_summary="Mail dropped"
    )
    second = scope_approve(actor=people.owner, scope=second, note="OK")

    first.refresh_from_db()
    assert (first.number, first.status) == (1, "superseded") and first.superseded_at
    assert (second.number, second.status, second.approved_by) == (2, "approved", people.owner)
    assert second.statement == first.statement and second.locations == [
        "Shanghai DC",
        "Hangzhou desk",
    ]
    assert [s.code for s in second.services.all()] == ["erp"]
    assert [e.module for e in second.exclusions.all()] == ["capacity"]
    assert "exists already" in one_draft.value.messages[0]
    event = AuditEvent.objects.get(verb="scope.approved", object_id=str(second.pk))
    assert event.payload == {"number": 2, "supersedes": 1, "note": "OK"}


def test_an_approved_scope_never_changes(people, services):
    scope = approved_scope(people, services)

    with pytest.raises(ValidationError) as change:
        scope_update(actor=people.owner, scope=scope, statement="Other")
    with pytest.raises(ValidationError) as discard:
        scope_draft_discard(actor=people.owner, scope=scope)
    with pytest.raises(ValidationError) as again:
        scope_approve(actor=people.top, scope=scope)

    assert "Only a draft can be changed" in change.value.messages[0]
    assert "Only a draft can be discarded" in discard.value.messages[0]
    assert "Only a draft can be approved" in again.value.messages[0]


@pytest.mark.parametrize(("who", "allowed"), [("top", True), ("owner", True), ("admin", True),
                                              ("auditor", False), ("agent", False)])  # fmt: skip
def test_top_management_or_the_system_owner_approves_the_scope(people, services, who, allowed):
    draft = scope_draft_create(actor=people.owner)
    draft = scope_update(actor=people.owner, scope=draft, statement="S", services=services)

    if allowed:
        assert scope_approve(actor=getattr(people, who), scope=draft).status == "approved"
    else:
        with pytest.raises(PermissionDenied):
            scope_approve(actor=getattr(people, who), scope=draft)


def test_the_scope_screens_draft_edit_and_approve(people, services, client_for):
    module_switch(actor=people.owner, module="budget", enabled=False, reason="No charging")
    owner, top = client_for(people.owner), client_for(people.top)

    started = owner.post(reverse("scope_new"))
    form = owner.get(reverse("scope_edit", args=[1]))
    saved = owner.post(
        reverse("scope_edit", args=[1]),
        {
            "statement": "云运维服务 Cloud operations",
            "services": [s.pk for s in services],
            "customers": [people.customer_a.pk],
            "locations": "上海",
            "change_summary": "",
            "version": 1,
            "exclusions-TOTAL_FORMS": 3,
            "exclusions-INITIAL_FORMS": 1,
            "exclusions-0-subject": "Budgeting and accounting",
            "exclusions-0-justification": "No charging",
            "exclusions-0-module": "budget",
            "exclusions-1-subject": "Legacy OA",
            "exclusions-1-justification": "Being retired",
            "exclusions-1-module": "",
            "exclusions-2-subject": "",
            "exclusions-2-justification": "",
            "exclusions-2-module": "",
        },
    )
    refused = client_for(people.agent).post(reverse("scope_approve", args=[1]))
    detail = top.get(reverse("scope_detail", args=[1]))
    approved = top.post(reverse("scope_approve", args=[1]), {"note": "", "version": 2})
    listing = owner.get(reverse("scope_list"), {"export": "csv"})

    assert started.status_code == 302 and started.url == reverse("scope_edit", args=[1])
    assert form.context["formset"].initial[0]["module"] == "budget"
    assert saved.status_code == 302, saved.context["form"].errors
    assert refused.status_code == 403
    assert 'data-testid="approve"' in detail.content.decode()
    assert approved.status_code == 302
    scope = ScopeStatement.objects.get()
    assert scope.status == "approved" and scope.approved_by == people.top
    assert [e.subject for e in scope.exclusions.all()] == [
        "Budgeting and accounting",
        "Legacy OA",
    ]
    text = b"".join(listing.streaming_content).decode("utf-8-sig")
    assert "Legacy OA: Being retired" in text and "Approved" in text


def test_customers_never_see_the_scope(people, services, client_for, api_client_for):
    approved_scope(people, services)

    assert client_for(people.a_manager).get(reverse("scope_detail", args=[1])).status_code == 404
    assert client_for(people.a_manager).get(reverse("scope_list")).status_code == 404
    assert api_client_for(people.b_user).get("/api/v1/scope-statements/").status_code == 404


def test_the_scope_api_drafts_updates_and_approves(people, services, api_client_for):
    owner, top = api_client_for(people.owner), api_client_for(people.top)
    module_switch(actor=people.owner, module="surveys", enabled=False, reason="Per ticket")

    draft = owner.post("/api/v1/scope-statements/", format="json")
    patched = owner.patch(
        "/api/v1/scope-statements/1/",
        {
            "statement": "IT operations",
            "services": ["erp"],
            "customers": [str(people.customer_b.uuid)],
            "locations": ["Shanghai"],
            "exclusions": [
                {"subject": "Surveys", "justification": "Per ticket", "module": "surveys"}
            ],
        },
        format="json",
        HTTP_IF_MATCH=draft["ETag"],
    )
    stale = owner.patch("/api/v1/scope-statements/1/", {"statement": "x"}, format="json",
                        HTTP_IF_MATCH=draft["ETag"])  # fmt: skip
    agent = api_client_for(people.agent).post("/api/v1/scope-statements/1/approve/", {})
    approved = top.post("/api/v1/scope-statements/1/approve/", {"note": "Yes"}, format="json")

    assert draft.status_code == 201
    assert draft.json()["exclusions"] == [
        {"subject": "Satisfaction surveys", "justification": "Per ticket", "module": "surveys"}
    ]
    assert patched.status_code == 200, patched.json()
    assert patched.json()["services"] == ["erp"]
    assert patched.json()["customers"] == [str(people.customer_b.uuid)]
    assert stale.status_code == 412
    assert agent.status_code == 403
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert approved.json()["approved_by"] == "top"
