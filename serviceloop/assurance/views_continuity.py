"""The continuity screens: plans (list, detail, forms, moves), recording a test with its
issues, the issues list, the annual test schedule, and invoking a plan for a major incident
(and standing it down)."""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from serviceloop.assurance import queries, services_continuity
from serviceloop.assurance.forms_continuity import (
    InvokeForm,
    IssueFilterForm,
    IssueForm,
    PlanFilterForm,
    PlanForm,
    PlanTestForm,
    StandDownForm,
)
from serviceloop.assurance.lifecycle import ISSUE_MOVES, PLAN_MOVES, PlanStatus, moves_from
from serviceloop.assurance.models import ContinuityTest, Invocation
from serviceloop.assurance.permissions import (
    can_create_plans,
    can_edit_plan,
    can_manage,
    can_operate,
    get_invocation_for,
    get_issue_for,
    get_plan_for,
    get_test_for,
    staff_only,
)
from serviceloop.assurance.views_common import (
    form_page,
    list_filters,
    messages_from,
    posted_call,
    posted_move,
)
from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.core.views.helpers import apply_service_errors, paginate
from serviceloop.desk.models import Ticket
from serviceloop.portfolio.models import Service

PLAN_COLUMNS = [
    Column(gettext_lazy("Reference"), "reference"),
    Column(gettext_lazy("Service"), "service.name"),
    Column(gettext_lazy("Title"), "title"),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("RTO (minutes)"), "rto_minutes"),
    Column(gettext_lazy("RPO (minutes)"), "rpo_minutes"),
    Column(gettext_lazy("Owner"), lambda p: str(p.owner)),
    Column(gettext_lazy("Next review"), "review_on"),
    Column(gettext_lazy("Next test due"), "test_due_on"),
    Column(gettext_lazy("Tests"), "test_count"),
]
SCHEDULE_COLUMNS = [
    Column(gettext_lazy("Due"), "test_due_on"),
    Column(gettext_lazy("Reference"), "reference"),
    Column(gettext_lazy("Service"), "service.name"),
    Column(gettext_lazy("Title"), "title"),
    Column(gettext_lazy("Owner"), lambda p: str(p.owner)),
    Column(
        gettext_lazy("Last test"), lambda p: p.latest_tests[0].tested_on if p.latest_tests else ""
    ),
    Column(
        gettext_lazy("Last result"),
        lambda p: p.latest_tests[0].get_result_display() if p.latest_tests else "",
    ),
    Column(gettext_lazy("Overdue"), lambda p: p.test_overdue(timezone.localdate())),
]
ISSUE_COLUMNS = [
    Column(gettext_lazy("Plan"), "test.plan.reference"),
    Column(gettext_lazy("Service"), "test.plan.service.name"),
    Column(gettext_lazy("Tested on"), "test.tested_on"),
    Column(gettext_lazy("Issue"), "description"),
    Column(gettext_lazy("Action"), "action"),
    Column(gettext_lazy("Owner"), lambda i: str(i.owner)),
    Column(gettext_lazy("Due"), "due_on"),
    Column(gettext_lazy("Status"), "get_status_display"),
]


def _editable_services(user):
    services = Service.objects.visible_to(user).order_by("name")
    if can_manage(user):
        return services
    return services.filter(owner=user)


def _to_plan(plan):
    return redirect("continuity_plan_detail", reference=plan.reference)


@login_required
def plan_list(request):
    form, filters = list_filters(request, PlanFilterForm)
    plans = queries.plans_for_list(
        request.user,
        service=filters.get("service"),
        status=filters.get("status", ""),
        due=filters.get("due", ""),
        q=filters.get("q", ""),
    )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "continuity-plans", PLAN_COLUMNS, plans)
    today = timezone.localdate()
    context = {
        "form": form,
        "page": paginate(request, plans),
        "today": today,
        "overdue": queries.plans_for_list(request.user, due="overdue").count(),
        "can_create": can_create_plans(request.user),
    }
    return render(request, "assurance/plan_list.html", context)


