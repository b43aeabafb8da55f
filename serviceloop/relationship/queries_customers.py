"""Named reads of the customers part: the lists behind the screens and the API, and the
survey results (averages and response counts per customer, per service, per question)."""

from dataclasses import dataclass

from django.db.models import Avg, Count, Prefetch, Q

from serviceloop.relationship.models import (
    CustomerAccount,
    CustomerContact,
    ReviewAction,
    ReviewMeeting,
    Survey,
    SurveyAnswer,
    SurveyResponse,
)


def accounts_for_list(user, *, manager=None, q=""):
    """The customer accounts the user may see, with their contact and review counts and the
    number of open actions."""
    accounts = CustomerAccount.objects.visible_to(user).select_related(
        "organisation", "account_manager"
    )
    if manager is not None:
        accounts = accounts.filter(account_manager=manager)
    if q:
        accounts = accounts.filter(
            Q(organisation__name__icontains=q) | Q(organisation__short_name__icontains=q)
        )
    return accounts.annotate(
        contact_count=Count("contacts", filter=Q(contacts__is_active=True), distinct=True),
        review_count=Count("reviews", distinct=True),
        open_action_count=Count(
            "reviews__actions", filter=Q(reviews__actions__status="open"), distinct=True
        ),
    ).order_by("organisation__name")


def primary_contacts(accounts) -> dict:
    """``{account_id: contact}`` of the primary contacts of ``accounts`` (one query)."""
    return {
        c.account_id: c
        for c in CustomerContact.objects.filter(
            account__in=[a.pk for a in accounts], is_primary=True
        )
    }


def reviews_for_list(user, *, account=None, q="", date_from=None, date_until=None):
    reviews = ReviewMeeting.objects.visible_to(user).select_related("account__organisation")
    if account is not None:
        reviews = reviews.filter(account=account)
    if q:
        reviews = reviews.filter(Q(reference__icontains=q) | Q(title__icontains=q))
    if date_from:
        reviews = reviews.filter(held_on__gte=date_from)
    if date_until:
        reviews = reviews.filter(held_on__lte=date_until)
    return reviews.annotate(
        action_count=Count("actions", distinct=True),
        open_action_count=Count("actions", filter=Q(actions__status="open"), distinct=True),
    ).order_by("-held_on", "-pk")


def actions_for_list(user, *, account=None, status="", owner=None, overdue_on=None):
    actions = ReviewAction.objects.visible_to(user).select_related(
        "owner", "review__account__organisation"
    )
    if account is not None:
        actions = actions.filter(review__account=account)
    if status:
        actions = actions.filter(status=status)
    if owner is not None:
        actions = actions.filter(owner=owner)
    if overdue_on is not None:
        actions = actions.overdue(overdue_on)
    return actions.order_by("due_on", "pk")


def surveys_for_list(user, *, status="", q=""):
    from serviceloop.relationship.permissions_customers import customers_prefetch

    surveys = Survey.objects.visible_to(user)
    if status:
        surveys = surveys.filter(status=status)
    if q:
        surveys = surveys.filter(Q(reference__icontains=q) | Q(title__icontains=q))
    responses = SurveyResponse.objects.visible_to(user)
    return (
        surveys.annotate(
            response_count=Count(
                "responses", filter=Q(responses__in=responses.values("pk")), distinct=True
            ),
            question_count=Count("questions", distinct=True),
        )
        .prefetch_related(customers_prefetch(user))
        .order_by("-period_start", "-pk")
    )


def survey_responses_for(user, survey: Survey):
    return (
        SurveyResponse.objects.visible_to(user)
        .filter(survey=survey)
        .select_related("organisation", "contact", "service", "entered_by")
        .prefetch_related(Prefetch("answers", queryset=SurveyAnswer.objects.order_by("question")))
        .order_by("organisation__name", "contact__name", "service__name", "pk")
    )


@dataclass(frozen=True)
class ResultRow:
    label: str  # the customer, service or question
    responses: int
    average: float | None
    key: object = None


@dataclass(frozen=True)
class SurveyResults:
    overall: ResultRow
    by_customer: list
    by_service: list
    by_question: list


def _row(label, values, key=None) -> ResultRow:
    average = values["average"]
    return ResultRow(
        label=str(label),
        responses=values["responses"],
        average=round(float(average), 2) if average is not None else None,
        key=key,
    )


def survey_results(user, survey: Survey) -> SurveyResults:
    """Averages (over every answer) and response counts of the responses the user may see:
    overall, per customer, per service (answers without a service count as "all services"),
    and per question. A handful of aggregate queries, whatever the number of responses."""
    from django.utils.translation import gettext as _

    responses = SurveyResponse.objects.visible_to(user).filter(survey=survey)
    answers = SurveyAnswer.objects.filter(response__in=responses.values("pk"))
    overall = {
        "responses": responses.count(),
        "average": answers.aggregate(average=Avg("score"))["average"],
    }
    per_customer = (
        answers.values("response__organisation", "response__organisation__name")
        .annotate(responses=Count("response", distinct=True), average=Avg("score"))
        .order_by("response__organisation__name")
    )
    per_service = (
        answers.values("response__service", "response__service__name")
        .annotate(responses=Count("response", distinct=True), average=Avg("score"))
        .order_by("response__service__name")
    )
    per_question = (
        answers.values("question", "question__text", "question__position")
        .annotate(responses=Count("response", distinct=True), average=Avg("score"))
        .order_by("question__position")
    )
    return SurveyResults(
        overall=_row(_("All responses"), overall),
        by_customer=[
            _row(r["response__organisation__name"], r, r["response__organisation"])
            for r in per_customer
        ],
        by_service=[
            _row(r["response__service__name"] or _("All services"), r, r["response__service"])
            for r in per_service
        ],
        by_question=[_row(r["question__text"], r, r["question"]) for r in per_question],
    )


def survey_result_rows(results: SurveyResults) -> list[dict]:
    """The results as one flat table for export: scope, name, responses, average."""
    from django.utils.translation import gettext as _

    rows = [{"scope": _("Overall"), **results.overall.__dict__}]
    for scope, items in (
        (_("Customer"), results.by_customer),
        (_("Service"), results.by_service),
        (_("Question"), results.by_question),
    ):
        rows += [{"scope": scope, **row.__dict__} for row in items]
    return rows
