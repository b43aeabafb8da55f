"""The document screens: the register (filters, export), a document's page with its versions,
a version's page (text, reviews and approvals, moves, the controlled PDF), the read-and-
acknowledge campaigns, and everyone's reading list."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.core.roles import Capability
from serviceloop.core.views.helpers import apply_service_errors, paginate
from serviceloop.support import pdf_documents
from serviceloop.support import queries_documents as queries
from serviceloop.support import services_document_campaigns as campaign_services
from serviceloop.support import services_document_signoffs as signoff_services
from serviceloop.support import services_document_versions as version_services
from serviceloop.support import services_documents as services
from serviceloop.support.form_screens import (
    data_without,
    flash_service_errors,
    form_page_save,
    posted_form_apply,
)
from serviceloop.support.forms_documents import (
    AcknowledgeForm,
    CampaignEditForm,
    CampaignFilterForm,
    CampaignForm,
    DocumentFilterForm,
    DocumentForm,
    DocumentMetaForm,
    ReviewedForm,
    VersionForm,
    VersionMoveForm,
    VersionReviewForm,
)
from serviceloop.support.models import (
    AcknowledgementCampaign,
    CampaignStatus,
    DocumentStatus,
    VersionStatus,
    documents_read_all,
    version_transitions_from,
)

DOCUMENT_COLUMNS = [
    Column(_l("Reference"), "reference"),
    Column(_l("Title"), "title"),
    Column(_l("Kind"), "get_kind_display"),
    Column(_l("Status"), "get_status_display"),
    Column(_l("Effective version"), "effective_version.number"),
    Column(_l("Effective from"), "effective_version.effective_from"),
    Column(_l("Newest version"), "current_version.number"),
    Column(_l("Newest version status"), "current_version.get_status_display"),
    Column(_l("Owner"), "owner"),
    Column(_l("Clauses"), "clauses"),
    Column(_l("Review interval (months)"), "review_interval_months"),
    Column(_l("Next review"), "next_review"),
    Column(_l("Review overdue"), "review_overdue"),
    Column(_l("Approved or reviewed by its author"), "self_signed"),
]
CAMPAIGN_COLUMNS = [
    Column(_l("Reference"), "reference"),
    Column(_l("Title"), "title"),
    Column(_l("Document"), "document.reference"),
    Column(_l("Version"), "version.number"),
    Column(_l("Status"), "get_status_display"),
    Column(_l("Deadline"), "deadline"),
    Column(_l("Asked"), "asked"),
    Column(_l("Acknowledged"), "acknowledged_count"),
    Column(_l("Started"), "created_at"),
]
ACKNOWLEDGEMENT_COLUMNS = [
    Column(_l("Campaign"), "campaign.reference"),
    Column(_l("Person"), "person"),
    Column(_l("Username"), "person.username"),
    Column(_l("Organisation"), "person.organisation"),
    Column(_l("Asked"), "added_at"),
    Column(_l("Acknowledged"), "acknowledged_at"),
    Column(_l("Reminded"), "reminded_at"),
]
READING_COLUMNS = [
    Column(_l("Document"), "campaign.document.reference"),
    Column(_l("Title"), "campaign.document.title"),
    Column(_l("Version"), "campaign.version.number"),
    Column(_l("Deadline"), "campaign.deadline"),
    Column(_l("Acknowledged"), "acknowledged_at"),
]


def _staff_only(user) -> None:
    if not user.has_capability(Capability.STAFF):
        raise Http404


# --- The register --------------------------------------------------------------------------


@login_required
def document_list(request):
    _staff_only(request.user)
    form = DocumentFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    today = timezone.localdate()
    documents = queries.documents_for_list(
        request.user,
        q=filters.get("q", "").strip(),
        kind=filters.get("kind", ""),
        status=filters.get("status", ""),
        owner=filters.get("owner"),
        clause=filters.get("clause", "").strip(),
        overdue=filters.get("overdue", False),
        self_signed=filters.get("self_signed", False),
        today=today,
    )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "documents", DOCUMENT_COLUMNS, documents)
    context = {
        "form": form,
        "page": paginate(request, documents),
        "counts": queries.document_counts(request.user, today),
        "can_create": services.documents_may_edit(request.user),
        "read_all": documents_read_all(request.user),
        "to_read": queries.reading_list(request.user).count(),
        "today": today,
    }
    return render(request, "support/document_list.html", context)


@login_required
def document_new(request):
    _staff_only(request.user)
    if not services.documents_may_edit(request.user):
        raise PermissionDenied
    return form_page_save(
        request,
        DocumentForm(request.POST or None, initial={"owner": request.user.pk}),
        save=lambda data: services.document_create(actor=request.user, **data),
        saved=lambda document: _("Document %s saved; version 1 is a draft.") % document,
        done=lambda document: redirect("document_detail", reference=document.reference),
        title=_("New document"),
    )


# --- A document ----------------------------------------------------------------------------


@login_required
def document_detail(request, reference):
    user = request.user
    document = services.get_document_for(user, reference)
    versions = services.readable_versions(user, document)
    open_rows = queries.open_acknowledgements_for(user, document)
    context = {
        "document": document,
        "versions": versions,
        "effective": document.effective_version,
        "open_rows": open_rows,
        "today": timezone.localdate(),
    }
    if not documents_read_all(user):
        return render(request, "support/document_reader.html", context)
    may_edit = services.documents_may_edit(user)
    newest = document.current_version
    context |= {
        "newest": newest,
        "can_edit": may_edit,
        "can_new_version": may_edit
        and document.status != DocumentStatus.WITHDRAWN
        and (newest is None or not newest.is_open),
        "can_campaign": may_edit
        and versions.filter(status__in=[VersionStatus.APPROVED, VersionStatus.EFFECTIVE]).exists(),
        "reviewed_form": ReviewedForm()
        if document.status == DocumentStatus.EFFECTIVE
        and (may_edit or user.pk == document.owner_id)
        else None,
        "campaigns": queries.campaigns_for_list(user, document=document),
    }
    return render(request, "support/document_detail.html", context)


@login_required
def document_edit(request, reference):
    _staff_only(request.user)
    document = services.get_document_for(request.user, reference, write=True)
    initial = {
        "title": document.title,
        "kind": document.kind,
        "owner": document.owner_id,
        "clauses": document.clauses,
        "review_interval_months": document.review_interval_months,
        "next_review": document.next_review,
        "version": document.version,
    }

    def save(data):
        changes = data_without(data, "version")
        if changes["next_review"] == document.next_review:
            changes.pop("next_review")
        return services.document_update(
            actor=request.user, document=document, expected_version=data.get("version"), **changes
        )

    return form_page_save(
        request,
        DocumentMetaForm(request.POST or None, initial=initial),
        save=save,
        saved=_("Changes saved."),
        done=lambda _saved: redirect("document_detail", reference=document.reference),
        title=_("Edit %s") % document.reference,
    )


@login_required
@require_POST
def document_reviewed(request, reference):
    document = services.get_document_for(request.user, reference)
    posted_form_apply(
        request,
        ReviewedForm(request.POST),
        save=lambda data: services.document_mark_reviewed(
            actor=request.user, document=document, next_review=data["next_review"]
        ),
        saved=_("Review recorded."),
    )
    return redirect("document_detail", reference=document.reference)


# --- Versions ------------------------------------------------------------------------------


def _version_initial(version) -> dict:
    return {
        "body": version.body,
        "change_summary": version.change_summary,
        "reviewers": list(version.reviewers.values_list("pk", flat=True)),
        "approvers": list(version.approvers.values_list("pk", flat=True)),
        "planned_effective": version.planned_effective,
    }


def _signing(user, version, state) -> dict:
    """What ``user`` may sign on ``version`` and what the page tells him. The author never
    signs his own version unless nobody else may (the recorded exception): then the approve
    form (or his review form) asks why; otherwise he is told who signs instead."""
    in_review = version.status == VersionStatus.IN_REVIEW
    is_author = version.author_id == user.pk
    is_reviewer = any(p.pk == user.pk for p in state["reviewers"])
    may_approve_documents = in_review and services.documents_may_approve(user)
    self_approval = (
        may_approve_documents
        and is_author
        and user.pk not in state["approvals"]
        and signoff_services.author_may_approve_own(version)
    )
    may_approve = self_approval or (
        may_approve_documents
        and not is_author
        and (not state["approvers"] or any(p.pk == user.pk for p in state["approvers"]))
        and user.pk not in state["approvals"]
    )
    self_review = in_review and is_reviewer and is_author
    self_review_allowed = self_review and signoff_services.author_may_review_own(version)
    signing = {
        "may_approve": may_approve,
        "self_approval": self_approval,
        "review_form": VersionReviewForm(self_review=self_review)
        if in_review and is_reviewer and (not is_author or self_review_allowed)
        else None,
        "self_review": self_review_allowed,
        # the author waits for someone else's approval: say whose, or that nobody can yet
        "author_waits": in_review and is_author and not self_approval,
        "other_reviewers": [],
    }
    if signing["author_waits"]:
        signing["other_approvers"] = list(queries.approvers_besides_author(version)[:5])
    if self_review and not self_review_allowed:
        signing["other_reviewers"] = list(queries.document_reviewers_besides(user)[:5])
    return signing


@login_required
def document_version(request, reference, number):
    user = request.user
    document = services.get_document_for(user, reference)
    version = services.get_version_for(user, document, number)
    roles = services.document_roles(user)
    state = version_services.signoff_state(version)
    moves = [
        m
        for m in version_transitions_from(version.status, roles)
        if m.target != VersionStatus.APPROVED
    ]
    context = {
        "document": document,
        "version": version,
        "state": state,
        "moves": moves,
        "can_edit": services.documents_may_edit(user) and version.status == VersionStatus.DRAFT,
        "read_all": documents_read_all(user),
        "signoffs": version.signoffs.select_related("person").order_by("round", "signed_at"),
        "open_rows": queries.open_acknowledgements_for(user, document),
        **_signing(user, version, state),
    }
    return render(request, "support/document_version.html", context)


@login_required
def document_version_new(request, reference):
    _staff_only(request.user)
    document = services.get_document_for(request.user, reference, write=True)
    newest = document.current_version
    initial = _version_initial(newest) if newest else {}
    initial.pop("planned_effective", None)
    return form_page_save(
        request,
        VersionForm(request.POST or None, initial=initial),
        save=lambda data: version_services.version_create(
            actor=request.user, document=document, **data
        ),
        saved=lambda version: _("Version %d opened as a draft.") % version.number,
        done=lambda version: redirect(
            "document_version", reference=document.reference, number=version.number
        ),
        title=_("New version of %s") % document.reference,
    )


@login_required
def document_version_edit(request, reference, number):
    _staff_only(request.user)
    document = services.get_document_for(request.user, reference, write=True)
    version = services.get_version_for(request.user, document, number)
    return form_page_save(
        request,
        VersionForm(request.POST or None, initial=_version_initial(version)),
        save=lambda data: version_services.version_update(
            actor=request.user, version=version, **data
        ),
        saved=_("Changes saved."),
        done=lambda _saved: redirect(
            "document_version", reference=document.reference, number=number
        ),
        title=_("Edit %(document)s version %(n)d") % {"document": document.reference, "n": number},
    )


@login_required
@require_POST
def document_version_move(request, reference, number):
    document = services.get_document_for(request.user, reference)
    version = services.get_version_for(request.user, document, number)
    if not services.document_roles(request.user):
        raise PermissionDenied
    posted_form_apply(
        request,
        VersionMoveForm(request.POST),
        save=lambda data: version_services.version_transition(
            actor=request.user,
            version=version,
            target=data["target"],
            comment=data["comment"],
            exception_reason=data["exception_reason"],
        ),
        saved=lambda moved: (
            _("Version %(n)d is now “%(status)s”.")
            % {"n": moved.number, "status": moved.get_status_display()}
        ),
        invalid=_("Choose a valid next status."),
    )
    return redirect("document_version", reference=document.reference, number=number)


@login_required
@require_POST
def document_version_review(request, reference, number):
    document = services.get_document_for(request.user, reference)
    version = services.get_version_for(request.user, document, number)
    posted_form_apply(
        request,
        VersionReviewForm(request.POST, self_review=version.author_id == request.user.pk),
        save=lambda data: version_services.version_review(
            actor=request.user, version=version, **data
        ),
        saved=_("Review recorded."),
    )
    return redirect("document_version", reference=document.reference, number=number)


@login_required
def document_version_pdf(request, reference, number):
    document = services.get_document_for(request.user, reference)
    version = services.get_version_for(request.user, document, number)
    try:
        body = pdf_documents.version_pdf(version)
    except pdf_documents.PdfUnavailable:
        messages.error(
            request, _("PDF export is not available on this server (WeasyPrint is not installed).")
        )
        return redirect("document_version", reference=document.reference, number=number)
    response = HttpResponse(body, content_type=pdf_documents.PDF_TYPE)
    response["Content-Disposition"] = f'inline; filename="{pdf_documents.pdf_filename(version)}"'
    return response


# --- Acknowledging -------------------------------------------------------------------------


@login_required
@require_POST
def document_acknowledge(request, reference):
    document = services.get_document_for(request.user, reference)
    form = AcknowledgeForm(request.POST)
    campaign = None
    if form.is_valid():
        campaign = AcknowledgementCampaign.objects.filter(
            reference=form.cleaned_data["campaign"], document=document
        ).first()
    if campaign is None:
        raise Http404
    try:
        campaign_services.acknowledgement_give(actor=request.user, campaign=campaign)
    except ValidationError as error:
        flash_service_errors(request, error)
    else:
        messages.success(request, _("Thank you: your acknowledgement is recorded."))
    return redirect("document_detail", reference=document.reference)


@login_required
def document_reading(request):
    """Everyone's reading list: what campaigns ask the user to read (customers too)."""
    everything = request.GET.get("all") == "1"
    rows = queries.reading_list(request.user, outstanding_only=not everything)
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "reading-list", READING_COLUMNS, rows)
    context = {"rows": rows, "everything": everything, "today": timezone.localdate()}
    return render(request, "support/document_reading.html", context)