@login_required
def plan_new(request):
    staff_only(request.user)
    if not can_create_plans(request.user):
        raise PermissionDenied
    services = _editable_services(request.user)
    initial = {"owner": request.user.pk}
    if request.GET.get("service"):
        initial["service"] = request.GET["service"]
    return form_page(
        request,
        PlanForm(request.POST or None, services=services, initial=initial),
        lambda data: services_continuity.plan_create(actor=request.user, **data),
        title=_("New continuity plan"),
        success=lambda plan: (
            _("Continuity plan %(reference)s saved as a draft.") % {"reference": plan.reference}
        ),
        done=_to_plan,
    )


@login_required
def plan_detail(request, reference):
    plan = get_plan_for(request.user, reference)
    editor = can_edit_plan(request.user, plan)
    today = timezone.localdate()
    tests = (
        ContinuityTest.objects.filter(plan=plan)
        .select_related("recorded_by")
        .prefetch_related("participants", "issues__owner")
    )
    context = {
        "plan": plan,
        "steps": plan.steps.all(),
        "contacts": plan.contacts.all(),
        "tests": [
            {
                "test": test,
                "issues": [
                    {
                        "issue": issue,
                        "moves": moves_from(ISSUE_MOVES, issue.status)
                        if editor or issue.owner_id == request.user.pk
                        else [],
                    }
                    for issue in test.issues.all()
                ],
            }
            for test in tests
        ],
        "invocations": Invocation.objects.filter(plan=plan)
        .select_related("ticket", "invoked_by", "stood_down_by")
        .annotate(ticket_hidden=queries.ticket_hidden_from(request.user)),
        "today": today,
        "test_overdue": plan.test_overdue(today),
        "review_overdue": plan.review_overdue(today),
        "can_edit": editor,
        "moves": moves_from(PLAN_MOVES, plan.status) if editor else [],
        "can_invoke": can_operate(request.user) and plan.status == PlanStatus.ACTIVE,
        "invoke_form": InvokeForm() if can_operate(request.user) else None,
        "stand_down_form": StandDownForm() if can_operate(request.user) else None,
    }
    return render(request, "assurance/plan_detail.html", context)


@login_required
def plan_edit(request, reference):
    plan = get_plan_for(request.user, reference, write=True)
    return form_page(
        request,
        PlanForm(request.POST or None, initial=PlanForm.initial_for(plan), editing=True),
        lambda data: services_continuity.plan_update(
            actor=request.user,
            plan=plan,
            expected_version=request.POST.get("version") or None,
            **data,
        ),
        title=str(plan),
        success=_("Continuity plan saved."),
        done=_to_plan,
    )


@require_POST
@login_required
def plan_move(request, reference):
    plan = get_plan_for(request.user, reference, write=True)
    posted_move(
        request,
        partial(services_continuity.plan_transition, actor=request.user, plan=plan),
        _("Continuity plan updated."),
    )
    return redirect("continuity_plan_detail", reference=plan.reference)


