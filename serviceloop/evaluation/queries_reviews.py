"""Named reads of management reviews: the lists, and a review's sections as the screen and
the PDF show them (each input's figures with the decisions and actions recorded on it)."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q

from serviceloop.evaluation.models import (
    ManagementReview,
    ReviewAction,
    ReviewDecision,
    ReviewInput,
)
from serviceloop.evaluation.present_reviews import SectionView, section_view


def reviews_for_list(user, *, status: str = "", q: str = ""):
    reviews = (
        ManagementReview.objects.visible_to(user)
        .select_related("chair")
        .annotate(
            action_count=Count("actions", distinct=True),
            open_action_count=Count("actions", filter=Q(actions__status="open"), distinct=True),
        )
    )
    if status:
        reviews = reviews.filter(status=status)
    q = (q or "").strip()
    if q:
        reviews = reviews.filter(Q(title__icontains=q) | Q(reference__iexact=q))
    return reviews.order_by("-scheduled_on", "-reference")


def actions_for_list(user, *, status: str = "", overdue_on=None, owner=None, review=None):
    actions = ReviewAction.objects.visible_to(user).select_related(
        "review", "owner", "review_input", "decision"
    )
    if status:
        actions = actions.filter(status=status)
    if overdue_on is not None:
        actions = actions.overdue(overdue_on)
    if owner is not None:
        actions = actions.filter(owner=owner)
    if review is not None:
        actions = actions.filter(review=review)
    return actions.order_by("due_on", "review__reference", "number")


@dataclass
class Section:
    review_input: ReviewInput
    view: SectionView
    decisions: list = field(default_factory=list)
    actions: list = field(default_factory=list)

    @property
    def code(self) -> str:
        return self.review_input.code

    @property
    def title(self) -> str:
        return self.review_input.get_code_display()


def review_sections(review: ManagementReview, *, only: str = "") -> list[Section]:
    """Every input of the review in pack order (or only the input ``only``), with its view in
    the active language and its decisions and actions; three queries whatever the size."""
    inputs = review.inputs.order_by("position")
    if only:
        inputs = inputs.filter(code=only)
    inputs = list(inputs)
    by_pk = {i.pk: i for i in inputs}
    decisions, actions = defaultdict(list), defaultdict(list)
    for decision in ReviewDecision.objects.filter(review=review).select_related("recorded_by"):
        decisions[decision.review_input_id].append(decision)
    for action in ReviewAction.objects.filter(review=review).select_related("owner", "decision"):
        # the rows name their review and input: the ones in hand, no query per row
        action.review = review
        if action.review_input_id in by_pk:
            action.review_input = by_pk[action.review_input_id]
        actions[action.review_input_id].append(action)
    return [Section(i, section_view(i), decisions[i.pk], actions[i.pk]) for i in inputs]
