"""Forms of the service desk screens."""

from django import forms
from django.utils.translation import gettext_lazy as _

from serviceloop.core.forms import BootstrapMixin
from serviceloop.core.models import Organisation, Team, User
from serviceloop.core.roles import CUSTOMER_ROLES, PROVIDER_ROLES
from serviceloop.desk.lifecycle import Status
from serviceloop.desk.models import Category, Impact, Kind, Priority, Urgency


class TicketCreateForm(BootstrapMixin, forms.Form):
    """An agent raises a ticket for a customer."""

    organisation = forms.ModelChoiceField(
        label=_("customer"), queryset=Organisation.objects.customers().filter(is_active=True)
    )
    requester = forms.ModelChoiceField(
        label=_("requester"),
        queryset=User.objects.filter(is_active=True, role__in=CUSTOMER_ROLES).select_related(
            "organisation"
        ),
    )
    kind = forms.ChoiceField(label=_("type"), choices=Kind.choices)
    title = forms.CharField(label=_("title"), max_length=200)
    description = forms.CharField(
        label=_("description"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    service = forms.CharField(label=_("service"), max_length=120, required=False)
    category = forms.ModelChoiceField(
        label=_("category"), queryset=Category.objects.filter(is_active=True), required=False
    )
    impact = forms.TypedChoiceField(
        label=_("impact"), choices=Impact.choices, coerce=int, initial=Impact.MINOR
    )
    urgency = forms.TypedChoiceField(
        label=_("urgency"), choices=Urgency.choices, coerce=int, initial=Urgency.MEDIUM
    )
    team = forms.ModelChoiceField(
        label=_("team"), queryset=Team.objects.filter(is_active=True), required=False
    )

    def clean(self):
        data = super().clean()
        organisation, requester = data.get("organisation"), data.get("requester")
        if organisation and requester and requester.organisation_id != organisation.pk:
            self.add_error(
                "requester", _("The requester must belong to the customer organisation.")
            )
        return data


class PortalTicketForm(BootstrapMixin, forms.Form):
    """A customer raises a ticket in the portal."""

    kind = forms.ChoiceField(
        label=_("I want to"),
        choices=[(Kind.INCIDENT, _("report a problem")), (Kind.REQUEST, _("ask for something"))],
    )
    title = forms.CharField(label=_("subject"), max_length=200)
    description = forms.CharField(
        label=_("details"), widget=forms.Textarea(attrs={"rows": 6}), required=False
    )
    service = forms.CharField(label=_("service concerned"), max_length=120, required=False)
    urgency = forms.TypedChoiceField(
        label=_("how urgent is it?"), choices=Urgency.choices, coerce=int, initial=Urgency.MEDIUM
    )
    impact = forms.TypedChoiceField(
        label=_("who is affected?"), choices=Impact.choices, coerce=int, initial=Impact.MINOR
    )


class TicketUpdateForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    service = forms.CharField(label=_("service"), max_length=120, required=False)
    category = forms.ModelChoiceField(
        label=_("category"), queryset=Category.objects.filter(is_active=True), required=False
    )
    impact = forms.TypedChoiceField(label=_("impact"), choices=Impact.choices, coerce=int)
    urgency = forms.TypedChoiceField(label=_("urgency"), choices=Urgency.choices, coerce=int)
    is_major = forms.BooleanField(label=_("major incident"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class AssignForm(BootstrapMixin, forms.Form):
    team = forms.ModelChoiceField(
        label=_("team"), queryset=Team.objects.filter(is_active=True), required=False
    )
    assignee = forms.ModelChoiceField(
        label=_("agent"),
        # the monitoring intake's account writes tickets but never works them
        queryset=User.objects.filter(is_active=True, role__in=PROVIDER_ROLES).exclude(
            username="serviceloop-monitoring"
        ),
        required=False,
        help_text=_("Empty: the next agent of the team, in turn."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class CommentForm(BootstrapMixin, forms.Form):
    body = forms.CharField(label=_("message"), widget=forms.Textarea(attrs={"rows": 4}))
    internal = forms.BooleanField(label=_("Internal note (staff only)"), required=False)


class TransitionForm(BootstrapMixin, forms.Form):
    target = forms.ChoiceField(choices=Status.choices)
    note = forms.CharField(
        label=_("message to the customer"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


QUEUE_VIEWS = {
    "mine": _("My tickets"),
    "team": _("My teams"),
    "unassigned": _("Unassigned"),
    "breaching": _("Breaching soon"),
    "open": _("All open"),
    "all": _("All"),
}
SORTS = {
    "newest": _("newest first"),
    "oldest": _("oldest first"),
    "due": _("due soonest"),
}


class QueueFilterForm(BootstrapMixin, forms.Form):
    view = forms.ChoiceField(choices=list(QUEUE_VIEWS.items()), required=False)
    priority = forms.ChoiceField(
        label=_("priority"), choices=[("", _("any priority")), *Priority.choices], required=False
    )
    status = forms.ChoiceField(
        label=_("status"), choices=[("", _("any status")), *Status.choices], required=False
    )
    organisation = forms.ModelChoiceField(
        label=_("customer"),
        queryset=Organisation.objects.customers(),
        required=False,
        empty_label=_("any customer"),
    )
    q = forms.CharField(label=_("search"), required=False)
    sort = forms.ChoiceField(label=_("sort"), choices=list(SORTS.items()), required=False)
