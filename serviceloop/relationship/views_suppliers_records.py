"""The screens of supplier performance reviews and supplier disputes (staff only; changes
need the operate capability)."""

import contextlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from serviceloop.core.exports import Column
from serviceloop.relationship import queries_suppliers as queries
from serviceloop.relationship import services_suppliers_disputes as dispute_services
from serviceloop.relationship import services_suppliers_reviews as reviews
from serviceloop.relationship.forms_suppliers import (
    DisputeFilterForm,
    DisputeForm,
    DisputeMoveForm,
    ReviewCompleteForm,
    ReviewFilterForm,
    ReviewForm,
    ScoreForm,
)
from serviceloop.relationship.models import ReviewScore, ReviewStatus
from serviceloop.relationship.models.suppliers import DISPUTE_TRANSITIONS, moves_from
from serviceloop.relationship.permissions_suppliers import (
    get_dispute_for,
    get_review_for,
    get_supplier_for,
    require_supplier_writer,
    staff_only,
    supplier_role,
)
from serviceloop.relationship.views_suppliers_common import (
    changed_fields,
    filtered_list_page,
    flash_errors,
    flash_form_errors,
    posted_form_apply,
    record_form_page,
    status_move_apply,
)

REVIEW_COLUMNS = [
    Column(_l("Reference"), "reference"),
    Column(_l("Supplier"), "supplier.name"),
    Column(_l("Period start"), "period_start"),
    Column(_l("Period end"), "period_end"),
    Column(_l("Reviewer"), "reviewer"),
    Column(_l("Status"), "get_status_display"),
    Column(_l("Overall rating"), "overall_rating"),
    Column(_l("Completed"), "completed_at"),
    Column(_l("Agreed actions"), "actions"),
]
DISPUTE_COLUMNS = [
    Column(_l("Reference"), "reference"),
    Column(_l("Title"), "title"),
    Column(_l("Supplier"), "supplier.name"),
    Column(_l("Contract"), lambda d: d.contract.reference if d.contract_id else ""),
    Column(_l("Raised on"), "raised_on"),
    Column(_l("Status"), "get_status_display"),
    Column(_l("Owner"), "owner"),
    Column(_l("Resolved on"), "resolved_on"),
    Column(_l("Resolution"), "resolution"),
]


# --- Reviews -------------------------------------------------------------------------------


@login_required
def review_list(request):
    return filtered_list_page(
        request,
        ReviewFilterForm,
        lambda filters: queries.reviews_for_list(
            request.user, supplier=filters.get("supplier"), status=filters.get("status", "")
        ),
        export_name="supplier-reviews",
        columns=REVIEW_COLUMNS,
        template="relationship/supplier_review_list.html",
    )


@login_required
def review_new(request):
    staff_only(request.user)
    require_supplier_writer(request.user)
    form = ReviewForm(request.POST or None, initial={"supplier": request.GET.get("supplier")})
    return record_form_page(
        request,
        form,
        save=lambda data: reviews.review_create(actor=request.user, **data),
        saved=lambda review: _("Review %s opened.") % review.reference,
        done=lambda review: redirect("supplier_review_detail", reference=review.reference),
        title=_("New supplier performance review"),
        cancel_url="/suppliers/reviews/",
    )


@login_required
def review_detail(request, reference):
    review = get_review_for(request.user, reference=reference)
    can_write = supplier_role(request.user) is not None and review.status == ReviewStatus.DRAFT
    scores = list(review.scores.select_related("obligation__contract"))
    if can_write:
        for score in scores:
            score.form = ScoreForm(
                prefix=f"score-{score.pk}",
                initial={
                    "met": {True: "yes", False: "no"}.get(score.met, ""),
                    "actual_value": score.actual_value,
                    "note": score.note,
                },
            )
    context = {
        "review": review,
        "scores": scores,
        "can_write": can_write,
        "complete_form": ReviewCompleteForm(
            initial={
                "overall_rating": review.overall_rating,
                "summary": review.summary,
                "actions": review.actions,
                "version": review.version,
            }
        )
        if can_write
        else None,
    }
    return render(request, "relationship/supplier_review_detail.html", context)


@login_required
@require_POST
def review_recompute(request, reference):
    review = get_review_for(request.user, reference=reference, write=True)
    try:
        reviews.review_recompute(actor=request.user, review=review)
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, _("Figures recomputed from the records."))
    return redirect("supplier_review_detail", reference=review.reference)


