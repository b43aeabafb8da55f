"""Read-and-acknowledge campaigns: who is asked (people, teams, roles), one acknowledgement
per person, progress, reminders exactly once per campaign and person, review reminders
exactly once per document and date, and the acknowledgement rate for the KPI."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from serviceloop.core.models import AuditEvent, Notification, Team
from serviceloop.core.roles import Role
from serviceloop.support.models import Acknowledgement
from serviceloop.support.queries_documents import (
    acknowledgement_rate,
    campaign_progress,
    reading_list,
)
from serviceloop.support.tasks_documents import (
    document_acknowledgement_reminders,
    document_reviews_due,
)
from serviceloop.support.tests import test_documents_fixtures as fixtures

DAY = fixtures.DAY
docs = fixtures.docs  # the shared fixture

# Messages are matched in English, whatever the translations say.
pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def policy(docs):
    return docs.document()


def start(docs, cast, policy, **kwargs):
    kwargs.setdefault("deadline", timezone.localdate() + 14 * DAY)
    return docs.campaign_services.campaign_create(
        actor=cast.owner, version=policy.effective_version, **kwargs
    )


def test_a_campaign_asks_people_teams_and_roles_once_each(people, docs, policy):
    team = Team.objects.create(organisation=people.provider, name="服务台 Desk")
    team.members.set([people.lead, people.agent])

    campaign = start(
        docs,
        people,
        policy,
        people=[people.agent, people.a_user],
        teams=[team],
        roles=[Role.AUDITOR],
    )

    asked = set(campaign.acknowledgements.values_list("person__username", flat=True))
    assert asked == {"agent", "lead", "auditor", "a.user"}
    assert campaign.reference.startswith("ACK-") and campaign.title == policy.title
    requests = Notification.objects.filter(kind="document_read_request")
    assert requests.count() == 4
    assert AuditEvent.objects.filter(verb="document.campaign_started").count() == 1


def test_campaign_input_is_checked(people, docs, policy):
    draft = docs.document(effective=False, title="草稿")
    with pytest.raises(ValidationError) as error:
        docs.campaign_services.campaign_create(
            actor=people.owner,
            version=draft.current_version,
            deadline=timezone.localdate() - DAY,
            roles=["wizard"],
        )
    assert set(error.value.message_dict) == {"deadline", "roles", "version"}
    with pytest.raises(ValidationError, match="Nobody matches"):
        start(docs, people, policy)
    with pytest.raises(PermissionDenied):
        docs.campaign_services.campaign_create(
            actor=people.top,
            version=policy.effective_version,
            deadline=timezone.localdate(),
            people=[people.agent],
        )


def test_each_person_acknowledges_once_and_progress_counts(people, docs, policy):
    campaign = start(docs, people, policy, people=[people.agent, people.lead, people.a_user])

    docs.campaign_services.acknowledgement_give(actor=people.agent, campaign=campaign)
    with pytest.raises(ValidationError, match="acknowledged this on"):
        docs.campaign_services.acknowledgement_give(actor=people.agent, campaign=campaign)
    docs.campaign_services.acknowledgement_give(actor=people.a_user, campaign=campaign)
    with pytest.raises(PermissionDenied):
        docs.campaign_services.acknowledgement_give(actor=people.b_user, campaign=campaign)

    progress = campaign_progress(campaign)
    assert (progress.asked, progress.acknowledged, progress.outstanding, progress.percent) == (
        3,
        2,
        1,
        67,
    )
    assert [r.campaign for r in reading_list(people.lead)] == [campaign]
    assert list(reading_list(people.agent)) == []
    event = AuditEvent.objects.get(verb="document.acknowledged", actor=people.a_user)
    assert event.organisation_id == people.customer_a.pk and event.payload["on_time"] is True


def test_a_closed_campaign_or_a_superseded_version_takes_no_acknowledgement(people, docs, policy):
    campaign = start(docs, people, policy, people=[people.agent, people.lead])
    second = docs.revise(policy)
    docs.version_services.version_transition(actor=people.owner, version=second, target="in_review")
    docs.version_services.version_approve(actor=people.top, version=second)

    with pytest.raises(ValidationError, match="no longer in force"):
        docs.campaign_services.acknowledgement_give(actor=people.agent, campaign=campaign)
    docs.campaign_services.campaign_close(actor=people.owner, campaign=campaign)
    with pytest.raises(ValidationError, match="closed"):
        docs.campaign_services.acknowledgement_give(actor=people.lead, campaign=campaign)
    with pytest.raises(ValidationError, match="already closed"):
        docs.campaign_services.campaign_close(actor=people.owner, campaign=campaign)


def test_updating_a_campaign_adds_people_and_removes_nobody(people, docs, policy):
    campaign = start(docs, people, policy, people=[people.agent])
    docs.campaign_services.acknowledgement_give(actor=people.agent, campaign=campaign)

    docs.campaign_services.campaign_update(
        actor=people.owner, campaign=campaign, people=[people.lead], roles=[Role.TOP_MANAGEMENT]
    )

    asked = set(campaign.acknowledgements.values_list("person__username", flat=True))
    assert asked == {"agent", "lead", "top"}


def test_outstanding_people_are_reminded_exactly_once_per_campaign(
    people, docs, policy, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    near = start(docs, people, policy, people=[people.agent, people.lead], deadline=today + DAY)
    far = start(docs, people, policy, people=[people.agent], deadline=today + 30 * DAY)
    docs.campaign_services.acknowledgement_give(actor=people.lead, campaign=near)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        first = document_acknowledgement_reminders.call_local()
        second = document_acknowledgement_reminders.call_local()
        later = docs.campaign_services.campaign_remind(today=today + 40 * DAY)
        again = docs.campaign_services.campaign_remind(today=today + 41 * DAY)

    assert (first, second, later, again) == (1, 0, 1, 0)
    reminders = Notification.objects.filter(kind="document_ack_reminder").order_by("pk")
    assert [(n.recipient, n.dedupe_key) for n in reminders] == [
        (people.agent, f"document-ack-reminder:{near.pk}:{people.agent.pk}"),
        (people.agent, f"document-ack-reminder:{far.pk}:{people.agent.pk}"),
    ]
    assert len(mail.outbox) == 2
    assert Acknowledgement.objects.filter(reminded_at__isnull=False).count() == 2
    assert AuditEvent.objects.filter(verb="document.campaign_reminded").count() == 2


def test_the_owner_is_reminded_of_the_review_exactly_once_per_date(people, docs):
    document = docs.document(owner=people.lead)
    due = document.next_review

    assert docs.services.document_review_remind(today=due - DAY) == 0
    assert docs.services.document_review_remind(today=due) == 1
    assert document_reviews_due.call_local() == 0  # today: not due yet
    assert docs.services.document_review_remind(today=due + 5 * DAY) == 0
    docs.services.document_update(actor=people.owner, document=document, owner=people.agent)
    assert docs.services.document_review_remind(today=due + 6 * DAY) == 0  # same date

    reminder = Notification.objects.get(kind="document_review_due")
    assert reminder.recipient == people.lead and document.reference in reminder.subject
    assert AuditEvent.objects.filter(verb="document.review_reminded").count() == 1


def test_a_review_overdue_document_is_flagged(people, docs):
    document = docs.document()
    from serviceloop.support.models import Document

    Document.objects.filter(pk=document.pk).update(next_review=timezone.localdate() - 2 * DAY)
    document.refresh_from_db()

    assert document.review_overdue
    assert list(Document.objects.review_overdue()) == [document]


def test_the_acknowledgement_rate_counts_on_time_acknowledgements_by_deadline(people, docs, policy):
    today = timezone.localdate()
    first = start(
        docs, people, policy, people=[people.agent, people.lead, people.auditor], deadline=today
    )
    second = start(docs, people, policy, people=[people.agent], deadline=today + 40 * DAY)
    now = timezone.now()
    docs.campaign_services.acknowledgement_give(actor=people.agent, campaign=first, now=now)
    # a day after the deadline: acknowledged, but late
    docs.campaign_services.acknowledgement_give(actor=people.lead, campaign=first, now=now + DAY)
    docs.campaign_services.acknowledgement_give(actor=people.agent, campaign=second, now=now)

    rate = acknowledgement_rate(today - 5 * DAY, today + DAY)
    assert (rate.asked, rate.acknowledged, rate.on_time, rate.rate) == (3, 2, 1, 33.3)
    both = acknowledgement_rate(
        timezone.make_aware(datetime.datetime.combine(today - 5 * DAY, datetime.time(12))),
        today + 60 * DAY,
    )
    assert (both.asked, both.on_time) == (4, 2)
    assert acknowledgement_rate(today + 1 * DAY, today + 2 * DAY).rate is None
