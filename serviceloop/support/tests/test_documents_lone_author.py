"""The lone author's exception (clause 7.5): a version's author never approves or reviews his
own version, except while nobody else in his organisation may (a small provider whose one
management-system owner sets ServiceLoop up). Then he signs with a written reason, recorded
as an exception on the version, the sign-off, the audit row, the pages, the controlled PDF
and the API; as soon as someone else may sign, he is refused again and told who may."""

import re
import shutil

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from serviceloop.core.models import AuditEvent
from serviceloop.core.roles import Role
from serviceloop.core.tests.factories import OrganisationFactory, UserFactory
from serviceloop.support import services_document_versions as version_services
from serviceloop.support import services_documents as services
from serviceloop.support.models import DocumentSignoff, DocumentVersion, VersionStatus

pytestmark = pytest.mark.usefixtures("english")

REASON = "We are a team of one: the owner is the only person who may approve documents."


def person(username, role, **kwargs):
    kwargs.setdefault("language", "en")
    return UserFactory(username=username, role=role, **kwargs)


@pytest.fixture
def lone(db):
    """The provider and its one management-system owner; an agent (staff, but no approver),
    a former top manager (inactive) and a customer's manager, none of whom may approve."""
    provider = OrganisationFactory(provider=True)
    owner = person("owner", Role.SYSTEM_OWNER, display_name="Li Min")
    agent = person("agent", Role.AGENT)
    person("gone", Role.TOP_MANAGEMENT, is_active=False)
    person("customer", Role.CUSTOMER_MANAGER)
    return provider, owner, agent


def submitted(author, **kwargs):
    document = services.document_create(
        actor=author, title="服务管理方针 Policy", kind="policy", body="<p>方针</p>", **kwargs
    )
    version = document.current_version
    version_services.version_transition(actor=author, version=version, target="in_review")
    return document, version


def audit_rows(verb):
    return list(AuditEvent.objects.filter(verb=verb).order_by("id"))


# --- Approving ------------------------------------------------------------------------------


def test_the_lone_owner_approves_his_own_version_as_a_recorded_exception(lone):
    _provider, owner, _agent = lone
    document, version = submitted(owner)

    version_services.version_transition(
        actor=owner, version=version, target="approved", exception_reason=f"  {REASON}  "
    )

    version.refresh_from_db()
    document.refresh_from_db()
    assert version.status == VersionStatus.EFFECTIVE and document.effective_version == version
    assert version.approved_by == owner and version.approved_by_author is True
    assert version.approval_exception_reason == REASON
    signoff = DocumentSignoff.objects.get(version=version)
    assert (signoff.person, signoff.kind, signoff.by_author) == (owner, "approval", True)
    assert signoff.exception_reason == REASON
    (row,) = audit_rows("document.version_approved")
    assert row.payload["approved_by_author"] is True
    assert row.payload["exception_reason"] == REASON
    assert row.actor == owner


def test_without_a_reason_nothing_changes(lone):
    _provider, owner, _agent = lone
    _document, version = submitted(owner)
    before = AuditEvent.objects.count()

    for reason in ("", "   "):
        with pytest.raises(ValidationError) as error:
            version_services.version_approve(actor=owner, version=version, exception_reason=reason)
        assert error.value.message_dict == {
            "exception_reason": [
                "Nobody else may approve documents, so you approve your own version only as "
                "a recorded exception: say why."
            ]
        }

    version.refresh_from_db()
    assert version.status == VersionStatus.IN_REVIEW and not version.approved_by_author
    assert not DocumentSignoff.objects.exists()
    assert AuditEvent.objects.count() == before


def test_a_second_approver_ends_the_exception_and_is_named(lone):
    _provider, owner, _agent = lone
    _document, version = submitted(owner)
    person("ceo", Role.TOP_MANAGEMENT, display_name="Wang Zong")
    before = AuditEvent.objects.count()

    with pytest.raises(ValidationError) as error:
        version_services.version_approve(actor=owner, version=version, exception_reason=REASON)

    assert error.value.messages == [
        "The author cannot approve his own version: Wang Zong may approve it."
    ]
    version.refresh_from_db()
    assert version.status == VersionStatus.IN_REVIEW and version.approval_exception_reason == ""
    assert not DocumentSignoff.objects.exists() and AuditEvent.objects.count() == before


def test_with_the_full_cast_the_author_is_refused_and_told_who_approves(people):
    _document, version = submitted(people.owner)

    with pytest.raises(ValidationError) as error:
        version_services.version_approve(
            actor=people.owner, version=version, exception_reason=REASON
        )

    message = error.value.messages[0]
    assert message.startswith("The author cannot approve his own version: ")
    assert str(people.top) in message and str(people.admin) in message
    assert str(people.agent) not in message


def test_people_of_another_organisation_do_not_count(lone):
    _provider, owner, _agent = lone
    other = OrganisationFactory(name="Elsewhere Ltd")
    person("elsewhere", Role.TOP_MANAGEMENT, organisation=other)
    _document, version = submitted(owner)

    version_services.version_approve(actor=owner, version=version, exception_reason=REASON)

    version.refresh_from_db()
    assert version.approved_by_author and version.status == VersionStatus.EFFECTIVE


