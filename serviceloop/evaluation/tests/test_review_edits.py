"""Decisions and actions of a management review are changed until the chair approves the
minutes, then read-only: through the services (audit rows with before and after), the
screens (edit links, the read-only message) and the API (ETag / If-Match, 400 once approved,
403 to staff who may not, 404 to customers)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from serviceloop.core.models import AuditEvent, Notification
from serviceloop.evaluation.models import InputCode, ReviewAction, ReviewDecision
from serviceloop.evaluation.services_actions_reviews import (
    review_action_transition,
    review_action_update,
)
from serviceloop.evaluation.services_reviews import (
    review_decision_record,
    review_decision_update,
    review_transition,
)
from serviceloop.evaluation.tests.steps_reviews import approve, decide, hold_meeting, input_of

pytestmark = pytest.mark.usefixtures("english")

FROZEN = "The minutes are approved: the decisions and actions are read-only."


def soon(days=14):
    return timezone.localdate() + datetime.timedelta(days=days)


@pytest.fixture
def meeting(people, review):
    """A review in its meeting with decision D1 and action A1 on the KPI input."""
    review = hold_meeting(people, review, now=timezone.now())
    decide(people, review, due_on=soon(), now=timezone.now())
    return review


def decision_of(review, number=1) -> ReviewDecision:
    return ReviewDecision.objects.get(review=review, number=number)


def action_of(review, number=1) -> ReviewAction:
    return ReviewAction.objects.select_related("review").get(review=review, number=number)


def page_url(review, tail=""):
    return f"/management-reviews/{review.reference}/{tail}"


# --- Services ------------------------------------------------------------------------------------


def test_a_decision_is_changed_in_the_meeting_and_after_it_ends_with_before_and_after(
    people, meeting
):
    decision = review_decision_update(actor=people.top, decision=decision_of(meeting),
                                      text="Add lunch-time cover on the desk from May.")  # fmt: skip
    assert (decision.text, decision.version) == ("Add lunch-time cover on the desk from May.", 2)
    event = AuditEvent.objects.get(verb="management_review.decision_updated")
    assert event.actor == people.top and event.object_id == str(decision.pk)
    assert event.payload["text"] == ["Add lunch-time cover on the desk.",
                                     "Add lunch-time cover on the desk from May."]  # fmt: skip
    assert event.payload["number"] == 1 and event.payload["review"] == meeting.reference
    review_transition(actor=people.top, review=meeting, target="minutes_draft")
    drafted = review_decision_update(actor=people.top, decision=decision, text="Cover from June.",
                                     expected_version=2)  # fmt: skip
    assert drafted.version == 3
    unchanged = review_decision_update(actor=people.top, decision=drafted, text="Cover from June.")
    assert unchanged.version == 3  # nothing changed: no new row
    assert AuditEvent.objects.filter(verb="management_review.decision_updated").count() == 2


def test_decision_changes_refused_stale_empty_or_by_others(people, meeting):
    decision = decision_of(meeting)
    with pytest.raises(PermissionDenied):
        review_decision_update(actor=people.owner, decision=decision, text="Mine")
    with pytest.raises(ValidationError) as empty:
        review_decision_update(actor=people.top, decision=decision, text="  ")
    assert "text" in empty.value.message_dict
    with pytest.raises(ValidationError) as stale:
        review_decision_update(actor=people.top, decision=decision, text="New", expected_version=7)
    assert stale.value.error_list[0].code == "stale"
    assert decision_of(meeting).text == "Add lunch-time cover on the desk."
    assert not AuditEvent.objects.filter(verb="management_review.decision_updated").exists()


def test_an_action_is_changed_until_approval_with_before_and_after(people, meeting):
    review_decision_record(actor=people.top, review_input=input_of(meeting, InputCode.KPIS),
                           text="Measure the lunch-time queue.")  # fmt: skip
    other_input = review_decision_record(
        actor=people.top, review_input=input_of(meeting, InputCode.RISKS), text="UPS."
    )
    action = action_of(meeting)
    changed = review_action_update(
        actor=people.owner, action=action, description="Change the desk rota for lunch",
        owner=people.agent, due_on=soon(30), decision=decision_of(meeting, 2),
        expected_version=1,
    )  # fmt: skip
    assert (changed.owner, changed.due_on, changed.decision.number, changed.version) == (
        people.agent, soon(30), 2, 2,
    )  # fmt: skip
    event = AuditEvent.objects.get(verb="management_review.action_updated")
    assert event.actor == people.owner
    assert event.payload["description"] == ["Change the desk rota",
                                            "Change the desk rota for lunch"]  # fmt: skip
    assert event.payload["owner"] == [people.lead.pk, people.agent.pk]
    assert event.payload["due_on"] == [soon().isoformat(), soon(30).isoformat()]
    assert event.payload["decision"] == [decision_of(meeting, 1).pk, decision_of(meeting, 2).pk]
    assert Notification.objects.filter(recipient=people.agent, kind="review_action_assigned")
    for bad, field in (
        ({"decision": other_input}, "decision"),  # a decision on another input
        ({"due_on": timezone.localdate() - datetime.timedelta(days=1)}, "due_on"),
        ({"description": ""}, "description"),
        ({"owner": people.a_manager}, "owner"),
    ):
        with pytest.raises(ValidationError) as refused:
            review_action_update(actor=people.top, action=changed, **bad)
        assert field in refused.value.message_dict
    unlinked = review_action_update(actor=people.top, action=changed, decision=None)
    assert unlinked.decision is None
    with pytest.raises(PermissionDenied):
        review_action_update(actor=people.lead, action=unlinked, description="Mine")


def test_after_the_chair_approves_decisions_and_actions_are_read_only(people, meeting):
    approve(people, meeting)
    decision, action = decision_of(meeting), action_of(meeting)
    with pytest.raises(ValidationError) as on_decision:
        review_decision_update(actor=people.top, decision=decision, text="Too late")
    assert on_decision.value.messages == [FROZEN]
    with pytest.raises(ValidationError) as on_action:
        review_action_update(actor=people.top, action=action, due_on=soon(60))
    assert on_action.value.messages == [FROZEN]
    assert decision_of(meeting).text == "Add lunch-time cover on the desk."
    assert action_of(meeting).due_on == soon()
    # the action still moves to its closure
    done = review_action_transition(actor=people.lead, action=action, target="done",
                                    note="New rota.")  # fmt: skip
    assert done.status == "done"


# --- Screens -------------------------------------------------------------------------------------


def test_edit_links_in_the_meeting_and_the_read_only_note_after_approval(
    people, meeting, client_for
):
    top = client_for(people.top)
    html = top.get(page_url(meeting)).content.decode()
    assert 'data-testid="edit-D1"' in html and 'data-testid="edit-A1"' in html
    assert 'data-testid="records-frozen"' not in html
    agent_html = client_for(people.agent).get(page_url(meeting)).content.decode()
    assert 'data-testid="edit-D1"' not in agent_html and 'data-testid="edit-A1"' not in agent_html
    approve(people, meeting)
    html = top.get(page_url(meeting)).content.decode()
    assert 'data-testid="edit-D1"' not in html and 'data-testid="edit-A1"' not in html
    assert FROZEN in html


def test_decision_edit_page_saves_and_refuses_after_approval(people, meeting, client_for):
    top = client_for(people.top)
    form = top.get(page_url(meeting, "decisions/1/edit/"))
    assert form.status_code == 200 and "Add lunch-time cover" in form.content.decode()
    saved = top.post(page_url(meeting, "decisions/1/edit/"),
                     {"text": "Cover lunch from May.", "version": "1"})  # fmt: skip
    assert saved.status_code == 302 and saved["Location"].endswith("#input-kpis")
    assert decision_of(meeting).text == "Cover lunch from May."
    stale = top.post(page_url(meeting, "decisions/1/edit/"), {"text": "Old", "version": "1"})
    assert stale.status_code == 200 and "Someone changed this record" in stale.content.decode()
    empty = top.post(page_url(meeting, "decisions/1/edit/"), {"text": "", "version": "2"})
    assert empty.status_code == 200 and decision_of(meeting).text == "Cover lunch from May."
    assert client_for(people.owner).get(page_url(meeting, "decisions/1/edit/")).status_code == 403
    assert (
        client_for(people.a_manager).get(page_url(meeting, "decisions/1/edit/")).status_code == 404
    )
    assert top.get(page_url(meeting, "decisions/9/edit/")).status_code == 404
    approve(people, meeting)
    refused = top.post(page_url(meeting, "decisions/1/edit/"), {"text": "Late", "version": "2"},
                       follow=True)  # fmt: skip
    assert FROZEN in refused.content.decode()
    assert decision_of(meeting).text == "Cover lunch from May."


def test_action_edit_page_saves_the_decision_and_refuses_after_approval(
    people, meeting, client_for
):
    owner = client_for(people.owner)
    data = {"description": "Rota for lunch", "owner": people.agent.pk,
            "due_on": soon(20).isoformat(), "decision": "1", "version": "1"}  # fmt: skip
    saved = owner.post(page_url(meeting, "actions/1/edit/"), data)
    assert saved.status_code == 302
    action = action_of(meeting)
    assert (action.description, action.owner, action.due_on) == (
        "Rota for lunch", people.agent, soon(20),
    )  # fmt: skip
    past = owner.post(page_url(meeting, "actions/1/edit/"),
                      {**data, "due_on": "2020-01-01", "version": "2"})  # fmt: skip
    assert (
        past.status_code == 200 and "The due date cannot be in the past." in past.content.decode()
    )
    assert client_for(people.lead).get(page_url(meeting, "actions/1/edit/")).status_code == 403
    approve(people, meeting)
    refused = owner.get(page_url(meeting, "actions/1/edit/"), follow=True)
    assert FROZEN in refused.content.decode()
    assert (
        owner.post(page_url(meeting, "actions/1/edit/"), {**data, "version": "2"}).status_code
        == 302
    )
    assert action_of(meeting).description == "Rota for lunch"


# --- API -------------------------------------------------------------------------------------------


def test_api_changes_a_decision_with_if_match_then_400_once_approved(
    people, meeting, api_client_for
):
    path = f"/api/v1/management-reviews/{meeting.reference}/decisions/1/"
    top = api_client_for(people.top)
    read = top.get(path)
    assert read.status_code == 200 and read["ETag"] == '"1"' and read.json()["input"] == "kpis"
    changed = top.patch(path, {"text": "Cover lunch."}, format="json", HTTP_IF_MATCH='"1"')
    assert changed.status_code == 200 and changed["ETag"] == '"2"'
    assert changed.json()["text"] == "Cover lunch."
    assert top.patch(path, {"text": "Old"}, format="json", HTTP_IF_MATCH='"1"').status_code == 412
    assert top.patch(path, {"text": ""}, format="json").status_code == 400
    assert api_client_for(people.agent).patch(path, {"text": "x"}, format="json").status_code == 403
    assert api_client_for(people.a_manager).get(path).status_code == 404
    assert (
        top.get(f"/api/v1/management-reviews/{meeting.reference}/decisions/5/").status_code == 404
    )
    approve(people, meeting)
    late = top.patch(path, {"text": "Late"}, format="json")
    assert late.status_code == 400 and FROZEN in str(late.json())
    assert decision_of(meeting).text == "Cover lunch."
    listed = top.get(f"/api/v1/management-reviews/{meeting.reference}/decisions/").json()
    assert [(d["number"], d["version"]) for d in listed] == [(1, 2)]


def test_api_changes_an_action_with_if_match_then_400_once_approved(
    people, meeting, api_client_for
):
    action = action_of(meeting)
    path = f"/api/v1/management-review-actions/{action.uuid}/"
    top = api_client_for(people.top)
    assert top.get(path)["ETag"] == '"1"'
    body = {"description": "Rota for lunch", "owner": "agent", "due_on": soon(21).isoformat(),
            "decision": None}  # fmt: skip
    changed = top.patch(path, body, format="json", HTTP_IF_MATCH='"1"')
    assert changed.status_code == 200, changed.content
    assert changed["ETag"] == '"2"'
    assert (changed.json()["owner"], changed.json()["decision"]) == ("agent", None)
    assert top.patch(path, {"decision": 1}, format="json", HTTP_IF_MATCH='"1"').status_code == 412
    assert top.patch(path, {"decision": 4}, format="json").status_code == 400
    relinked = top.patch(path, {"decision": 1}, format="json")
    assert relinked.status_code == 200 and relinked.json()["decision"] == 1
    assert api_client_for(people.lead).patch(path, {"description": "x"},
                                             format="json").status_code == 403  # fmt: skip
    assert api_client_for(people.a_user).patch(path, {"description": "x"},
                                               format="json").status_code == 404  # fmt: skip
    approve(people, meeting)
    late = top.patch(path, {"description": "Late"}, format="json")
    assert late.status_code == 400 and FROZEN in str(late.json())
    assert action_of(meeting).description == "Rota for lunch"
    verbs = list(AuditEvent.objects.filter(verb="management_review.action_updated")
                 .order_by("pk").values_list("payload", flat=True))  # fmt: skip
    assert len(verbs) == 2 and verbs[0]["owner"] == [people.lead.pk, people.agent.pk]
