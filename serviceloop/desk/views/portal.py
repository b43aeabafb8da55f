"""The customer portal: my tickets (a customer manager: his organisation's) and raising one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from serviceloop.core.roles import Capability
from serviceloop.core.views.helpers import apply_service_errors, paginate
from serviceloop.desk.forms import PortalTicketForm
from serviceloop.desk.models import Source, Ticket
from serviceloop.desk.services.tickets import ticket_create


@login_required
def portal_home(request):
    if request.user.organisation is None:
        raise PermissionDenied
    tickets = Ticket.objects.visible_to(request.user).select_related("requester", "assignee")
    context = {
        "tickets": paginate(request, tickets, 25),
        "org_wide": request.user.has_capability(Capability.ORG_WIDE),
    }
    return render(request, "desk/portal_home.html", context)


@login_required
def portal_new(request):
    user = request.user
    if user.is_provider_staff or user.organisation is None:
        raise PermissionDenied
    form = PortalTicketForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = ticket_create(
                actor=user,
                organisation=user.organisation,
                requester=user,
                source=Source.PORTAL,
                **form.cleaned_data,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request, _("Thank you. Your ticket %s is registered.") % ticket.reference
            )
            return redirect("ticket_detail", reference=ticket.reference)
    return render(request, "core/form_page.html", {"form": form, "title": _("Raise a ticket")})