def test_only_an_author_signing_his_own_version_gives_a_reason(people):
    _document, version = submitted(people.owner)

    with pytest.raises(ValidationError) as error:
        version_services.version_approve(actor=people.top, version=version, exception_reason="x")
    with pytest.raises(ValidationError) as moved:
        version_services.version_transition(
            actor=people.owner, version=version, target="draft", exception_reason="x"
        )

    assert set(error.value.message_dict) == {"exception_reason"}
    assert set(moved.value.message_dict) == {"exception_reason"}
    version.refresh_from_db()
    assert version.status == VersionStatus.IN_REVIEW and not DocumentSignoff.objects.exists()
    # without it, top management approves as always, and nothing is marked as an exception
    version_services.version_approve(actor=people.top, version=version)
    version.refresh_from_db()
    assert version.approved_by == people.top and not version.approved_by_author


def test_the_author_still_waits_for_the_reviewers_he_named(lone):
    _provider, owner, agent = lone
    _document, version = submitted(owner, reviewers=[agent])

    with pytest.raises(ValidationError, match="Every reviewer must endorse"):
        version_services.version_approve(actor=owner, version=version, exception_reason=REASON)
    version_services.version_review(actor=agent, version=version, decision="endorsed")
    version_services.version_approve(actor=owner, version=version, exception_reason=REASON)

    version.refresh_from_db()
    assert version.status == VersionStatus.EFFECTIVE and version.approved_by_author


# --- Reviewing ------------------------------------------------------------------------------


@pytest.fixture
def alone(db):
    """The provider's only member of staff: its management-system owner."""
    OrganisationFactory(provider=True)
    return person("owner", Role.SYSTEM_OWNER, display_name="Li Min")


def test_alone_the_author_may_review_his_own_version_with_a_reason(alone):
    owner = alone
    _document, version = submitted(owner, reviewers=[owner])
    before = AuditEvent.objects.count()

    with pytest.raises(ValidationError) as error:
        version_services.version_review(actor=owner, version=version, decision="endorsed")
    assert set(error.value.message_dict) == {"exception_reason"}
    assert not DocumentSignoff.objects.exists() and AuditEvent.objects.count() == before

    signoff = version_services.version_review(
        actor=owner, version=version, decision="endorsed", exception_reason=REASON
    )
    version_services.version_approve(actor=owner, version=version, exception_reason=REASON)

    assert (signoff.kind, signoff.by_author, signoff.exception_reason) == ("review", True, REASON)
    (row,) = audit_rows("document.version_reviewed")
    assert row.payload["by_author"] is True and row.payload["exception_reason"] == REASON
    version.refresh_from_db()
    assert version.status == VersionStatus.EFFECTIVE


def test_with_other_staff_the_author_is_not_named_reviewer(lone):
    _provider, owner, _agent = lone

    with pytest.raises(ValidationError) as error:
        services.document_create(actor=owner, title="X", kind="policy", reviewers=[owner])

    assert error.value.message_dict == {"reviewers": ["The author cannot review his own version."]}


def test_a_second_member_of_staff_ends_the_review_exception(alone):
    owner = alone
    _document, version = submitted(owner, reviewers=[owner])
    person("agent", Role.AGENT, display_name="Zhang San")

    with pytest.raises(ValidationError) as error:
        version_services.version_review(
            actor=owner, version=version, decision="endorsed", exception_reason=REASON
        )

    assert error.value.messages == [
        "The author cannot review his own version: Zhang San may review it. Return the "
        "version to draft and name them as reviewers."
    ]
    assert not DocumentSignoff.objects.exists()


# --- Screens --------------------------------------------------------------------------------


def version_url(document, number=1):
    return reverse("document_version", args=[document.reference, number])


def test_the_approve_form_asks_the_lone_owner_why(lone, client_for):
    _provider, owner, _agent = lone
    document, version = submitted(owner)
    client = client_for(owner)

    page = client.get(version_url(document))
    html = page.content.decode()

    assert page.context["self_approval"] and page.context["may_approve"]
    assert 'data-testid="approve-form"' in html and 'data-testid="self-approval-hint"' in html
    assert 'name="exception_reason"' in html
    assert 'data-testid="author-cannot-approve"' not in html

    move = reverse("document_version_move", args=[document.reference, 1])
    refused = client.post(move, {"target": "approved"}, follow=True)
    assert "you approve your own version only as a recorded exception" in refused.content.decode()
    version.refresh_from_db()
    assert version.status == VersionStatus.IN_REVIEW

    client.post(move, {"target": "approved", "exception_reason": REASON})
    version.refresh_from_db()
    assert version.status == VersionStatus.EFFECTIVE and version.approved_by_author

    badge = f"Approved by its author — no other approver available: {REASON}"
    for url in (version_url(document), reverse("document_detail", args=[document.reference])):
        assert badge in client.get(url).content.decode()
    # a member of staff reading the document in force sees it too
    reader = client_for(lone[2]).get(reverse("document_detail", args=[document.reference]))
    assert badge in reader.content.decode()


