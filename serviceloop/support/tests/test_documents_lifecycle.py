"""The document lifecycle: draft → in review → approved → effective → obsolete, declared as
data; the author never approves his own version; named reviewers and approvers; approving a
new version makes the one in force obsolete on the new effective date, and keeps it."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from serviceloop.core.models import AuditEvent, Notification
from serviceloop.core.roles import Role
from serviceloop.core.tests.factories import UserFactory
from serviceloop.support.models import (
    VERSION_TRANSITIONS,
    Document,
    DocumentStatus,
    DocumentVersion,
    ObsoleteReason,
    VersionStatus,
)
from serviceloop.support.tests import test_documents_fixtures as fixtures

DAY = fixtures.DAY
docs = fixtures.docs  # the shared fixture

# Messages are matched in English, whatever the translations say.
pytestmark = pytest.mark.usefixtures("english")


def test_a_new_document_is_a_draft_with_a_reference_and_sanitised_text(people, docs):
    document = docs.document(
        effective=False,
        body='<p onclick="x()">方针<script>alert(1)</script></p>',
        clauses="7.5；5.2 ,7.5",
    )
    year = timezone.localdate().year

    assert document.reference == f"DOC-{year}-0001"
    assert document.status == DocumentStatus.DRAFT and document.effective_version is None
    version = document.current_version
    assert (version.number, version.status, version.author) == (1, "draft", people.owner)
    assert version.body == "<p>方针</p>"
    assert document.clauses == "7.5, 5.2"
    assert AuditEvent.objects.filter(verb="document.created", object_id=str(document.pk)).exists()


def test_bad_input_writes_nothing(people, docs):
    with pytest.raises(ValidationError) as error:
        docs.services.document_create(
            actor=people.owner, title="", kind="poem", clauses="7.x", review_interval_months=0
        )

    assert set(error.value.message_dict) == {"title", "kind", "clauses", "review_interval_months"}
    assert not Document.objects.exists() and not AuditEvent.objects.exists()


def test_read_only_and_operational_staff_may_not_write(people, docs):
    for user in (people.auditor, people.top, people.agent, people.lead, people.a_manager):
        with pytest.raises(PermissionDenied):
            docs.services.document_create(actor=user, title="X", kind="policy")


def test_the_lifecycle_is_declared_as_data():
    pairs = {(t.source, t.target) for t in VERSION_TRANSITIONS}

    assert pairs == {
        ("draft", "in_review"),
        ("in_review", "draft"),
        ("in_review", "approved"),
        ("approved", "effective"),
        ("approved", "obsolete"),
        ("effective", "obsolete"),
    }


def test_approval_makes_the_first_version_effective_today(people, docs):
    document = docs.document()
    version = document.effective_version
    today = timezone.localdate()

    assert document.status == DocumentStatus.EFFECTIVE
    assert (version.status, version.effective_from, version.approved_by) == (
        "effective",
        today,
        people.top,
    )
    assert document.next_review == today.replace(year=today.year + 1)


def test_the_author_cannot_approve_his_own_version(people, docs):
    document = docs.document(effective=False, author=people.admin)
    version = document.current_version
    docs.version_services.version_transition(
        actor=people.admin, version=version, target="in_review"
    )

    with pytest.raises(ValidationError, match="author cannot approve"):
        docs.version_services.version_approve(actor=people.admin, version=version)
    with pytest.raises(ValidationError, match="author cannot approve"):
        docs.version_services.version_transition(
            actor=people.admin, version=version, target="approved"
        )
    version.refresh_from_db()
    assert version.status == VersionStatus.IN_REVIEW


def test_the_author_cannot_be_named_approver_or_reviewer(people, docs):
    with pytest.raises(ValidationError) as error:
        docs.services.document_create(
            actor=people.owner,
            title="X",
            kind="policy",
            approvers=[people.owner],
            reviewers=[people.owner],
        )
    assert set(error.value.message_dict) == {"approvers", "reviewers"}


def test_only_approvers_may_approve_and_agents_not_at_all(people, docs):
    with pytest.raises(ValidationError, match="may not approve"):
        docs.services.document_create(
            actor=people.owner, title="X", kind="policy", approvers=[people.agent]
        )
    document = docs.document(effective=False)
    version = document.current_version
    docs.version_services.version_transition(
        actor=people.owner, version=version, target="in_review"
    )

    for user in (people.agent, people.auditor, people.lead):
        with pytest.raises(PermissionDenied):
            docs.version_services.version_approve(actor=user, version=version)


def test_named_approvers_all_sign_and_reviewers_endorse_first(people, docs):
    document = docs.document(
        effective=False, reviewers=[people.lead], approvers=[people.top, people.admin]
    )
    version = document.current_version
    docs.version_services.version_transition(
        actor=people.owner, version=version, target="in_review"
    )
    asked = Notification.objects.filter(kind="document_signoff_requested")
    assert {n.recipient for n in asked} == {people.lead, people.top, people.admin}

    with pytest.raises(ValidationError, match="Every reviewer must endorse"):
        docs.version_services.version_approve(actor=people.top, version=version)
    with pytest.raises(ValidationError):
        docs.version_services.version_review(
            actor=people.lead, version=version, decision="changes_requested"
        )  # no comment
    docs.version_services.version_review(
        actor=people.lead, version=version, decision="changes_requested", comment="第3节不清楚"
    )
    with pytest.raises(ValidationError, match="Every reviewer must endorse"):
        docs.version_services.version_approve(actor=people.top, version=version)
    with pytest.raises(PermissionDenied):
        docs.version_services.version_review(
            actor=people.agent, version=version, decision="endorsed"
        )
    docs.version_services.version_review(actor=people.lead, version=version, decision="endorsed")
    second_admin = UserFactory(
        username="admin2", role=Role.PROVIDER_ADMIN, organisation=people.provider
    )
    with pytest.raises(PermissionDenied, match="approvers named"):
        docs.version_services.version_approve(actor=second_admin, version=version)

    docs.version_services.version_approve(actor=people.top, version=version)
    version.refresh_from_db()
    assert version.status == VersionStatus.IN_REVIEW  # the administrator has not signed
    with pytest.raises(ValidationError, match="already approved"):
        docs.version_services.version_approve(actor=people.top, version=version)

    docs.version_services.version_approve(actor=people.admin, version=version)
    version.refresh_from_db()
    assert version.status == VersionStatus.EFFECTIVE and version.approved_by == people.admin


def test_returning_to_draft_opens_a_new_round_of_signoffs(people, docs):
    document = docs.document(effective=False, approvers=[people.top, people.admin])
    version = document.current_version
    move = docs.version_services.version_transition
    move(actor=people.owner, version=version, target="in_review")
    docs.version_services.version_approve(actor=people.top, version=version)
    move(actor=people.top, version=version, target="draft", comment="请补充附录")
    docs.version_services.version_update(
        actor=people.owner, version=version, body="<p>补充了附录</p>"
    )
    move(actor=people.owner, version=version, target="in_review")
    docs.version_services.version_approve(actor=people.admin, version=version)

    version.refresh_from_db()
    assert version.round == 2
    assert version.status == VersionStatus.IN_REVIEW  # top's round-1 approval does not count
    docs.version_services.version_approve(actor=people.top, version=version)
    version.refresh_from_db()
    assert version.status == VersionStatus.EFFECTIVE


def test_a_version_in_review_is_frozen(people, docs):
    document = docs.document(effective=False)
    version = document.current_version
    docs.version_services.version_transition(
        actor=people.owner, version=version, target="in_review"
    )

    with pytest.raises(ValidationError, match="Only a draft"):
        docs.version_services.version_update(actor=people.owner, version=version, body="changed")


def test_approving_a_new_version_makes_the_previous_obsolete_and_keeps_it(people, docs):
    document = docs.document()
    first = document.effective_version
    second = docs.revise(document, change_summary="增加第三方访问控制")
    with pytest.raises(ValidationError, match="still open"):
        docs.revise(document)
    docs.version_services.version_transition(actor=people.owner, version=second, target="in_review")
    docs.version_services.version_approve(actor=people.top, version=second)

    first.refresh_from_db()
    second.refresh_from_db()
    document.refresh_from_db()
    today = timezone.localdate()
    assert (second.status, second.effective_from) == ("effective", today)
    assert (first.status, first.obsolete_from, first.obsolete_reason) == (
        "obsolete",
        today,
        ObsoleteReason.SUPERSEDED,
    )
    assert first.superseded_by == second
    assert document.effective_version == second
    assert DocumentVersion.objects.filter(document=document).count() == 2
    assert DocumentVersion.objects.filter(document=document, status="effective").count() == 1


def test_a_future_effective_date_keeps_the_old_version_in_force_until_then(people, docs):
    document = docs.document()
    first = document.effective_version
    start = timezone.localdate() + 10 * DAY
    second = docs.revise(document, planned_effective=start)
    docs.version_services.version_transition(actor=people.owner, version=second, target="in_review")
    docs.version_services.version_approve(actor=people.top, version=second)
    second.refresh_from_db()
    first.refresh_from_db()
    assert (second.status, second.effective_from) == ("approved", start)
    assert first.status == "effective"

    assert docs.version_services.documents_take_effect(today=start - DAY) == 0
    assert docs.version_services.documents_take_effect(today=start + DAY) == 1
    assert docs.version_services.documents_take_effect(today=start + DAY) == 0

    first.refresh_from_db()
    second.refresh_from_db()
    document.refresh_from_db()
    # obsolete on the new version's effective date, even though the task ran a day late
    assert (first.status, first.obsolete_from) == ("obsolete", start)
    assert (second.status, second.effective_from) == ("effective", start)
    assert document.next_review == start.replace(year=start.year + 1)


def test_put_into_effect_now_and_withdraw(people, docs):
    document = docs.document()
    second = docs.revise(document, planned_effective=timezone.localdate() + 30 * DAY)
    move = docs.version_services.version_transition
    move(actor=people.owner, version=second, target="in_review")
    docs.version_services.version_approve(actor=people.top, version=second)
    with pytest.raises(PermissionDenied):
        move(actor=people.top, version=second, target="effective")  # editors only
    move(actor=people.owner, version=second, target="effective")
    second.refresh_from_db()
    assert second.effective_from == timezone.localdate()

    move(actor=people.admin, version=second, target="obsolete")
    document.refresh_from_db()
    second.refresh_from_db()
    assert document.status == DocumentStatus.WITHDRAWN and document.effective_version is None
    assert second.obsolete_reason == ObsoleteReason.WITHDRAWN
    with pytest.raises(ValidationError, match="withdrawn"):
        docs.revise(document)


def test_an_undeclared_move_is_refused(people, docs):
    document = docs.document(effective=False)
    version = document.current_version

    with pytest.raises(ValidationError) as error:
        docs.version_services.version_transition(
            actor=people.owner, version=version, target="effective"
        )
    assert "status" in error.value.message_dict
    with pytest.raises(ValidationError):
        docs.version_services.version_transition(
            actor=people.owner, version=version, target="bogus"
        )
    with pytest.raises(ValidationError, match="Write the version"):
        blank = docs.document(effective=False, body="")
        docs.version_services.version_transition(
            actor=people.owner, version=blank.current_version, target="in_review"
        )


def test_the_periodic_review_moves_the_next_review(people, docs):
    document = docs.document(review_interval_months=6)
    today = timezone.localdate()

    with pytest.raises(PermissionDenied):
        docs.services.document_mark_reviewed(actor=people.agent, document=document)
    docs.services.document_mark_reviewed(actor=people.owner, document=document)
    document.refresh_from_db()
    assert document.last_reviewed_at is not None
    assert document.next_review > today + datetime.timedelta(days=170)
    with pytest.raises(ValidationError):
        docs.services.document_mark_reviewed(
            actor=people.owner, document=document, next_review=today
        )


def test_add_months_clamps_the_day():
    from serviceloop.support.services_documents import add_months

    assert add_months(datetime.date(2026, 1, 31), 1) == datetime.date(2026, 2, 28)
    assert add_months(datetime.date(2026, 11, 30), 3) == datetime.date(2027, 2, 28)
    assert add_months(datetime.date(2024, 2, 29), 12) == datetime.date(2025, 2, 28)
