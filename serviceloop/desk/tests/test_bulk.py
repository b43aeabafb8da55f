"""Bulk actions from the queue, merging duplicates, saved views."""

from django.urls import reverse

from serviceloop.desk.lifecycle import Status
from serviceloop.desk.models import SavedView, Ticket, TicketLink


def test_bulk_status_change_reports_each_ticket(people, desk, raise_ticket, client_for):
    a, b = raise_ticket(), raise_ticket()
    client = client_for(people.agent)
    response = client.post(
        reverse("desk_bulk"),
        {"tickets": [a.reference, b.reference], "action": "status", "target": "in_progress"},
        follow=True,
    )
    assert {t.status for t in Ticket.objects.all()} == {Status.IN_PROGRESS}
    assert response.status_code == 200

    # Resolving without a note is refused per ticket, and nothing changes.
    client.post(
        reverse("desk_bulk"), {"tickets": [a.reference], "action": "status", "target": "resolved"}
    )
    a.refresh_from_db()
    assert a.status == Status.IN_PROGRESS


def test_bulk_actions_are_for_agents(people, desk, raise_ticket, client_for):
    ticket = raise_ticket()
    for user in (people.auditor, people.a_manager):
        response = client_for(user).post(
            reverse("desk_bulk"), {"tickets": [ticket.reference], "action": "assign_me"}
        )
        assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_merge_links_cancels_and_keeps_the_requesters_informed(
    people, desk, raise_ticket, client_for
):
    main = raise_ticket(title="VPN down")
    other = raise_ticket(title="VPN 断了", requester=people.a_manager)
    client_for(people.agent).post(
        reverse("desk_bulk"),
        {"tickets": [other.reference], "action": "merge", "into": main.reference},
    )
    other.refresh_from_db()
    assert other.status == Status.CANCELLED
    assert TicketLink.objects.filter(source=other, target=main, kind="duplicate_of").exists()
    assert people.a_manager in main.watchers.all()
    assert main.reference in other.comments.last().body


def test_saved_views_are_personal(people, desk, client_for):
    client = client_for(people.agent)
    client.post(
        reverse("desk_view_save"), {"name": "我的P1", "view": "open", "priority": "P1", "csrf": "x"}
    )
    view = SavedView.objects.get(owner=people.agent)
    assert view.query == "view=open&priority=P1"
    assert "我的P1" in client.get(reverse("desk_queue")).content.decode()
    assert "我的P1" not in client_for(people.lead).get(reverse("desk_queue")).content.decode()
    assert (
        client_for(people.lead).post(reverse("desk_view_delete", args=[view.pk])).status_code == 404
    )
    client.post(reverse("desk_view_delete", args=[view.pk]))
    assert not SavedView.objects.exists()
