"""The context screens (clause 4): the overview of context and leadership, internal and
external issues, interested parties, and the versioned scope statement.

Provider staff read; the management-system owner and administrators write (403 for other
staff); the scope is approved by top management or the management-system owner; customers
get 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.core.permissions import user_can
from serviceloop.core.roles import Capability
from serviceloop.core.views.helpers import apply_service_errors, paginate
from serviceloop.planning import services_context as services
from serviceloop.planning.forms_context import (
    ApproveForm,
    CurrentForm,
    ExclusionFormSet,
    IssueFilterForm,
    IssueForm,
    PartyFilterForm,
    PartyForm,
    ScopeForm,
    exclusion_rows,
)
from serviceloop.planning.models import (
    PROCESSES,
    ContextIssue,
    InterestedParty,
    PolicyVersion,
    RaciAssignment,
    ScopeStatement,
    VersionStatus,
)
from serviceloop.planning.permissions_management import (
    can_approve_scope,
    can_manage,
    get_issue_for,
    get_party_for,
    get_scope_for,
    require_manage,
    require_staff,
)
from serviceloop.planning.queries_policy import policy_documents_in_force
from serviceloop.planning.services_context import scope_approval_problems
from serviceloop.portfolio.models import Service
from serviceloop.portfolio.permissions import can_manage_services

ISSUE_COLUMNS = [
    Column(gettext_lazy("Kind"), "get_kind_display"),
    Column(gettext_lazy("Issue"), "title"),
    Column(gettext_lazy("Description"), "description"),
    Column(gettext_lazy("Impact"), "impact"),
    Column(gettext_lazy("Owner"), lambda i: str(i.owner)),
    Column(gettext_lazy("Review date"), "review_on"),
    Column(gettext_lazy("Current"), lambda i: _("yes") if i.is_active else _("no")),
]
PARTY_COLUMNS = [
    Column(gettext_lazy("Interested party"), "name"),
    Column(gettext_lazy("Category"), "get_category_display"),
    Column(gettext_lazy("Requirements"), "requirements"),
    Column(gettext_lazy("How addressed"), "how_addressed"),
    Column(gettext_lazy("Owner"), lambda p: str(p.owner)),
    Column(gettext_lazy("Review date"), "review_on"),
    Column(gettext_lazy("Current"), lambda p: _("yes") if p.is_active else _("no")),
]
SCOPE_COLUMNS = [
    Column(gettext_lazy("Version"), "number"),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Scope statement"), "statement"),
    Column(gettext_lazy("Services"), lambda s: [x.name for x in s.services.all()]),
    Column(gettext_lazy("Customers"), lambda s: [c.name for c in s.customers.all()]),
    Column(gettext_lazy("Locations"), "locations"),
    Column(
        gettext_lazy("Exclusions"),
        lambda s: [f"{e.subject}: {e.justification}" for e in s.exclusions.all()],
    ),
    Column(gettext_lazy("Approved by"), lambda s: str(s.approved_by or "")),
    Column(gettext_lazy("Approved"), "approved_at"),
]


def _errors(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _by_current(records, current: str):
    if current == "all":
        return records
    return records.filter(is_active=current != "retired")


@login_required
def context_overview(request):
    require_staff(request.user)
    today = timezone.localdate()
    issues = ContextIssue.objects.visible_to(request.user).filter(is_active=True)
    parties = InterestedParty.objects.visible_to(request.user).filter(is_active=True)
    accountable = set(
        RaciAssignment.objects.filter(letters__contains="A").values_list("process", flat=True)
    )
    context = {
        "issue_counts": {
            "internal": issues.filter(kind="internal").count(),
            "external": issues.filter(kind="external").count(),
            "overdue": issues.filter(review_on__lt=today).count(),
        },
        "party_count": parties.count(),
        "party_overdue": parties.filter(review_on__lt=today).count(),
        "scope": ScopeStatement.objects.filter(status=VersionStatus.APPROVED)
        .select_related("approved_by")
        .prefetch_related("services", "exclusions")
        .first(),
        "scope_draft": ScopeStatement.objects.filter(status=VersionStatus.DRAFT).first(),
        "policy": PolicyVersion.objects.filter(status=VersionStatus.APPROVED)
        .select_related("approved_by")
        .first(),
        "policy_draft": PolicyVersion.objects.filter(status=VersionStatus.DRAFT).first(),
        "policy_documents": policy_documents_in_force(request.user),
        "raci_missing": [p for p in PROCESSES if p.code not in accountable],
        "process_count": len(PROCESSES),
    }
    return render(request, "planning/context_overview.html", context)


# --- Shared by issues and interested parties ----------------------------------------------


def _record_detail(request, record, kind: str):
    """The page of an issue or an interested party (``kind``: "issue" or "party")."""
    context = {
        "record": record,
        "kind": kind,
        "today": timezone.localdate(),
        "can_manage": can_manage(request.user),
        "perms_audit": user_can(request.user, Capability.READ_AUDIT_TRAIL),
    }
    return render(request, f"planning/context_{kind}_detail.html", context)


def _set_current(request, set_current, **record):
    """Retire or reinstate an issue or a party through its service (``issue=``/``party=``)."""
    ((kind, obj),) = record.items()
    form = CurrentForm(request.POST)
    form.is_valid()
    try:
        set_current(
            actor=request.user,
            current=form.cleaned_data.get("current", False),
            reason=form.cleaned_data.get("reason", ""),
            expected_version=form.cleaned_data.get("version"),
            **record,
        )
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Changes saved."))
    return redirect(f"context_{kind}_detail", pk=obj.pk)


def _record_list(request, kind, model, filter_form_class, narrow, export_name, columns):
    """The list of issues or interested parties (``kind``: "issue" or "party"): the current
    ones unless the filter asks otherwise, narrowed by ``narrow(records, filters)``;
    ``?format=csv|xlsx`` exports them with ``columns``."""
    require_staff(request.user)
    form = filter_form_class(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    records = _by_current(
        model.objects.visible_to(request.user).select_related("owner"),
        filters.get("current", ""),
    )
    records = narrow(records, filters)
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, export_name, columns, records)
    context = {
        "form": form,
        "page": paginate(request, records),
        "today": timezone.localdate(),
        "can_manage": can_manage(request.user),
    }
    return render(request, f"planning/context_{kind}_list.html", context)


def _record_form(request, form, save, *, kind, saved, title):
    """The new or edit page of an issue or a party: a valid POST calls ``save(cleaned_data)``
    (the service; its ValidationError lands in the form), then shows the record's page."""
    if request.method == "POST" and form.is_valid():
        try:
            record = save(form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, saved)
            return redirect(f"context_{kind}_detail", pk=record.pk)
    return render(request, "core/form_page.html", {"form": form, "title": title})


