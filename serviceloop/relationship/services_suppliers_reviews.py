"""Supplier performance reviews: every write.

A review covers one supplier over a period of whole days. It holds one score per obligation
of the supplier's contracts in force during the period (active, expired or terminated, with
dates overlapping it). Measured obligations are computed from the desk's records (see
``queries_suppliers``) — never typed in — and met when the actual value is at most the
target; the others are scored by the reviewer, met or missed, with a note. Figures are
recomputed on demand while the review is a draft and once more when it is completed; a
completed review is final.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.numbering import reference_allocate
from serviceloop.relationship.models import (
    ContractStatus,
    Obligation,
    PerformanceReview,
    ReviewRating,
    ReviewScore,
    ReviewStatus,
    Supplier,
)
from serviceloop.relationship.queries_suppliers import measure
from serviceloop.relationship.services_suppliers_base import (
    changes_between,
    clean_amount,
    clean_date,
    clean_text,
    locked,
    require_writer,
    save_versioned,
    staff_person,
)

IN_FORCE = (ContractStatus.ACTIVE, ContractStatus.EXPIRED, ContractStatus.TERMINATED)


def obligations_in_force(supplier: Supplier, period_start, period_end):
    """The active obligations of the supplier's contracts in force at some time in the
    period (drafts never were)."""
    return (
        Obligation.objects.filter(
            is_active=True,
            contract__supplier=supplier,
            contract__status__in=IN_FORCE,
            contract__start_date__lte=period_end,
            contract__end_date__gte=period_start,
        )
        .select_related("contract")
        .order_by("contract__reference", "id")
    )


def _compute(review: PerformanceReview, now) -> dict:
    """Add the scores of obligations not scored yet and recompute the measured ones; returns
    ``{obligation id: [actual, met]}`` of the measured scores."""
    existing = {score.obligation_id: score for score in review.scores.select_related("obligation")}
    figures = {}
    for obligation in obligations_in_force(review.supplier, review.period_start, review.period_end):
        score = existing.get(obligation.pk) or ReviewScore(review=review, obligation=obligation)
        result = measure(
            obligation.metric, review.supplier, review.period_start, review.period_end, now=now
        )
        if result is not None:
            score.computed = True
            score.actual_value = result.value
            score.sample_size = result.sample_size
            score.met = (
                None if obligation.target_value is None else result.value <= obligation.target_value
            )
            figures[obligation.pk] = [result.value, score.met]
        score.save()
    review.computed_at = now
    return figures


def review_create(
    *, actor, supplier: Supplier, period_start, period_end, reviewer=None, now=None
) -> PerformanceReview:
    """Open a draft review of the supplier over ``period_start``–``period_end`` (inclusive
    dates, TIME_ZONE; reference ``SPR-YYYY-NNNNNN``), with its scores computed. The reviewer
    defaults to the actor."""
    require_writer(actor)
    now = now or timezone.now()
    today = timezone.localdate(now)
    errors: dict = {}
    period_start = clean_date(period_start, "period_start", errors, required=_("Enter a date."))
    period_end = clean_date(period_end, "period_end", errors, required=_("Enter a date."))
    reviewer = staff_person(
        reviewer or actor, "reviewer", errors, required=_("A review needs a reviewer.")
    )
    if period_start and period_end and period_end < period_start:
        errors["period_end"] = _("The period ends after it starts.")
    if period_start and period_start > today:
        errors["period_start"] = _("A review looks back: the period cannot start in the future.")
    if not isinstance(supplier, Supplier):
        errors["supplier"] = _("Choose a supplier.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        review = PerformanceReview.objects.create(
            reference=reference_allocate(kind="SPR", year=timezone.localtime(now).year),
            supplier=supplier,
            period_start=period_start,
            period_end=period_end,
            reviewer=reviewer,
            created_at=now,
            updated_at=now,
        )
        figures = _compute(review, now)
        review.save(update_fields=["computed_at"])
        audit_record(
            actor=actor,
            verb="supplier_review.created",
            obj=review,
            payload={
                "reference": review.reference,
                "supplier": supplier.pk,
                "period": [period_start, period_end],
                "reviewer": reviewer.pk,
                "measured": figures,
            },
        )
    return review


def _draft(review: PerformanceReview, expected_version) -> PerformanceReview:
    review = locked(PerformanceReview, review, expected_version)
    if review.status == ReviewStatus.COMPLETED:
        raise ValidationError(_("This review is completed; its record can no longer change."))
    return review


def review_recompute(*, actor, review: PerformanceReview, now=None) -> PerformanceReview:
    """Recompute the measured scores from the records as they are now (draft reviews), and
    add the obligations recorded since the review was opened."""
    require_writer(actor)
    now = now or timezone.now()
    with transaction.atomic():
        review = _draft(review, None)
        figures = _compute(review, now)
        save_versioned(review, now)
        audit_record(
            actor=actor,
            verb="supplier_review.recomputed",
            obj=review,
            payload={"measured": figures},
        )
    return review


def review_update(
    *, actor, review: PerformanceReview, expected_version=None, now=None, **fields
) -> PerformanceReview:
    """Change a draft review's reviewer, overall rating, summary or agreed actions."""
    require_writer(actor)
    now = now or timezone.now()
    errors: dict = {}
    cleaned = {}
    for name, value in fields.items():
        if name == "reviewer":
            cleaned[name] = staff_person(value, name, errors, required=_("Choose a reviewer."))
        elif name == "overall_rating":
            if value is not None and value not in ReviewRating.values:
                errors[name] = _("Choose a rating from 1 to 5.")
            cleaned[name] = value
        elif name in ("summary", "actions"):
            cleaned[name] = clean_text(value, name, errors)
        else:
            raise ValueError(f"not an editable field: {name}")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        review = _draft(review, expected_version)
        before = {name: getattr(review, name) for name in cleaned}
        for name, value in cleaned.items():
            setattr(review, name, value)
        changes = changes_between(before, {name: getattr(review, name) for name in cleaned})
        if not changes:
            return review
        save_versioned(review, now)
        audit_record(actor=actor, verb="supplier_review.updated", obj=review, payload=changes)
    return review


