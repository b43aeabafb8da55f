"""The steps of a management review meeting, shared by the review tests (their fixtures are
in ``conftest.py``): plan a review chaired by ``people.top``, hold the meeting, decide on an
input with an action, approve the minutes."""

import datetime

from django.utils import timezone

from serviceloop.evaluation.models import InputCode, ReviewInput
from serviceloop.evaluation.services_reviews import (
    review_action_add,
    review_create,
    review_decision_record,
    review_pack_generate,
    review_transition,
)

ZONE = timezone.get_default_timezone()
PERIOD = (datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))
GENERATED = datetime.datetime(2026, 4, 10, 9, 0, tzinfo=ZONE)


def at(day: str, hour: int = 10) -> datetime.datetime:
    """An instant in TIME_ZONE from ``YYYY-MM-DD``."""
    return datetime.datetime.combine(datetime.date.fromisoformat(day), datetime.time(hour),
                                     tzinfo=ZONE)  # fmt: skip


def plan_review(people, *, title="Management review Q1", scheduled_on=datetime.date(2026, 4, 15),
                period=PERIOD, now=None):  # fmt: skip
    return review_create(
        actor=people.owner,
        title=title,
        period_start=period[0],
        period_end=period[1],
        scheduled_on=scheduled_on,
        chair=people.top,
        attendees=[people.owner, people.lead],
        now=now,
    )


def input_of(review, code: str) -> ReviewInput:
    return ReviewInput.objects.get(review=review, code=code)


def hold_meeting(people, review, *, language="en", now=GENERATED):
    """Generate the pack and start the meeting: the review as the chair finds it."""
    review = review_pack_generate(actor=people.owner, review=review, language=language, now=now)
    return review_transition(actor=people.top, review=review, target="in_meeting", now=now)


def decide(people, review, code=InputCode.KPIS, text="Add lunch-time cover on the desk.",
           *, action="Change the desk rota", owner=None, due_on=None, now=GENERATED):  # fmt: skip
    """A decision on an input and an action on it, by the chair."""
    review_input = input_of(review, code)
    decision = review_decision_record(actor=people.top, review_input=review_input, text=text,
                                      now=now)  # fmt: skip
    created = None
    if action:
        created = review_action_add(
            actor=people.top, review_input=review_input, decision=decision, description=action,
            owner=owner or people.lead, due_on=due_on or datetime.date(2026, 5, 15), now=now,
        )  # fmt: skip
    return decision, created


def approve(people, review, now=GENERATED):
    review = review_transition(actor=people.top, review=review, target="minutes_draft", now=now)
    return review_transition(actor=people.top, review=review, target="approved", now=now)
