"""What the set-up journey on an empty organisation (issue 7) found in the support screens:
the author of a version in review is told who approves it (a lone owner approves it himself,
as a recorded exception), and a new training session with no course yet says where to add
one."""

import re

import pytest
from django.urls import reverse

from serviceloop.core.roles import Role
from serviceloop.core.tests.factories import OrganisationFactory, UserFactory
from serviceloop.support import services_document_versions as version_services
from serviceloop.support import services_documents as services
from serviceloop.support.queries_documents import approvers_besides_author

pytestmark = pytest.mark.usefixtures("english")


def submitted_policy(author, **kwargs):
    document = services.document_create(
        actor=author, title="服务管理方针", kind="policy", body="<p>方针</p>", **kwargs
    )
    version = document.current_version
    version_services.version_transition(actor=author, version=version, target="in_review")
    return document, version


def version_page(client, document, version):
    return client.get(reverse("document_version", args=[document.reference, version.number]))


def author_note(html: str) -> str:
    """The text of the note to the author ("" when the page has none)."""
    found = re.search(r'data-testid="author-cannot-approve">(.*?)</div>', html, re.S)
    return " ".join(found.group(1).split()) if found else ""


def test_the_author_is_told_who_approves_his_version(people, client_for):
    document, version = submitted_policy(people.owner)

    page = version_page(client_for(people.owner), document, version)
    for_top = version_page(client_for(people.top), document, version)

    html = page.content.decode()
    note = author_note(html)
    assert page.status_code == 200
    assert note.startswith("You wrote this version, so someone else approves it:")
    assert str(people.top) in note and str(people.admin) in note
    assert str(people.agent) not in note  # an agent may not approve documents
    assert 'data-testid="approve-form"' not in html
    # the approver gets the form, not the note
    assert author_note(for_top.content.decode()) == ""
    assert 'data-testid="approve-form"' in for_top.content.decode()


def test_named_approvers_are_the_ones_the_author_waits_for(people, client_for):
    document, version = submitted_policy(people.owner, approvers=[people.top])

    html = version_page(client_for(people.owner), document, version).content.decode()

    assert list(approvers_besides_author(version)) == [people.top]
    assert (
        author_note(html) == f"You wrote this version, so someone else approves it: {people.top}."
    )


def test_a_lone_owner_may_approve_as_a_recorded_exception_instead_of_waiting(db, client_for):
    OrganisationFactory(provider=True)
    owner = UserFactory(username="owner", role=Role.SYSTEM_OWNER, language="en")
    UserFactory(username="agent", role=Role.AGENT)  # staff, but may not approve documents
    UserFactory(username="gone", role=Role.TOP_MANAGEMENT, is_active=False)
    document, version = submitted_policy(owner)

    html = version_page(client_for(owner), document, version).content.decode()

    assert list(approvers_besides_author(version)) == []
    # nobody else may approve: no note to wait, the approve form asks him why instead
    assert author_note(html) == ""
    assert 'data-testid="approve-form"' in html and 'data-testid="self-approval-hint"' in html


def test_no_note_outside_review(people, client_for):
    document = services.document_create(
        actor=people.owner, title="服务管理方针", kind="policy", body="<p>方针</p>"
    )
    version = document.current_version

    html = version_page(client_for(people.owner), document, version).content.decode()

    assert author_note(html) == ""


def test_a_new_session_without_any_course_says_where_to_add_one(people, client_for):
    from serviceloop.support.services_training import course_create

    client = client_for(people.owner)
    empty = client.get(reverse("training_session_new"))
    course = course_create(actor=people.owner, title="ISO/IEC 20000-1 意识培训")
    with_course = client.get(reverse("training_session_new"))

    assert empty.status_code == 200
    html = empty.content.decode()
    assert 'data-testid="no-course"' in html
    assert f'href="{reverse("training_course_new")}">Add the course first</a>' in html
    assert with_course.status_code == 200
    assert 'data-testid="no-course"' not in with_course.content.decode()
    assert f'<option value="{course.pk}">' in with_course.content.decode()


def test_a_new_session_still_needs_a_course_and_writes_nothing(people, client_for):
    from serviceloop.support.models import TrainingSession

    page = client_for(people.owner).post(reverse("training_session_new"), {"held_on": "2026-11-20"})

    assert page.status_code == 200
    assert 'data-testid="no-course"' in page.content.decode()
    assert "This field is required." in page.content.decode()
    assert not TrainingSession.objects.exists()


def test_an_agent_may_not_open_the_new_session_page(people, client_for):
    assert client_for(people.agent).get(reverse("training_session_new")).status_code == 403
