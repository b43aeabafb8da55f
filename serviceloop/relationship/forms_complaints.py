"""Forms of the complaint screens. They parse input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from serviceloop.core.forms import BootstrapMixin
from serviceloop.core.models import Organisation, OrganisationKind, User
from serviceloop.core.roles import CUSTOMER_ROLES, ROLE_CAPABILITIES, Capability
from serviceloop.portfolio.models import Service
from serviceloop.relationship.models import (
    Complaint,
    ComplaintChannel,
    ComplaintSeverity,
    ComplaintStatus,
)
from serviceloop.relationship.models.complaints import COMPLAINT_TARGETS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
YES_NO = [("", "—"), ("yes", _("Yes, the customer accepts the response")), ("no", _("No"))]


ALL = _("all")


def _blank(choices, label=ALL):
    return [("", label), *choices]


def owner_queryset():
    """Active staff who work operational records: who may own a complaint."""
    roles = [role for role, caps in ROLE_CAPABILITIES.items() if Capability.OPERATE in caps]
    return User.objects.filter(is_active=True, role__in=roles).order_by("display_name", "username")


def customers_queryset():
    return Organisation.objects.filter(kind=OrganisationKind.CUSTOMER, is_active=True)


class ComplaintFilterForm(BootstrapMixin, forms.Form):
    """The list's filters; customers get the search and the status only."""

    q = forms.CharField(label=_("search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("status"), choices=_blank(ComplaintStatus.choices), required=False
    )
    severity = forms.ChoiceField(
        label=_("severity"), choices=_blank(ComplaintSeverity.choices), required=False
    )
    channel = forms.ChoiceField(
        label=_("channel"), choices=_blank(ComplaintChannel.choices), required=False
    )
    organisation = forms.ModelChoiceField(
        label=_("customer"), queryset=Organisation.objects.none(), required=False
    )
    service = forms.ModelChoiceField(
        label=_("service"), queryset=Service.objects.none(), required=False
    )
    owner = forms.ModelChoiceField(label=_("owner"), queryset=User.objects.none(), required=False)
    breached = forms.ChoiceField(
        label=_("response target"),
        choices=[("", _("all")), ("yes", _("breached")), ("no", _("not breached"))],
        required=False,
    )
    open_only = forms.BooleanField(label=_("open only"), required=False)

    def __init__(self, *args, staff: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not staff:
            for name in ("severity", "channel", "organisation", "service", "owner", "breached"):
                del self.fields[name]
            return
        self.fields["organisation"].queryset = customers_queryset()
        self.fields["service"].queryset = Service.objects.all()
        self.fields["owner"].queryset = owner_queryset()

    def breached_value(self):
        return {"yes": True, "no": False}.get(self.cleaned_data.get("breached"))


class ComplaintForm(BootstrapMixin, forms.Form):
    """Staff record a complaint from any channel."""

    organisation = forms.ModelChoiceField(label=_("customer"), queryset=Organisation.objects.none())
    channel = forms.ChoiceField(label=_("channel"), choices=ComplaintChannel.choices)
    severity = forms.ChoiceField(
        label=_("severity"), choices=ComplaintSeverity.choices, initial=ComplaintSeverity.MEDIUM
    )
    service = forms.ModelChoiceField(
        label=_("service"), queryset=Service.objects.none(), required=False
    )
    subject = forms.CharField(label=_("subject"), max_length=200)
    description = forms.CharField(label=_("description"), widget=forms.Textarea(attrs={"rows": 5}))
    complainant = forms.ModelChoiceField(
        label=_("complainant"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("A person of the customer who signs in; otherwise give the name below."),
    )
    complainant_name = forms.CharField(
        label=_("complainant's name"), max_length=150, required=False
    )
    complainant_email = forms.EmailField(label=_("complainant's e-mail"), required=False)
    complainant_phone = forms.CharField(
        label=_("complainant's phone"), max_length=40, required=False
    )
    owner = forms.ModelChoiceField(
        label=_("owner"), queryset=User.objects.none(), required=False, empty_label=_("me")
    )
    received_at = forms.DateTimeField(
        label=_("received"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Empty: now."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = customers_queryset()
        self.fields["service"].queryset = Service.objects.all()
        self.fields["complainant"].queryset = (
            User.objects.filter(is_active=True, role__in=CUSTOMER_ROLES)
            .select_related("organisation")
            .order_by("organisation__name", "username")
        )
        self.fields["owner"].queryset = owner_queryset()


class ComplaintPortalForm(BootstrapMixin, forms.Form):
    """A customer lodges a complaint about the service he receives."""

    subject = forms.CharField(label=_("subject"), max_length=200)
    description = forms.CharField(
        label=_("what happened"), widget=forms.Textarea(attrs={"rows": 6})
    )
    severity = forms.ChoiceField(
        label=_("how serious is it for you"),
        choices=ComplaintSeverity.choices,
        initial=ComplaintSeverity.MEDIUM,
    )
    service = forms.ModelChoiceField(
        label=_("service concerned"), queryset=Service.objects.none(), required=False
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["service"].queryset = Service.objects.visible_to(user)


class ComplaintEditForm(BootstrapMixin, forms.Form):
    subject = forms.CharField(label=_("subject"), max_length=200)
    description = forms.CharField(label=_("description"), widget=forms.Textarea(attrs={"rows": 5}))
    channel = forms.ChoiceField(label=_("channel"), choices=ComplaintChannel.choices)
    severity = forms.ChoiceField(label=_("severity"), choices=ComplaintSeverity.choices)
    service = forms.ModelChoiceField(
        label=_("service"), queryset=Service.objects.none(), required=False
    )
    owner = forms.ModelChoiceField(label=_("owner"), queryset=User.objects.none(), required=False)
    complainant_name = forms.CharField(
        label=_("complainant's name"), max_length=150, required=False
    )
    complainant_email = forms.EmailField(label=_("complainant's e-mail"), required=False)
    complainant_phone = forms.CharField(
        label=_("complainant's phone"), max_length=40, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.all()
        self.fields["owner"].queryset = owner_queryset()

    @staticmethod
    def initial_for(complaint: Complaint) -> dict:
        return {
            "subject": complaint.subject,
            "description": complaint.description,
            "channel": complaint.channel,
            "severity": complaint.severity,
            "service": complaint.service_id,
            "owner": complaint.owner_id,
            "complainant_name": complaint.complainant_name,
            "complainant_email": complaint.complainant_email,
            "complainant_phone": complaint.complainant_phone,
        }


def _yes_no(value):
    return {"yes": True, "no": False}.get(value)


class ComplaintMoveForm(forms.Form):
    target = forms.ChoiceField(choices=COMPLAINT_TARGETS)
    response = forms.CharField(required=False)
    reason = forms.CharField(required=False)
    accepted = forms.ChoiceField(choices=YES_NO, required=False)
    acceptance_date = forms.DateField(required=False)
    acceptance_note = forms.CharField(required=False)
    version = forms.IntegerField(required=False)

    def service_fields(self) -> dict:
        data = self.cleaned_data
        fields = {"target": data["target"], "reason": data["reason"]}
        if data["response"]:
            fields["response"] = data["response"]
        accepted = _yes_no(data["accepted"])
        if accepted is not None:
            fields.update(
                accepted=accepted,
                acceptance_date=data["acceptance_date"],
                acceptance_note=data["acceptance_note"],
            )
        return fields


class ComplaintAcceptanceForm(BootstrapMixin, forms.Form):
    accepted = forms.ChoiceField(label=_("does the customer accept the response?"), choices=YES_NO)
    acceptance_date = forms.DateField(label=_("date of the answer"), widget=DATE, required=False)
    note = forms.CharField(
        label=_("note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args, customer: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if customer:
            del self.fields["acceptance_date"]  # a customer answers today
            self.fields["accepted"].label = _("do you accept our response?")
            self.fields["accepted"].choices = [
                ("", "—"),
                ("yes", _("Yes, I accept the response")),
                ("no", _("No, I do not accept it")),
            ]

    def accepted_value(self):
        return _yes_no(self.cleaned_data.get("accepted"))


class ComplaintNoteForm(BootstrapMixin, forms.Form):
    body = forms.CharField(label=_("investigation note"), widget=forms.Textarea(attrs={"rows": 3}))


class ResponseTargetForm(BootstrapMixin, forms.Form):
    hours = forms.IntegerField(label=_("respond within (hours)"), min_value=1, max_value=24 * 365)
    business_hours = forms.BooleanField(label=_("count business hours"), required=False)
    warn_percent = forms.IntegerField(
        label=_("warn when this share of the time is used (%)"), min_value=1, max_value=99
    )
