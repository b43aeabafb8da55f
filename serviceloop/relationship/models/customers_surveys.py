"""Customer satisfaction surveys (clause 8.3.2): a campaign over a period with 1–5 questions,
optionally answered once per service; responses per customer contact (and service).

A survey is drafted (questions editable), opened (answers accepted), then closed. A customer
sees the surveys addressed to his organisation once they are open, and only his own
organisation's responses and results.
"""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from serviceloop.core.roles import Capability

__all__ = [
    "SCORE_MAX",
    "SCORE_MIN",
    "SURVEY_TRANSITIONS",
    "Survey",
    "SurveyAnswer",
    "SurveyQuestion",
    "SurveyResponse",
    "SurveyStatus",
    "SurveyTransition",
    "survey_transition_for",
]

SCORE_MIN, SCORE_MAX = 1, 5


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open for answers")
    CLOSED = "closed", _("Closed")


@dataclass(frozen=True)
class SurveyTransition:
    source: str
    target: str
    label: str


# Every move is made by staff who work the relationship (checked by the service).
SURVEY_TRANSITIONS: tuple[SurveyTransition, ...] = (
    SurveyTransition(SurveyStatus.DRAFT, SurveyStatus.OPEN, _("Open for answers")),
    SurveyTransition(SurveyStatus.OPEN, SurveyStatus.CLOSED, _("Close")),
    SurveyTransition(SurveyStatus.CLOSED, SurveyStatus.OPEN, _("Reopen")),
)


def survey_transition_for(source: str, target: str) -> SurveyTransition | None:
    for move in SURVEY_TRANSITIONS:
        if move.source == source and move.target == target:
            return move
    return None


class SurveyQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see every survey; a customer sees the open or closed surveys addressed to
        his organisation (a survey without named customers is addressed to all)."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.has_capability(Capability.STAFF):
            return self
        if user.organisation_id is None:
            return self.none()
        return (
            self.exclude(status=SurveyStatus.DRAFT)
            .filter(Q(customers__isnull=True) | Q(customers=user.organisation_id))
            .distinct()
        )


class Survey(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    title = models.CharField(_("title"), max_length=200)
    intro = models.TextField(_("introduction"), blank=True)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period until"))
    status = models.CharField(
        _("status"), max_length=12, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT
    )
    per_service = models.BooleanField(
        _("answered per service"),
        default=False,
        help_text=_("Each contact answers once for each service the customer uses."),
    )
    services = models.ManyToManyField(
        "portfolio.Service",
        verbose_name=_("services"),
        blank=True,
        related_name="+",
        help_text=_("Empty: every service the customer uses."),
    )
    customers = models.ManyToManyField(
        "core.Organisation",
        verbose_name=_("customers"),
        blank=True,
        related_name="+",
        help_text=_("Empty: every customer."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = SurveyQuerySet.as_manager()

    class Meta:
        ordering = ["-period_start", "-pk"]
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="survey_period_ordered",
            )
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    def is_addressed_to(self, organisation_id) -> bool:
        customer_ids = [c.pk for c in self.customers.all()]
        return not customer_ids or organisation_id in customer_ids


class SurveyQuestion(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(_("position"))
    text = models.CharField(_("question"), max_length=300)

    class Meta:
        ordering = ["survey", "position", "pk"]
        verbose_name = _("survey question")
        constraints = [
            models.UniqueConstraint(fields=["survey", "position"], name="survey_question_position")
        ]

    def __str__(self):
        return self.text


class SurveyResponseQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see every response; a customer manager his organisation's responses, a
        customer user his own."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.has_capability(Capability.STAFF):
            return self
        if user.organisation_id is None:
            return self.none()
        mine = self.filter(organisation_id=user.organisation_id)
        if user.has_capability(Capability.ORG_WIDE):
            return mine
        return mine.filter(contact__user=user)


class SurveyResponse(models.Model):
    """One contact's answers to a survey (for one service, when answered per service)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses")
    organisation = models.ForeignKey(
        "core.Organisation", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    contact = models.ForeignKey(
        "relationship.CustomerContact",
        verbose_name=_("contact"),
        on_delete=models.PROTECT,
        related_name="survey_responses",
    )
    service = models.ForeignKey(
        "portfolio.Service",
        verbose_name=_("service"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    comment = models.TextField(_("comment"), blank=True)
    submitted_at = models.DateTimeField(_("submitted"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = SurveyResponseQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        constraints = [
            # Once per contact, and per service when the survey is answered per service.
            models.UniqueConstraint(
                fields=["survey", "contact"],
                condition=Q(service__isnull=True),
                name="survey_response_once",
            ),
            models.UniqueConstraint(
                fields=["survey", "contact", "service"],
                condition=Q(service__isnull=False),
                name="survey_response_once_per_service",
            ),
        ]

    def __str__(self):
        return f"{self.survey.reference} · {self.contact}"


class SurveyAnswer(models.Model):
    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(SurveyQuestion, on_delete=models.PROTECT, related_name="answers")
    score = models.PositiveSmallIntegerField(_("score"))

    class Meta:
        verbose_name = _("survey answer")
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="survey_answer_once"),
            models.CheckConstraint(
                condition=Q(score__gte=SCORE_MIN) & Q(score__lte=SCORE_MAX),
                name="survey_answer_score_range",
            ),
        ]

    def __str__(self):
        return f"{self.question}: {self.score}"