def review_score_set(
    *, actor, score: ReviewScore, met=None, actual_value=None, note: str = "", now=None
) -> ReviewScore:
    """Score an obligation of a draft review. A manual obligation is scored by the reviewer:
    met or missed, with a note (and the actual value when there is one). A measured one is
    computed: only its note may be written."""
    require_writer(actor)
    now = now or timezone.now()
    errors: dict = {}
    note = clean_text(note, "note", errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        review = _draft(score.review, None)
        score = (
            ReviewScore.objects.select_for_update(of=("self",))
            .select_related("obligation")
            .get(pk=score.pk)
        )
        before = {"met": score.met, "actual_value": score.actual_value, "note": score.note}
        if score.computed:
            if (met is not None and met != score.met) or actual_value is not None:
                raise ValidationError(
                    {"met": _("This obligation is measured from the records; add a note only.")}
                )
            score.note = note
        else:
            if met is None:
                errors["met"] = _("Say whether the obligation was met.")
            if not note:
                errors["note"] = _("Explain the score in a note.")
            actual = clean_amount(actual_value, "actual_value", errors)
            if errors:
                raise ValidationError(errors)
            score.met, score.actual_value, score.note = bool(met), actual, note
        changes = changes_between(
            before, {"met": score.met, "actual_value": score.actual_value, "note": score.note}
        )
        if not changes:
            return score
        score.save()
        save_versioned(review, now)
        audit_record(
            actor=actor,
            verb="supplier_review.scored",
            obj=review,
            payload={"obligation": score.obligation_id, **changes},
        )
    return score


def review_complete(
    *,
    actor,
    review: PerformanceReview,
    overall_rating=None,
    summary: str | None = None,
    actions: str | None = None,
    expected_version=None,
    now=None,
) -> PerformanceReview:
    """Complete the review: the measured scores are recomputed one last time, every manual
    obligation must be scored and an overall rating given. Final afterwards."""
    require_writer(actor)
    now = now or timezone.now()
    errors: dict = {}
    if summary is not None:
        summary = clean_text(summary, "summary", errors)
    if actions is not None:
        actions = clean_text(actions, "actions", errors)
    if overall_rating is not None and overall_rating not in ReviewRating.values:
        errors["overall_rating"] = _("Choose a rating from 1 to 5.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        review = _draft(review, expected_version)
        if overall_rating is not None:
            review.overall_rating = overall_rating
        if summary is not None:
            review.summary = summary
        if actions is not None:
            review.actions = actions
        figures = _compute(review, now)
        if review.overall_rating is None:
            errors["overall_rating"] = _("Give the overall rating.")
        unscored = [
            s.obligation.description
            for s in review.scores.select_related("obligation").filter(computed=False, met=None)
        ]
        if unscored:
            errors["scores"] = _("Score every obligation first: %(list)s.") % {
                "list": "; ".join(unscored)
            }
        if errors:
            raise ValidationError(errors)
        review.status = ReviewStatus.COMPLETED
        review.completed_at = now
        save_versioned(review, now)
        met = list(review.scores.values_list("met", flat=True))
        audit_record(
            actor=actor,
            verb="supplier_review.completed",
            obj=review,
            payload={
                "overall_rating": review.overall_rating,
                "measured": figures,
                "met": sum(1 for m in met if m),
                "missed": sum(1 for m in met if m is False),
            },
        )
    return review
