"""What the set-up journey on an empty organisation (issue 7) found in the scope screens: an
empty service catalogue is pointed out with a way to fill it, and a draft started before
modules were switched off in Tailoring is offered their exclusions when edited."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from serviceloop.planning.models import ScopeStatement
from serviceloop.planning.queries_tailoring import CACHE_KEY
from serviceloop.planning.services_context import (
    scope_approval_problems,
    scope_draft_create,
    scope_missing_exclusions,
)
from serviceloop.planning.services_tailoring import module_switch, profile_apply
from serviceloop.portfolio.tests.factories import ServiceFactory

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def _fresh_switches():
    cache.delete(CACHE_KEY)
    yield
    cache.delete(CACHE_KEY)


def edit_post(formset_rows, *, statement="IT 服务管理咨询", services=(), version=1) -> dict:
    data = {
        "statement": statement,
        "services": [s.pk for s in services],
        "locations": "杭州",
        "change_summary": "",
        "version": version,
        "exclusions-TOTAL_FORMS": len(formset_rows),
        "exclusions-INITIAL_FORMS": len(formset_rows),
    }
    for n, row in enumerate(formset_rows):
        for key in ("subject", "justification", "module"):
            data[f"exclusions-{n}-{key}"] = row.get(key, "")
    return data


# --- An empty service catalogue ------------------------------------------------------------


def test_an_empty_catalogue_is_pointed_out_with_a_link_to_add_a_service(people, client_for):
    scope_draft_create(actor=people.owner)
    owner = client_for(people.owner)

    form = owner.get(reverse("scope_edit", args=[1])).content.decode()
    detail = owner.get(reverse("scope_detail", args=[1])).content.decode()

    for html in (form, detail):
        assert 'data-testid="catalogue-empty"' in html
        assert "The service catalogue is empty" in html
        assert f'href="{reverse("service_new")}" data-testid="add-service"' in html


def test_who_may_not_add_a_service_is_told_whom_to_ask(people, client_for):
    scope_draft_create(actor=people.owner)

    html = client_for(people.top).get(reverse("scope_detail", args=[1])).content.decode()

    assert 'data-testid="catalogue-empty"' in html
    assert 'data-testid="add-service"' not in html
    assert "Ask whoever manages the service catalogue" in html


def test_no_hint_once_the_catalogue_has_a_service_or_the_scope_is_approved(people, client_for):
    scope_draft_create(actor=people.owner)
    ServiceFactory(code="consulting", name="IT 服务管理咨询")
    owner = client_for(people.owner)

    form = owner.get(reverse("scope_edit", args=[1])).content.decode()
    detail = owner.get(reverse("scope_detail", args=[1])).content.decode()

    assert 'data-testid="catalogue-empty"' not in form
    assert 'data-testid="catalogue-empty"' not in detail


# --- Modules switched off after the draft was started -----------------------------------------


def test_the_edit_form_offers_the_exclusions_of_modules_switched_off_since(people, client_for):
    draft = scope_draft_create(actor=people.owner)  # nothing switched off yet
    profile_apply(actor=people.owner, profile="consulting")
    service = ServiceFactory(code="consulting", name="IT 服务管理咨询")
    owner = client_for(people.owner)

    missing = scope_missing_exclusions(draft)
    page = owner.get(reverse("scope_edit", args=[1]))
    rows = page.context["formset"].initial
    written_before_saving = draft.exclusions.count()
    saved = owner.post(reverse("scope_edit", args=[1]), edit_post(rows, services=[service]))

    assert {row["module"] for row in missing} == {"capacity", "availability", "releases", "cmdb"}
    assert all(row["justification"] for row in missing)
    assert written_before_saving == 0  # offering writes nothing
    assert rows == missing
    assert 'data-testid="exclusions-added"' in page.content.decode()
    assert saved.status_code == 302, saved.context["form"].errors
    draft = ScopeStatement.objects.get()
    assert set(draft.exclusions.values_list("module", flat=True)) == {
        "capacity",
        "availability",
        "releases",
        "cmdb",
    }
    assert scope_approval_problems(draft) == []
    assert scope_missing_exclusions(draft) == []
    again = owner.get(reverse("scope_edit", args=[1]))
    assert 'data-testid="exclusions-added"' not in again.content.decode()
    assert len(again.context["formset"].initial) == 4


def test_an_offered_row_emptied_by_the_user_is_not_saved(people, client_for):
    scope_draft_create(actor=people.owner)
    module_switch(actor=people.owner, module="surveys", enabled=False, reason="按工单调查")
    owner = client_for(people.owner)

    rows = owner.get(reverse("scope_edit", args=[1])).context["formset"].initial
    saved = owner.post(reverse("scope_edit", args=[1]), edit_post([{} for _row in rows]))

    assert rows == [
        {"subject": "Satisfaction surveys", "justification": "按工单调查", "module": "surveys"}
    ]
    assert saved.status_code == 302
    draft = ScopeStatement.objects.get()
    assert draft.exclusions.count() == 0
    assert any("Switched-off modules" in p for p in scope_approval_problems(draft))


def test_a_new_draft_still_starts_with_the_switched_off_modules(people):
    module_switch(actor=people.owner, module="budget", enabled=False, reason="不收费")

    draft = scope_draft_create(actor=people.owner)

    assert list(draft.exclusions.values_list("module", "justification")) == [("budget", "不收费")]
    assert scope_missing_exclusions(draft) == []


# --- The policy as a controlled document ----------------------------------------------------


def published(people, *, title, kind="policy", clauses="5.2"):
    from serviceloop.support import services_document_versions as versions
    from serviceloop.support import services_documents as documents

    document = documents.document_create(
        actor=people.owner, title=title, kind=kind, clauses=clauses, body="<p>方针</p>"
    )
    versions.version_transition(
        actor=people.owner, version=document.current_version, target="in_review"
    )
    versions.version_approve(actor=people.top, version=document.current_version)
    document.refresh_from_db()
    return document


def test_the_policy_pages_point_to_the_policy_document_in_force(people, client_for):
    from serviceloop.planning.queries_policy import policy_documents_in_force

    policy = published(people, title="服务管理方针", clauses="5.2, 7.5")
    sub_clause = published(people, title="方针沟通", clauses="5.2.2")
    published(people, title="信息安全方针", clauses="8.7.3")  # another policy
    published(people, title="SLA 模板", kind="form_template", clauses="5.2")  # not a policy
    published(people, title="旧条款", clauses="5.21")  # not clause 5.2
    owner = client_for(people.owner)

    listing = owner.get(reverse("policy_list")).content.decode()
    overview = owner.get(reverse("context_overview")).content.decode()

    assert list(policy_documents_in_force(people.owner)) == [policy, sub_clause]
    assert f'href="{reverse("document_detail", args=[policy.reference])}"' in listing
    assert "version 1 in force since" in listing
    assert "信息安全方针" not in listing and "SLA 模板" not in listing
    assert overview.count('data-testid="policy-document"') == 2
    assert f"{policy.reference}</a> 服务管理方针" in overview


def test_without_a_policy_document_the_list_says_how_to_write_one(people, client_for):
    owner = client_for(people.owner).get(reverse("policy_list")).content.decode()
    top = client_for(people.top).get(reverse("policy_list")).content.decode()

    assert "No policy document in force cites clause 5.2 yet." in owner
    assert f'href="{reverse("document_new")}">Write it as a controlled document</a>' in owner
    assert "No policy document in force cites clause 5.2 yet." in top
    assert "Write it as a controlled document" not in top  # top management approves only


def test_a_draft_policy_document_is_not_in_force(people):
    from serviceloop.planning.queries_policy import policy_documents_in_force
    from serviceloop.support import services_documents as documents

    documents.document_create(
        actor=people.owner, title="服务管理方针", kind="policy", clauses="5.2", body="<p>x</p>"
    )

    assert list(policy_documents_in_force(people.owner)) == []
