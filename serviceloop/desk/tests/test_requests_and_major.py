"""Service requests with form fields and approvals, ratings, major incidents, links, watchers."""

import re

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from serviceloop.core.models import AuditEvent
from serviceloop.desk.lifecycle import Status
from serviceloop.desk.models import Approval, RequestType, Ticket, TicketLink
from serviceloop.desk.services import major, relations, requests
from serviceloop.desk.services.tickets import (
    rating_token,
    ticket_comment,
    ticket_transition,
    ticket_update,
)

FORM = [
    {"name": "employee", "label": "New employee", "type": "text", "required": True},
    {"name": "start", "label": "Start date", "type": "date", "required": True},
    {"name": "laptop", "label": "Laptop", "type": "choice", "choices": ['13"', '15"']},
    {"name": "seats", "label": "Seats", "type": "number", "min": 1, "max": 10},
]


@pytest.fixture
def onboarding(desk, people):
    return RequestType.objects.create(
        name="Onboarding 入职",
        form_schema=FORM,
        category=desk.category,
        approver=people.lead,
        customer_manager_approves=True,
    )


def submit(people, request_type, **data):
    return requests.request_submit(
        actor=people.a_user,
        request_type=request_type,
        requester=people.a_user,
        form_data={
            "employee": "王芳",
            "start": "2026-12-01",
            "laptop": '15"',
            "seats": "2",
            **data,
        },
    )


def test_form_fields_are_checked_and_converted(people, onboarding):
    with pytest.raises(ValidationError) as error:
        submit(people, onboarding, employee="", start="next week", laptop='17"', seats="99")
    assert set(error.value.message_dict) == {"employee", "start", "laptop", "seats"}
    assert not Ticket.objects.exists()

    ticket = submit(people, onboarding)
    assert ticket.form_data == {
        "employee": "王芳",
        "start": "2026-12-01",
        "laptop": '15"',
        "seats": 2,
    }
    assert ticket.kind == "request" and ticket.request_type == onboarding


def test_approvals_run_in_order_then_release_the_request_to_the_desk(people, onboarding):
    ticket = submit(people, onboarding)
    assert ticket.status == Status.PENDING_APPROVAL and ticket.assignee is None
    assert ticket.sla_paused  # the clock waits with the request
    first, second = Approval.objects.filter(ticket=ticket).order_by("step")

    with pytest.raises(ValidationError):  # the named approver comes second
        requests.approval_decide(actor=people.lead, approval=second, approve=True)
    with pytest.raises(PermissionDenied):  # another customer's manager
        requests.approval_decide(actor=people.b_manager, approval=first, approve=True)

    requests.approval_decide(actor=people.a_manager, approval=first, approve=True)
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING_APPROVAL
    requests.approval_decide(actor=people.lead, approval=second, approve=True)

    ticket.refresh_from_db()
    assert ticket.status == Status.ASSIGNED  # routed to the category's team, agent in turn
    assert ticket.team.name == "Service Desk" and ticket.assignee is not None
    assert not ticket.sla_paused and ticket.resolution_due_at is not None


def test_a_rejection_needs_a_reason_and_cancels_the_request(people, onboarding):
    ticket = submit(people, onboarding)
    first = Approval.objects.get(ticket=ticket, step=1)
    with pytest.raises(ValidationError):
        requests.approval_decide(actor=people.a_manager, approval=first, approve=False)

    requests.approval_decide(
        actor=people.a_manager, approval=first, approve=False, comment="预算不足"
    )

    ticket.refresh_from_db()
    assert ticket.status == Status.CANCELLED
    assert "预算不足" in ticket.comments.last().body


def test_the_portal_catalogue_builds_the_request_form(people, onboarding, client_for):
    client = client_for(people.a_user)
    assert onboarding.name in client.get(reverse("request_catalogue")).content.decode()
    url = reverse("request_new", args=[onboarding.pk])
    assert 'name="employee"' in client.get(url).content.decode()

    bad = client.post(url, {"employee": "", "start": "2026-12-01"})
    assert bad.status_code == 200 and not Ticket.objects.exists()
    good = client.post(
        url, {"employee": "李雷", "start": "2026-12-01", "laptop": '13"', "seats": "1"}
    )
    ticket = Ticket.objects.get()
    assert good["Location"] == reverse("ticket_detail", args=[ticket.reference])
    # Staff cannot raise portal requests in a customer's name.
    assert client_for(people.agent).get(url).status_code == 403


def resolved_ticket(people, raise_ticket):
    ticket = raise_ticket()
    return ticket_transition(
        actor=people.agent, ticket=ticket, target=Status.RESOLVED, note="Fixed."
    )


def test_the_resolution_mail_carries_one_click_rating_links(
    people, raise_ticket, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = resolved_ticket(people, raise_ticket)
    message = next(
        m for m in mail.outbox if people.a_user.email in m.to and "/desk/rate/" in m.body
    )
    assert ticket.reference in message.subject
    links = re.findall(r"https?://\S+/desk/rate/\S+", message.body)
    assert len(links) == 5

    path = links[3].split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + path)  # no sign-in needed
    assert page.status_code == 200
    response = client.post("/" + path.split("?")[0], {"score": "4", "comment": "快"})
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert (ticket.csat_score, ticket.csat_comment) == (4, "快")
    assert AuditEvent.objects.filter(verb="ticket.rated", object_id=str(ticket.pk)).count() == 1