# --- Issues --------------------------------------------------------------------------------


def _narrow_issues(issues, filters):
    if filters.get("kind"):
        issues = issues.filter(kind=filters["kind"])
    if filters.get("owner"):
        issues = issues.filter(owner=filters["owner"])
    if filters.get("q"):
        q = filters["q"]
        issues = issues.filter(Q(title__icontains=q) | Q(description__icontains=q))
    return issues


@login_required
def context_issue_list(request):
    return _record_list(
        request,
        "issue",
        ContextIssue,
        IssueFilterForm,
        _narrow_issues,
        "context-issues",
        ISSUE_COLUMNS,
    )


@login_required
def context_issue_new(request):
    require_manage(request.user)
    form = IssueForm(request.POST or None, initial={"owner": request.user.pk})
    return _record_form(
        request,
        form,
        lambda data: services.issue_create(actor=request.user, **data),
        kind="issue",
        saved=_("Issue recorded."),
        title=_("New internal or external issue"),
    )


@login_required
def context_issue_detail(request, pk):
    return _record_detail(request, get_issue_for(request.user, pk), "issue")


@login_required
def context_issue_edit(request, pk):
    issue = get_issue_for(request.user, pk, write=True)
    form = IssueForm(request.POST or None, initial=IssueForm.initial_for(issue))
    return _record_form(
        request,
        form,
        lambda data: services.issue_update(actor=request.user, issue=issue, **data),
        kind="issue",
        saved=_("Changes saved."),
        title=_("Edit issue"),
    )


@login_required
@require_POST
def context_issue_current(request, pk):
    issue = get_issue_for(request.user, pk, write=True)
    return _set_current(request, services.issue_set_current, issue=issue)


# --- Interested parties --------------------------------------------------------------------


def _narrow_parties(parties, filters):
    if filters.get("category"):
        parties = parties.filter(category=filters["category"])
    if filters.get("q"):
        q = filters["q"]
        parties = parties.filter(Q(name__icontains=q) | Q(requirements__icontains=q))
    return parties


@login_required
def context_party_list(request):
    return _record_list(
        request,
        "party",
        InterestedParty,
        PartyFilterForm,
        _narrow_parties,
        "interested-parties",
        PARTY_COLUMNS,
    )


@login_required
def context_party_new(request):
    require_manage(request.user)
    form = PartyForm(request.POST or None, initial={"owner": request.user.pk})
    return _record_form(
        request,
        form,
        lambda data: services.party_create(actor=request.user, **data),
        kind="party",
        saved=_("Interested party recorded."),
        title=_("New interested party"),
    )