@login_required
def plan_test_new(request, reference):
    plan = get_plan_for(request.user, reference, write=True)
    form = PlanTestForm(request.POST or None, initial={"tested_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services_continuity.plan_test_record(
                actor=request.user,
                plan=plan,
                kind=data["kind"],
                tested_on=data["tested_on"],
                result=data["result"],
                summary=data["summary"],
                participants=list(data["participants"]),
                other_participants=data["other_participants"],
                recovery_minutes=data["recovery_minutes"],
                issues=form.issues(),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
            if hasattr(error, "error_dict") and "issues" in error.message_dict:
                form.add_error("issue_description", error.message_dict["issues"])
        else:
            plan.refresh_from_db()
            messages.success(
                request,
                _("Test recorded; the next test is due %(date)s.")
                % {"date": plan.test_due_on.isoformat()},
            )
            return redirect("continuity_plan_detail", reference=plan.reference)
    intro = _(
        "A test that did not fully pass must record at least one issue with its action. "
        "The next test falls due a year after this one (three months after a failed test)."
    )
    title = _("Record a test of %(plan)s") % {"plan": plan.reference}
    return render(request, "core/form_page.html", {"form": form, "title": title, "intro": intro})


@login_required
def issue_new(request, pk):
    test = get_test_for(request.user, pk, write=True)
    return form_page(
        request,
        IssueForm(request.POST or None),
        lambda data: services_continuity.issue_add(actor=request.user, test=test, **data),
        title=_("New issue from the test of %(date)s") % {"date": test.tested_on.isoformat()},
        success=_("Issue recorded."),
        done=lambda issue: redirect("continuity_plan_detail", reference=test.plan.reference),
    )


@require_POST
@login_required
def issue_move(request, pk):
    issue = get_issue_for(request.user, pk, write=True)
    posted_move(
        request,
        partial(services_continuity.issue_transition, actor=request.user, issue=issue),
        _("Issue updated."),
    )
    if request.POST.get("from") == "plan":
        return redirect("continuity_plan_detail", reference=issue.test.plan.reference)
    return redirect("continuity_issue_list")


@login_required
def issue_list(request):
    staff_only(request.user)
    form = IssueFilterForm(request.GET or None, initial={"status": "open"})
    status = "open"
    if form.is_bound and form.is_valid():
        status = form.cleaned_data["status"]
    issues = queries.issues_for_list(request.user, status=status)
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "continuity-issues", ISSUE_COLUMNS, issues)
    user = request.user
    rows = [
        {
            "issue": issue,
            "moves": moves_from(ISSUE_MOVES, issue.status)
            if can_edit_plan(user, issue.test.plan) or issue.owner_id == user.pk
            else [],
        }
        for issue in paginate(request, issues)
    ]
    return render(
        request,
        "assurance/issue_list.html",
        {"form": form, "rows": rows, "today": timezone.localdate()},
    )


@login_required
def test_schedule(request):
    staff_only(request.user)
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year", today.year))
    except ValueError:
        year = today.year
    year = min(max(year, 2000), 2200)
    plans = queries.test_schedule(request.user, year)
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, f"continuity-test-schedule-{year}", SCHEDULE_COLUMNS, plans)
    months = {month: [] for month in range(1, 13)}
    overdue = []
    for plan in plans:
        if plan.test_due_on < today:
            overdue.append(plan)
        if plan.test_due_on.year == year:
            months[plan.test_due_on.month].append(plan)
    context = {
        "year": year,
        "months": months,
        "overdue": overdue,
        "today": today,
        "previous": year - 1,
        "next": year + 1,
    }
    return render(request, "assurance/test_schedule.html", context)


# --- Invocations -------------------------------------------------------------------------------


@require_POST
@login_required
def plan_invoke(request, reference):
    plan = get_plan_for(request.user, reference)
    if not can_operate(request.user):
        raise PermissionDenied
    form = InvokeForm(request.POST)
    if form.is_valid():
        ticket = (
            Ticket.objects.visible_to(request.user)
            .filter(reference=form.cleaned_data["ticket"].strip())
            .first()
        )
        if ticket is None:
            messages.error(request, _("No major incident with this reference."))
        else:
            posted_call(
                request,
                form,
                lambda data: services_continuity.plan_invoke(
                    actor=request.user, plan=plan, ticket=ticket, notes=data["notes"]
                ),
                _("Plan invoked."),
            )
    return redirect("continuity_plan_detail", reference=plan.reference)


@require_POST
@login_required
def ticket_invoke(request, reference):
    """Invoke a plan from the major incident's page (the desk ticket's assurance panel)."""
    staff_only(request.user)
    ticket = Ticket.objects.visible_to(request.user).filter(reference=reference).first()
    if ticket is None:
        raise Http404
    plan = get_plan_for(request.user, request.POST.get("plan", ""))
    try:
        services_continuity.plan_invoke(
            actor=request.user, plan=plan, ticket=ticket, notes=request.POST.get("notes", "")
        )
    except ValidationError as error:
        messages_from(request, error)
    else:
        messages.success(request, _("Plan %(reference)s invoked.") % {"reference": plan.reference})
    return redirect("ticket_detail", reference=ticket.reference)


@require_POST
@login_required
def invocation_stand_down(request, pk):
    invocation = get_invocation_for(request.user, pk, write=True)
    posted_call(
        request,
        StandDownForm(request.POST),
        lambda data: services_continuity.invocation_stand_down(
            actor=request.user, invocation=invocation, notes=data["notes"]
        ),
        _("Plan stood down."),
    )
    return redirect("continuity_plan_detail", reference=invocation.plan.reference)