def test_a_forged_rating_token_is_a_404(client, people, raise_ticket):
    ticket = resolved_ticket(people, raise_ticket)
    token = rating_token(ticket)
    assert client.get(f"/desk/rate/{token[:-2]}xx/").status_code == 404


def test_only_the_requester_rates_and_only_once_resolved(people, raise_ticket):
    ticket = raise_ticket()
    with pytest.raises(ValidationError):
        relations.ticket_rate(actor=people.a_user, ticket=ticket, score=5)
    ticket = ticket_transition(actor=people.agent, ticket=ticket, target=Status.RESOLVED, note="ok")
    with pytest.raises(PermissionDenied):
        relations.ticket_rate(actor=people.a_manager, ticket=ticket, score=5)
    with pytest.raises(ValidationError):
        relations.ticket_rate(actor=people.a_user, ticket=ticket, score=9)


def test_major_incident_updates_and_review(people, raise_ticket):
    ticket = raise_ticket()
    with pytest.raises(ValidationError):  # not major yet
        major.major_update_send(actor=people.agent, ticket=ticket, audience="customers", body="x")
    ticket = ticket_update(actor=people.agent, ticket=ticket, is_major=True)

    update = major.major_update_send(
        actor=people.agent, ticket=ticket, audience="customers", body="VPN 中断，正在恢复。"
    )
    ticket.refresh_from_db()
    assert update.ticket == ticket
    assert ticket.response_met_at is not None  # a customer update is a provider response
    with pytest.raises(PermissionDenied):
        major.major_update_send(actor=people.auditor, ticket=ticket, audience="staff", body="x")

    with pytest.raises(PermissionDenied):  # agents don't write the review
        major.review_save(actor=people.agent, ticket=ticket, summary="x")
    review = major.review_save(
        actor=people.lead, ticket=ticket, summary="证书过期", actions="自动续期 — 张伟"
    )
    assert review.summary == "证书过期"
    assert AuditEvent.objects.filter(verb="ticket.review_saved").count() == 1


def test_links_and_watchers(people, raise_ticket):
    first, second = raise_ticket(), raise_ticket(title="VPN down again")
    relations.ticket_link(actor=people.agent, source=second, target=first, kind="duplicate_of")
    with pytest.raises(ValidationError):  # same link twice
        relations.ticket_link(actor=people.agent, source=second, target=first, kind="duplicate_of")
    with pytest.raises(ValidationError):
        relations.ticket_link(actor=people.agent, source=first, target=first, kind="related")
    with pytest.raises(PermissionDenied):
        relations.ticket_link(actor=people.a_user, source=first, target=second, kind="related")
    assert TicketLink.objects.count() == 1

    relations.ticket_watchers_set(
        actor=people.agent, ticket=first, watchers=[people.a_manager, people.lead]
    )
    assert set(first.watchers.all()) == {people.a_manager, people.lead}
    with pytest.raises(ValidationError):  # another customer's person cannot watch
        relations.ticket_watchers_set(actor=people.agent, ticket=first, watchers=[people.b_user])
    # A watcher who is a customer user now sees the ticket and hears of replies.
    assert Ticket.objects.visible_to(people.a_manager).filter(pk=first.pk).exists()


def test_the_ticket_page_warns_of_another_agent(people, raise_ticket, client_for):
    ticket = raise_ticket()
    url = reverse("ticket_presence", args=[ticket.reference])
    client_for(people.lead).get(url, {"editing": "1"})
    warning = client_for(people.agent).get(url).content.decode()
    assert str(people.lead) in warning and 'data-testid="collision"' in warning
    # Customers are not told who looks at their ticket.
    assert "collision" not in client_for(people.a_user).get(url).content.decode()


def test_a_customer_attaches_a_file_to_his_ticket(people, raise_ticket, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    ticket = raise_ticket()
    client = client_for(people.a_user)
    client.post(
        reverse("ticket_attach", args=[ticket.reference]),
        {"file": SimpleUploadedFile("报错截图.txt", "错误 500".encode())},
    )
    page = client.get(reverse("ticket_detail", args=[ticket.reference])).content.decode()
    assert "报错截图.txt" in page
    ticket_comment(actor=people.agent, ticket=ticket, body="internal", public=False)
    assert (
        "internal"
        not in client.get(reverse("ticket_detail", args=[ticket.reference])).content.decode()
    )


def test_a_request_waiting_for_approval_takes_a_team_but_no_agent(
    people, onboarding, desk, english
):
    from django.core.exceptions import ValidationError

    from serviceloop.desk.services.tickets import ticket_assign

    ticket = submit(people, onboarding)
    with pytest.raises(ValidationError, match="waiting for approval"):
        ticket_assign(actor=people.agent, ticket=ticket, assignee=people.agent)
    ticket = ticket_assign(actor=people.agent, ticket=ticket, team=desk.team)
    ticket.refresh_from_db()
    assert ticket.team == desk.team
    assert ticket.assignee is None  # no round-robin pick before approval
    assert ticket.status == Status.PENDING_APPROVAL