@login_required
def context_party_detail(request, pk):
    return _record_detail(request, get_party_for(request.user, pk), "party")


@login_required
def context_party_edit(request, pk):
    party = get_party_for(request.user, pk, write=True)
    form = PartyForm(request.POST or None, initial=PartyForm.initial_for(party))
    return _record_form(
        request,
        form,
        lambda data: services.party_update(actor=request.user, party=party, **data),
        kind="party",
        saved=_("Changes saved."),
        title=_("Edit interested party"),
    )


@login_required
@require_POST
def context_party_current(request, pk):
    party = get_party_for(request.user, pk, write=True)
    return _set_current(request, services.party_set_current, party=party)


# --- Scope statement -----------------------------------------------------------------------


@login_required
def scope_list(request):
    require_staff(request.user)
    versions = (
        ScopeStatement.objects.visible_to(request.user)
        .select_related("approved_by")
        .prefetch_related("services", "customers", "exclusions")
        .order_by("-number")
    )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "scope-statements", SCOPE_COLUMNS, versions)
    context = {
        "versions": versions,
        "has_draft": any(v.is_draft for v in versions),
        "can_manage": can_manage(request.user),
    }
    return render(request, "planning/scope_list.html", context)


@login_required
@require_POST
def scope_new(request):
    require_manage(request.user)
    try:
        draft = services.scope_draft_create(actor=request.user)
    except ValidationError as error:
        _errors(request, error)
        return redirect("scope_list")
    messages.success(request, _("Draft version %(n)d started.") % {"n": draft.number})
    return redirect("scope_edit", number=draft.number)


@login_required
def scope_detail(request, number):
    scope = get_scope_for(request.user, number)
    context = {
        "scope": scope,
        "services": scope.services.order_by("name"),
        "customers": scope.customers.order_by("name"),
        "exclusions": scope.exclusions.order_by("id"),
        "problems": scope_approval_problems(scope) if scope.is_draft else [],
        "can_manage": can_manage(request.user),
        "can_approve": can_approve_scope(request.user),
        "perms_audit": user_can(request.user, Capability.READ_AUDIT_TRAIL),
        **(_catalogue_hint(request.user) if scope.is_draft else {}),
    }
    return render(request, "planning/scope_detail.html", context)


def _catalogue_hint(user) -> dict:
    """Whether the service catalogue is empty (a scope names at least one service), and
    whether ``user`` may add a service there himself."""
    return {
        "catalogue_empty": not Service.objects.exists(),
        "can_add_service": can_manage_services(user),
    }


@login_required
def scope_edit(request, number):
    scope = get_scope_for(request.user, number, write=True)
    if not scope.is_draft:
        messages.error(request, _("Only a draft can be changed: start a new version."))
        return redirect("scope_detail", number=scope.number)
    exclusions = [
        {"subject": e.subject, "justification": e.justification, "module": e.module}
        for e in scope.exclusions.order_by("id")
    ]
    # modules switched off after the draft was started: offered as rows, kept on saving
    added = services.scope_missing_exclusions(scope)
    exclusions += added
    form = ScopeForm(request.POST or None, initial=ScopeForm.initial_for(scope))
    formset = ExclusionFormSet(request.POST or None, initial=exclusions, prefix="exclusions")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version", None)
        try:
            services.scope_update(
                actor=request.user,
                scope=scope,
                expected_version=version,
                exclusions=exclusion_rows(formset),
                **data,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("scope_detail", number=scope.number)
    context = {
        "form": form,
        "formset": formset,
        "scope": scope,
        "exclusions_added": added,
        **_catalogue_hint(request.user),
    }
    return render(request, "planning/scope_form.html", context)


@login_required
@require_POST
def scope_approve(request, number):
    scope = get_scope_for(request.user, number, approve=True)
    form = ApproveForm(request.POST)
    form.is_valid()
    try:
        services.scope_approve(
            actor=request.user,
            scope=scope,
            note=form.cleaned_data.get("note", ""),
            expected_version=form.cleaned_data.get("version"),
        )
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Scope statement approved."))
    return redirect("scope_detail", number=scope.number)


@login_required
@require_POST
def scope_discard(request, number):
    scope = get_scope_for(request.user, number, write=True)
    try:
        services.scope_draft_discard(actor=request.user, scope=scope)
    except ValidationError as error:
        _errors(request, error)
        return redirect("scope_detail", number=scope.number)
    messages.success(request, _("Draft discarded."))
    return redirect("scope_list")
