"""The monitoring intake's screen for administrators: tokens (list, create, revoke) and the
alerts that are open now."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from serviceloop.core.forms import BootstrapMixin
from serviceloop.core.models import Organisation, Team, User
from serviceloop.core.permissions import require
from serviceloop.core.roles import Capability
from serviceloop.core.views.helpers import apply_service_errors
from serviceloop.desk.models import (
    Category,
    IntakeSource,
    IntakeToken,
    MonitoredAlert,
    OnResolved,
)
from serviceloop.desk.services.intake_tokens import intake_token_create, intake_token_revoke


class IntakeTokenForm(BootstrapMixin, forms.Form):
    source = forms.ChoiceField(label=gettext_lazy("source"), choices=IntakeSource.choices)
    name = forms.CharField(
        label=gettext_lazy("name"),
        max_length=80,
        help_text=gettext_lazy("Which system sends with it, e.g. “prometheus-prod”."),
    )
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("customer"),
        queryset=Organisation.objects.filter(is_active=True),
        help_text=gettext_lazy("The incidents raised from these alerts belong to it."),
    )
    requester = forms.ModelChoiceField(
        label=gettext_lazy("requester"),
        queryset=User.objects.filter(is_active=True).select_related("organisation"),
        required=False,
        help_text=gettext_lazy("Empty: the organisation's first customer manager."),
    )
    category = forms.ModelChoiceField(
        label=gettext_lazy("category"),
        queryset=Category.objects.filter(is_active=True),
        required=False,
    )
    team = forms.ModelChoiceField(
        label=gettext_lazy("team"), queryset=Team.objects.filter(is_active=True), required=False
    )
    on_resolved = forms.ChoiceField(
        label=gettext_lazy("when the alert resolves"),
        choices=OnResolved.choices,
        initial=OnResolved.RESOLVE,
    )


def get_intake_token_for(user, pk) -> IntakeToken:
    """A token for an administrator (403 for anyone else, 404 when there is none)."""
    require(user, Capability.ADMINISTER)
    try:
        return IntakeToken.objects.get(pk=pk)
    except (IntakeToken.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


@login_required
def intake_token_list(request):
    require(request.user, Capability.ADMINISTER)
    tokens = IntakeToken.objects.select_related(
        "organisation", "requester", "category", "team", "created_by"
    ).order_by("revoked_at", "name")
    alerts = (
        MonitoredAlert.objects.visible_to(request.user)
        .open()
        .select_related("ticket", "organisation", "token")[:50]
    )
    return render(request, "desk/intake/token_list.html", {"tokens": tokens, "alerts": alerts})


@login_required
def intake_token_new(request):
    require(request.user, Capability.ADMINISTER)
    form = IntakeTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = intake_token_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            endpoint = request.build_absolute_uri(f"/api/v1/intake/{token.source}")
            response = render(
                request,
                "desk/intake/token_created.html",
                {"token": token, "secret": secret, "endpoint": endpoint},
            )
            response["Cache-Control"] = "no-store"  # the secret is shown once, never cached
            return response
    return render(request, "core/form_page.html", {"form": form, "title": _("New intake token")})


@login_required
@require_POST
def intake_token_revoke_view(request, pk):
    token = get_intake_token_for(request.user, pk)
    intake_token_revoke(actor=request.user, token=token)
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("intake_token_list")