# --- Campaigns -----------------------------------------------------------------------------


@login_required
def document_campaign_list(request):
    _staff_only(request.user)
    if not documents_read_all(request.user):
        raise Http404
    form = CampaignFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    campaigns = queries.campaigns_for_list(
        request.user, status=filters.get("status", ""), overdue=filters.get("overdue", False)
    )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "acknowledgement-campaigns", CAMPAIGN_COLUMNS, campaigns)
    context = {
        "form": form,
        "page": paginate(request, campaigns),
        "today": timezone.localdate(),
        "can_edit": services.documents_may_edit(request.user),
    }
    return render(request, "support/document_campaign_list.html", context)


def _sendable_versions(user, document):
    return services.readable_versions(user, document).filter(
        status__in=[VersionStatus.APPROVED, VersionStatus.EFFECTIVE]
    )


@login_required
def document_campaign_new(request, reference):
    _staff_only(request.user)
    document = services.get_document_for(request.user, reference, write=True)
    versions = list(_sendable_versions(request.user, document))
    default = next((v for v in versions if v.status == VersionStatus.EFFECTIVE), None)
    initial = {
        "version": default.number if default else None,
        "title": document.title,
        "deadline": timezone.localdate() + datetime.timedelta(days=14),
    }
    form = CampaignForm(request.POST or None, initial=initial, versions=versions)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = next(v for v in versions if v.number == data.pop("version"))
        try:
            campaign = campaign_services.campaign_create(
                actor=request.user, version=version, **data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Campaign %s started.") % campaign.reference)
            return redirect("document_campaign_detail", reference=campaign.reference)
    title = _("Ask people to read %s") % document.reference
    return render(request, "core/form_page.html", {"form": form, "title": title})


@login_required
def document_campaign_detail(request, reference):
    campaign = services.get_campaign_for(request.user, reference)
    if not documents_read_all(request.user):
        return redirect("document_detail", reference=campaign.document.reference)
    rows = queries.campaign_rows(campaign)
    fmt = export_format(request)
    if fmt:
        return export_response(
            fmt, f"acknowledgements-{campaign.reference}", ACKNOWLEDGEMENT_COLUMNS, rows
        )
    context = {
        "campaign": campaign,
        "rows": rows,
        "progress": queries.campaign_progress(campaign),
        "teams": campaign.teams.all(),
        "people": campaign.people.all(),
        "can_edit": services.documents_may_edit(request.user)
        and campaign.status == CampaignStatus.OPEN,
        "today": timezone.localdate(),
    }
    return render(request, "support/document_campaign_detail.html", context)


@login_required
def document_campaign_edit(request, reference):
    campaign = services.get_campaign_for(request.user, reference, write=True)
    initial = {
        "title": campaign.title,
        "message": campaign.message,
        "deadline": campaign.deadline,
        "people": list(campaign.people.values_list("pk", flat=True)),
        "teams": list(campaign.teams.values_list("pk", flat=True)),
        "roles": campaign.roles,
    }
    form = CampaignEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            campaign_services.campaign_update(
                actor=request.user, campaign=campaign, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("document_campaign_detail", reference=campaign.reference)
    title = _("Edit %s") % campaign.reference
    return render(request, "core/form_page.html", {"form": form, "title": title})


@login_required
@require_POST
def document_campaign_close(request, reference):
    campaign = services.get_campaign_for(request.user, reference, write=True)
    try:
        campaign_services.campaign_close(actor=request.user, campaign=campaign)
    except ValidationError as error:
        flash_service_errors(request, error)
    else:
        messages.success(request, _("Campaign closed."))
    return redirect("document_campaign_detail", reference=campaign.reference)
