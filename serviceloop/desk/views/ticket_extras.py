"""Actions on a ticket beyond the basics: watchers, links, files, major incidents, approvals,
ratings, and the collision warning."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from serviceloop.desk.forms_extras import (
    ApprovalForm,
    AttachmentUploadForm,
    LinkForm,
    MajorUpdateForm,
    RatingForm,
    ReviewForm,
    WatchersForm,
    request_form_class,
)
from serviceloop.desk.lifecycle import AGENT
from serviceloop.desk.models import Approval, RequestType, TicketPresence
from serviceloop.desk.permissions import get_ticket_for, ticket_role
from serviceloop.desk.services import major, relations, requests
from serviceloop.desk.services.tickets import ticket_from_rating_token

PRESENCE_WINDOW = datetime.timedelta(seconds=60)


def _report(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _back(ticket):
    return redirect("ticket_detail", reference=ticket.reference)


def _form_errors(request, form) -> None:
    for errors in form.errors.values():
        for message in errors:
            messages.error(request, message)


@login_required
@require_POST
def watchers_set(request, reference):
    ticket = get_ticket_for(request.user, reference, write=True)
    form = WatchersForm(request.POST, ticket=ticket)
    if form.is_valid():
        try:
            relations.ticket_watchers_set(
                actor=request.user, ticket=ticket, watchers=form.cleaned_data["watchers"]
            )
        except ValidationError as error:
            _report(request, error)
        else:
            messages.success(request, _("Watchers saved."))
    else:
        _form_errors(request, form)
    return _back(ticket)


@login_required
@require_POST
def link_add(request, reference):
    ticket = get_ticket_for(request.user, reference, write=True)
    form = LinkForm(request.POST)
    if form.is_valid():
        try:
            target = get_ticket_for(request.user, form.cleaned_data["target"].strip().upper())
        except Http404:
            messages.error(request, _("No ticket %s.") % form.cleaned_data["target"])
            return _back(ticket)
        try:
            relations.ticket_link(
                actor=request.user, source=ticket, target=target, kind=form.cleaned_data["kind"]
            )
        except ValidationError as error:
            _report(request, error)
        else:
            messages.success(request, _("Linked."))
    else:
        _form_errors(request, form)
    return _back(ticket)


@login_required
@require_POST
def attachment_upload(request, reference):
    ticket = get_ticket_for(request.user, reference, write=True)
    form = AttachmentUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            relations.ticket_attach(
                actor=request.user,
                ticket=ticket,
                uploaded_file=form.cleaned_data["file"],
                internal=form.cleaned_data["internal"],
            )
        except ValidationError as error:
            _report(request, error)
        else:
            messages.success(request, _("File attached."))
    else:
        _form_errors(request, form)
    return _back(ticket)


@login_required
@require_POST
def major_update(request, reference):
    ticket = get_ticket_for(request.user, reference, write=True)
    form = MajorUpdateForm(request.POST)
    if form.is_valid():
        try:
            major.major_update_send(actor=request.user, ticket=ticket, **form.cleaned_data)
        except ValidationError as error:
            _report(request, error)
        else:
            messages.success(request, _("Update sent."))
    else:
        _form_errors(request, form)
    return _back(ticket)


@login_required
@require_POST
def review_save(request, reference):
    ticket = get_ticket_for(request.user, reference)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            major.review_save(actor=request.user, ticket=ticket, **form.cleaned_data)
        except ValidationError as error:
            _report(request, error)
        else:
            messages.success(request, _("Review saved."))
    else:
        _form_errors(request, form)
    return _back(ticket)


@login_required
@require_POST
def approval_decide(request, reference, step):
    ticket = get_ticket_for(request.user, reference)
    approval = Approval.objects.filter(ticket=ticket, step=step).first()
    if approval is None:
        raise Http404
    if not requests.may_decide(request.user, approval):
        raise PermissionDenied
    form = ApprovalForm(request.POST)
    if form.is_valid():
        try:
            requests.approval_decide(actor=request.user, approval=approval, **form.cleaned_data)
        except ValidationError as error:
            _report(request, error)
        else:
            messages.success(request, _("Decision recorded."))
    return _back(ticket)


def rate(request, token):
    """The one-click rating from the resolution e-mail: the link carries a signed token, so
    no sign-in is needed; the page confirms the chosen score and takes a comment."""
    ticket = ticket_from_rating_token(token)
    if ticket is None:
        raise Http404
    initial = {"score": request.GET.get("score") or ticket.csat_score or 5}
    form = RatingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            relations.ticket_rate(actor=ticket.requester, ticket=ticket, **form.cleaned_data)
        except ValidationError as error:
            _report(request, error)
        else:
            return render(request, "desk/rated.html", {"ticket": ticket})
    return render(request, "desk/rate.html", {"ticket": ticket, "form": form})


@login_required
@require_POST
def rate_signed_in(request, reference):
    ticket = get_ticket_for(request.user, reference)
    form = RatingForm(request.POST)
    if form.is_valid():
        try:
            relations.ticket_rate(actor=request.user, ticket=ticket, **form.cleaned_data)
        except ValidationError as error:
            _report(request, error)
        else:
            messages.success(request, _("Thank you for your rating."))
    return _back(ticket)


@login_required
def presence(request, reference):
    """htmx ping from an open ticket page: note this agent, list the other agents there."""
    ticket = get_ticket_for(request.user, reference)
    now = timezone.now()
    others = []
    if ticket_role(request.user, ticket) == AGENT:
        editing = request.GET.get("editing") == "1"
        TicketPresence.objects.update_or_create(
            ticket=ticket, user=request.user, defaults={"seen_at": now, "editing": editing}
        )
        others = list(
            TicketPresence.objects.filter(ticket=ticket, seen_at__gte=now - PRESENCE_WINDOW)
            .exclude(user=request.user)
            .select_related("user")
        )
    return render(request, "desk/_presence.html", {"others": others})


@login_required
def request_catalogue(request):
    types = RequestType.objects.filter(is_active=True).select_related("category")
    return render(request, "desk/request_catalogue.html", {"request_types": types})


@login_required
def request_new(request, pk):
    user = request.user
    if user.is_provider_staff or user.organisation is None:
        raise PermissionDenied
    request_type = RequestType.objects.filter(pk=pk, is_active=True).first()
    if request_type is None:
        raise Http404
    form = request_form_class(request_type)(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        title, description = data.pop("title"), data.pop("description")
        data = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items()}
        try:
            ticket = requests.request_submit(
                actor=user,
                request_type=request_type,
                requester=user,
                title=title,
                description=description,
                form_data=data,
            )
        except ValidationError as error:
            from serviceloop.core.views.helpers import apply_service_errors

            apply_service_errors(form, error)
        else:
            messages.success(
                request, _("Thank you. Your request %s is registered.") % ticket.reference
            )
            return redirect("ticket_detail", reference=ticket.reference)
    return render(
        request,
        "core/form_page.html",
        {"form": form, "title": request_type.name, "intro": request_type.description},
    )