@login_required
@require_POST
def review_score(request, reference, score):
    review = get_review_for(request.user, reference=reference, write=True)
    try:
        score = review.scores.get(pk=score)
    except (ReviewScore.DoesNotExist, ValueError) as exc:
        raise Http404 from exc
    form = ScoreForm(request.POST, prefix=f"score-{score.pk}")
    posted_form_apply(
        request,
        form,
        save=lambda data: reviews.review_score_set(
            actor=request.user,
            score=score,
            met=None if score.computed else form.met_value(),
            actual_value=None if score.computed else data["actual_value"],
            note=data["note"],
        ),
        saved=_("Score saved."),
    )
    return redirect("supplier_review_detail", reference=review.reference)


@login_required
@require_POST
def review_complete(request, reference):
    review = get_review_for(request.user, reference=reference, write=True)
    form = ReviewCompleteForm(request.POST)
    if not form.is_valid():
        flash_form_errors(request, form)
        return redirect("supplier_review_detail", reference=review.reference)
    action = request.POST.get("action", "complete")
    data = dict(form.cleaned_data)
    version = data.pop("version", None)
    try:
        if action == "save":
            reviews.review_update(
                actor=request.user, review=review, expected_version=version, **data
            )
            messages.success(request, _("Changes saved."))
        else:
            reviews.review_complete(
                actor=request.user, review=review, expected_version=version, **data
            )
            messages.success(request, _("Review completed."))
    except ValidationError as error:
        flash_errors(request, error)
    return redirect("supplier_review_detail", reference=review.reference)


# --- Disputes ------------------------------------------------------------------------------


@login_required
def dispute_list(request):
    return filtered_list_page(
        request,
        DisputeFilterForm,
        lambda filters: queries.disputes_for_list(
            request.user,
            q=filters.get("q", ""),
            status=filters.get("status", ""),
            supplier=filters.get("supplier"),
        ),
        export_name="supplier-disputes",
        columns=DISPUTE_COLUMNS,
        template="relationship/supplier_dispute_list.html",
    )


@login_required
def dispute_new(request):
    staff_only(request.user)
    require_supplier_writer(request.user)
    initial = {}
    if request.GET.get("supplier"):
        with contextlib.suppress(Http404):
            initial["supplier"] = get_supplier_for(request.user, pk=request.GET["supplier"]).pk
    form = DisputeForm(request.POST or None, initial=initial)
    return record_form_page(
        request,
        form,
        save=lambda data: dispute_services.dispute_create(actor=request.user, **data),
        saved=lambda dispute: _("Dispute %s recorded.") % dispute.reference,
        done=lambda dispute: redirect("supplier_dispute_detail", reference=dispute.reference),
        title=_("New supplier dispute"),
        cancel_url="/suppliers/disputes/",
    )


@login_required
def dispute_detail(request, reference):
    dispute = get_dispute_for(request.user, reference=reference)
    role = supplier_role(request.user)
    context = {
        "dispute": dispute,
        "can_write": role is not None and dispute.is_open,
        "moves": moves_from(DISPUTE_TRANSITIONS, dispute.status, role) if role else [],
    }
    return render(request, "relationship/supplier_dispute_detail.html", context)


@login_required
def dispute_edit(request, reference):
    dispute = get_dispute_for(request.user, reference=reference, write=True)
    initial = {f: getattr(dispute, f) for f in dispute_services.DISPUTE_FIELDS}
    initial["contract"] = dispute.contract_id
    initial["owner"] = dispute.owner_id
    form = DisputeForm(request.POST or None, initial=initial, editing=True)
    return record_form_page(
        request,
        form,
        save=lambda data: dispute_services.dispute_update(
            actor=request.user, dispute=dispute, **changed_fields(form)
        ),
        saved=_("Changes saved."),
        done=lambda _saved: redirect("supplier_dispute_detail", reference=dispute.reference),
        title=_("Edit %s") % dispute.reference,
        cancel_url=f"/suppliers/disputes/{dispute.reference}/",
    )


@login_required
@require_POST
def dispute_move(request, reference):
    dispute = get_dispute_for(request.user, reference=reference, write=True)
    status_move_apply(
        request,
        DisputeMoveForm(request.POST),
        lambda data: dispute_services.dispute_transition(
            actor=request.user,
            dispute=dispute,
            target=data["target"],
            resolution=data["resolution"],
            reason=data["reason"],
            expected_version=data.get("version"),
        ),
    )
    return redirect("supplier_dispute_detail", reference=dispute.reference)
