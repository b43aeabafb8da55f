"""The ticket screens: the agent queue, a ticket's page with its actions, raising a ticket."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from serviceloop.core.permissions import require
from serviceloop.core.roles import Capability
from serviceloop.core.views.helpers import apply_service_errors
from serviceloop.desk import queries
from serviceloop.desk.forms import (
    QUEUE_VIEWS,
    AssignForm,
    CommentForm,
    QueueFilterForm,
    TicketCreateForm,
    TicketUpdateForm,
    TransitionForm,
)
from serviceloop.desk.lifecycle import AGENT, Status, transitions_from
from serviceloop.desk.models import SavedView, Ticket
from serviceloop.desk.permissions import get_ticket_for, ticket_role
from serviceloop.desk.services import tickets as services
from serviceloop.desk.views.affected import affected_context
from serviceloop.desk.views.problems import incident_problem_context


def _messages_from(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
def queue(request):
    require(request.user, Capability.STAFF)
    form = QueueFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    # Read-only staff have no tickets of their own: they start on all open tickets.
    default_view = "mine" if request.user.has_capability(Capability.OPERATE) else "open"
    view = filters.get("view") or default_view
    tickets = queries.queue_tickets(
        request.user,
        view=view,
        priority=filters.get("priority", ""),
        status=filters.get("status", ""),
        organisation=filters.get("organisation"),
        q=filters.get("q", ""),
    )
    page = queries.keyset_page(
        tickets, sort=filters.get("sort") or "newest", cursor=request.GET.get("after", "")
    )
    context = {
        "form": form,
        "view": view,
        "views": QUEUE_VIEWS,
        "page": page,
        "now": timezone.now(),
        "can_create": request.user.has_capability(Capability.OPERATE),
        "saved_views": SavedView.objects.filter(owner=request.user),
        "assign_form": AssignForm(),
        "statuses": Status.choices,
    }
    template = "desk/_queue_rows.html" if request.htmx else "desk/queue.html"
    return render(request, template, context)


@login_required
def ticket_new(request):
    require(request.user, Capability.OPERATE)
    form = TicketCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            ticket = services.ticket_create(actor=request.user, **data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Ticket %s raised.") % ticket.reference)
            for warning in getattr(ticket, "assignment_warnings", ()):
                messages.warning(request, warning)
            return redirect("ticket_detail", reference=ticket.reference)
    return render(request, "core/form_page.html", {"form": form, "title": _("New ticket")})


@login_required
def ticket_detail(request, reference):
    ticket = get_ticket_for(request.user, reference)
    role = ticket_role(request.user, ticket)
    is_agent = role == AGENT
    context = {
        "ticket": ticket,
        "role": role,
        "is_agent": is_agent,
        "timeline": queries.ticket_timeline(
            ticket, include_internal=request.user.is_provider_staff, reader=request.user
        ),
        "moves": transitions_from(ticket.status, role) if role else [],
        "comment_form": CommentForm() if role else None,
        "assign_form": AssignForm(
            initial={
                "team": ticket.team_id,
                "assignee": ticket.assignee_id,
                "version": ticket.version,
            }
        )
        if is_agent
        else None,
        "update_form": TicketUpdateForm(
            initial={
                "title": ticket.title,
                "service": ticket.service,
                "category": ticket.category_id,
                "impact": ticket.impact,
                "urgency": ticket.urgency,
                "is_major": ticket.is_major,
                "version": ticket.version,
            }
        )
        if is_agent
        else None,
        "now": timezone.now(),
        **_extras_context(request.user, ticket, role),
        **incident_problem_context(request.user, ticket),  # problems block
        **affected_context(request.user, ticket),  # affected CIs and their impact
        "request_details": _request_details(ticket),
    }
    return render(request, "desk/ticket_detail.html", context)


def _request_details(ticket) -> list[tuple[str, object]]:
    """The request's form answers under their labels (the request type's field definitions)."""
    if not ticket.form_data:
        return []
    labels = {}
    if ticket.request_type is not None:
        labels = {f["name"]: f.get("label", f["name"]) for f in ticket.request_type.form_schema}
    details = []
    for name, value in ticket.form_data.items():
        if isinstance(value, bool):
            value = _("yes") if value else _("no")
        details.append((labels.get(name, name), value))
    return details


def _extras_context(user, ticket, role) -> dict:
    """Watchers, links, files, approvals, major-incident log and rating for the ticket page."""
    from django.contrib.contenttypes.models import ContentType

    from serviceloop.core.models import Attachment
    from serviceloop.desk.forms_extras import (
        ApprovalForm,
        AttachmentUploadForm,
        LinkForm,
        MajorUpdateForm,
        RatingForm,
        ReviewForm,
        WatchersForm,
    )
    from serviceloop.desk.models import CannedResponse, PostIncidentReview
    from serviceloop.desk.services.requests import may_decide

    is_agent = role == AGENT
    approvals = list(ticket.approvals.select_related("approver", "decided_by"))
    review = PostIncidentReview.objects.filter(ticket=ticket).first()
    can_review = user.has_capability(Capability.LEAD) or user.has_capability(
        Capability.MANAGE_SYSTEM
    )
    return {
        "attachments": Attachment.objects.visible_to(user).filter(
            content_type=ContentType.objects.get_for_model(type(ticket)), object_id=str(ticket.pk)
        ),
        # a linked confidential ticket the user is not cleared for is not listed
        "links_out": ticket.links_out.filter(
            target__in=Ticket.objects.visible_to(user).values("pk")
        ).select_related("target"),
        "links_in": ticket.links_in.filter(
            source__in=Ticket.objects.visible_to(user).values("pk")
        ).select_related("source"),
        "watchers": ticket.watchers.all(),
        "approvals": [(a, may_decide(user, a)) for a in approvals],
        "approval_form": ApprovalForm(),
        "major_updates": ticket.major_updates.select_related("author")
        if user.is_provider_staff
        else [],
        "review": review,
        "review_form": ReviewForm(
            initial={f: getattr(review, f) for f in ReviewForm.base_fields} if review else None
        )
        if ticket.is_major and can_review
        else None,
        "major_form": MajorUpdateForm(auto_id="major_%s") if ticket.is_major and is_agent else None,
        "watchers_form": WatchersForm(initial={"watchers": ticket.watchers.all()}, ticket=ticket)
        if is_agent
        else None,
        "link_form": LinkForm() if is_agent else None,
        "upload_form": AttachmentUploadForm(auto_id="file_%s") if role else None,
        "rating_form": RatingForm(initial={"score": ticket.csat_score or 5})
        if user.pk == ticket.requester_id and ticket.status in ("resolved", "closed")
        else None,
        "canned": CannedResponse.objects.filter(is_active=True) if is_agent else [],
    }


@login_required
@require_POST
def ticket_comment(request, reference):
    ticket = get_ticket_for(request.user, reference, write=True)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.ticket_comment(
                actor=request.user,
                ticket=ticket,
                body=form.cleaned_data["body"],
                public=not form.cleaned_data["internal"],
            )
        except ValidationError as error:
            _messages_from(request, error)
        else:
            messages.success(request, _("Sent."))
    else:
        messages.error(request, _("Write something first."))
    return redirect("ticket_detail", reference=ticket.reference)


@login_required
@require_POST
def ticket_move(request, reference):
    ticket = get_ticket_for(request.user, reference, write=True)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid next status."))
        return redirect("ticket_detail", reference=ticket.reference)
    try:
        services.ticket_transition(
            actor=request.user,
            ticket=ticket,
            target=form.cleaned_data["target"],
            note=form.cleaned_data["note"],
            expected_version=form.cleaned_data.get("version"),
        )
    except services.StaleTicket:
        messages.error(
            request, _("Someone else changed this ticket meanwhile; check it and try again.")
        )
    except ValidationError as error:
        _messages_from(request, error)
    else:
        messages.success(request, _("Status changed."))
    return redirect("ticket_detail", reference=ticket.reference)


def _versioned_form_write(request, reference, form_class, service, done_message):
    """A ticket form posted with the version it was read at: the service writes it, a stale
    version or a refused value comes back as a message on the ticket page."""
    ticket = get_ticket_for(request.user, reference, write=True)
    form = form_class(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect("ticket_detail", reference=ticket.reference)
    data = dict(form.cleaned_data)
    try:
        saved = service(
            actor=request.user, ticket=ticket, expected_version=data.pop("version", None), **data
        )
    except services.StaleTicket:
        messages.error(
            request, _("Someone else changed this ticket meanwhile; check it and try again.")
        )
    except ValidationError as error:
        _messages_from(request, error)
    else:
        messages.success(request, done_message)
        # e.g. the assignee lacks a competence the category needs (the check is on "warn")
        for warning in getattr(saved, "assignment_warnings", ()):
            messages.warning(request, warning)
    return redirect("ticket_detail", reference=ticket.reference)


@login_required
@require_POST
def ticket_assign(request, reference):
    return _versioned_form_write(
        request, reference, AssignForm, services.ticket_assign, _("Assignment saved.")
    )


@login_required
@require_POST
def ticket_edit(request, reference):
    return _versioned_form_write(
        request, reference, TicketUpdateForm, services.ticket_update, _("Changes saved.")
    )


@login_required
@require_POST
def queue_bulk(request):
    """Bulk assign, change status, or merge the tickets ticked in the queue."""
    require(request.user, Capability.OPERATE)
    from serviceloop.desk.services import bulk

    references = request.POST.getlist("tickets")
    tickets = list(Ticket.objects.visible_to(request.user).filter(reference__in=references))
    back = request.POST.get("next") or "/desk/"
    if not tickets:
        messages.error(request, _("Tick the tickets first."))
        return redirect(back)
    action = request.POST.get("action", "")
    try:
        if action == "merge":
            into = get_ticket_for(request.user, request.POST.get("into", "").strip().upper())
            bulk.tickets_merge(actor=request.user, duplicates=tickets, into=into)
            messages.success(request, _("Merged into %s.") % into.reference)
            return redirect(back)
        form = AssignForm(request.POST)
        form.is_valid()
        result = bulk.tickets_bulk(
            actor=request.user,
            tickets=tickets,
            action="assign" if action == "assign_me" or action == "assign" else "status",
            team=form.cleaned_data.get("team"),
            assignee=request.user if action == "assign_me" else form.cleaned_data.get("assignee"),
            target=request.POST.get("target", ""),
            note=request.POST.get("note", ""),
        )
    except ValidationError as error:
        _messages_from(request, error)
        return redirect(back)
    except Http404:
        messages.error(request, _("No such ticket to merge into."))
        return redirect(back)
    if result.done:
        messages.success(request, _("Done for %(n)s tickets.") % {"n": len(result.done)})
    for reference, reason in result.failed:
        messages.error(request, f"{reference}: {reason}")
    for reference, warning in result.warnings:
        messages.warning(request, f"{reference}: {warning}")
    return redirect(back)


@login_required
@require_POST
def saved_view_save(request):
    require(request.user, Capability.STAFF)
    from serviceloop.desk.services.bulk import saved_view_save as save

    try:
        save(actor=request.user, name=request.POST.get("name", ""), filters=request.POST.dict())
    except ValidationError as error:
        _messages_from(request, error)
    else:
        messages.success(request, _("View saved."))
    return redirect(request.POST.get("next") or "/desk/")


@login_required
@require_POST
def saved_view_delete(request, pk):
    from serviceloop.desk.models import SavedView
    from serviceloop.desk.services.bulk import saved_view_delete as delete

    view = SavedView.objects.filter(pk=pk, owner=request.user).first()
    if view is None:
        raise Http404
    delete(actor=request.user, view=view)
    return redirect("desk_queue")