def test_with_a_second_approver_the_form_has_no_reason_field(people, client_for):
    document, _version = submitted(people.owner)

    html = client_for(people.owner).get(version_url(document)).content.decode()

    assert 'data-testid="approve-form"' not in html and 'name="exception_reason"' not in html
    assert 'data-testid="author-cannot-approve"' in html and str(people.top) in html


def test_the_lone_owners_review_form_asks_why(alone, client_for):
    owner = alone
    document, version = submitted(owner, reviewers=[owner])
    client = client_for(owner)

    html = client.get(version_url(document)).content.decode()
    assert 'data-testid="self-review-hint"' in html and 'name="exception_reason"' in html

    review = reverse("document_version_review", args=[document.reference, 1])
    client.post(review, {"decision": "endorsed", "exception_reason": REASON})

    signoff = DocumentSignoff.objects.get(version=version)
    assert signoff.by_author and signoff.exception_reason == REASON
    history = client.get(version_url(document)).content.decode()
    assert f"Reviewed by its author — no other reviewer available: {REASON}" in history


def test_the_register_lists_the_versions_signed_by_their_author(lone, client_for):
    _provider, owner, _agent = lone
    document, version = submitted(owner)
    version_services.version_approve(actor=owner, version=version, exception_reason=REASON)
    ceo = person("ceo", Role.TOP_MANAGEMENT)
    other, second = submitted(owner)
    version_services.version_approve(actor=ceo, version=second)
    client = client_for(owner)

    everything = client.get(reverse("document_list"))
    filtered = client.get(reverse("document_list"), {"self_signed": "on"})

    assert {d.reference for d in everything.context["page"]} == {
        document.reference,
        other.reference,
    }
    assert [d.reference for d in filtered.context["page"]] == [document.reference]
    assert 'data-testid="self-signed"' in filtered.content.decode()
    export = client.get(reverse("document_list"), {"self_signed": "on", "format": "csv"})
    assert "Approved or reviewed by its author" in export.content.decode("utf-8-sig")


# --- API and PDF ----------------------------------------------------------------------------


def test_the_api_takes_the_reason_and_shows_the_exception(lone, api_client_for):
    _provider, owner, _agent = lone
    _document, version = submitted(owner)
    client = api_client_for(owner)
    url = f"/api/v1/document-versions/{version.uuid}/"

    missing = client.post(f"{url}transition/", {"target": "approved"}, format="json")
    assert missing.status_code == 400 and "exception_reason" in missing.json()
    assert DocumentVersion.objects.get(pk=version.pk).status == VersionStatus.IN_REVIEW

    approved = client.post(
        f"{url}transition/", {"target": "approved", "exception_reason": REASON}, format="json"
    )
    assert approved.status_code == 200, approved.content
    body = approved.json()
    assert body["approved_by_author"] is True and body["approval_exception_reason"] == REASON
    signoffs = client.get(f"{url}signoffs/").json()
    assert [(s["kind"], s["by_author"], s["exception_reason"]) for s in signoffs] == [
        ("approval", True, REASON)
    ]
    listed = client.get("/api/v1/documents/", {"self_signed": "true"}).json()["results"]
    assert [d["reference"] for d in listed] == [version.document.reference]


def test_the_api_refuses_the_author_when_someone_else_may_approve(people, api_client_for):
    _document, version = submitted(people.owner)

    refused = api_client_for(people.owner).post(
        f"/api/v1/document-versions/{version.uuid}/transition/",
        {"target": "approved", "exception_reason": REASON},
        format="json",
    )

    assert refused.status_code == 400
    assert str(people.top) in str(refused.json()) and "cannot approve" in str(refused.json())
    assert not DocumentSignoff.objects.exists()


def test_the_api_takes_the_reason_for_the_authors_own_review(alone, api_client_for):
    owner = alone
    _document, version = submitted(owner, reviewers=[owner])
    client = api_client_for(owner)
    url = f"/api/v1/document-versions/{version.uuid}/review/"

    missing = client.post(url, {"decision": "endorsed"}, format="json")
    reviewed = client.post(url, {"decision": "endorsed", "exception_reason": REASON}, format="json")

    assert missing.status_code == 400 and "exception_reason" in missing.json()
    assert reviewed.status_code == 200, reviewed.content
    assert reviewed.json()["by_author"] is True
    assert reviewed.json()["exception_reason"] == REASON
    assert DocumentSignoff.objects.get(version=version).by_author


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (pdftotext)")
def test_the_controlled_pdf_carries_the_exception(lone, client_for):
    from serviceloop.support.tests.test_documents_screens import pdf_text

    _provider, owner, _agent = lone
    document, version = submitted(owner)
    version_services.version_approve(actor=owner, version=version, exception_reason=REASON)

    response = client_for(owner).get(reverse("document_version_pdf", args=[document.reference, 1]))
    text = " ".join(pdf_text(response.content).split())

    assert response.status_code == 200
    assert "Approved by its author — no other approver available:" in text
    assert re.search(r"We are a team of one", text)
    assert "(approved by its author)" in text
