"""Forms of the assurance screens. They parse input; the services decide."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from serviceloop.assurance.lifecycle import (
    FindingStatus,
    IncidentStatus,
    IssueStatus,
    PlanStatus,
    RiskStatus,
)
from serviceloop.assurance.models import (
    ContinuityTestKind,
    ContinuityTestResult,
    ControlStatus,
    IncidentClassification,
    OutageKind,
    OutageSource,
    RiskLevel,
    RiskTreatment,
    SecurityControl,
)
from serviceloop.core.forms import BootstrapMixin
from serviceloop.core.models import Organisation, User
from serviceloop.core.roles import PROVIDER_ROLES
from serviceloop.portfolio.models import ConfigurationItem, Service

DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S"
INPUT_FORMATS = [DATETIME_FORMAT, "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]


def staff_people():
    return User.objects.filter(is_active=True, role__in=PROVIDER_ROLES).order_by(
        "display_name", "username"
    )


ANY = _("any")


def _blank(choices, label=ANY):
    return [("", label), *choices]


class DateTimeField(forms.DateTimeField):
    """A ``datetime-local`` input to the second, read in the current time zone."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("input_formats", INPUT_FORMATS)
        kwargs.setdefault(
            "widget",
            forms.DateTimeInput(
                attrs={"type": "datetime-local", "step": "1"}, format=DATETIME_FORMAT
            ),
        )
        super().__init__(*args, **kwargs)


class DateField(forms.DateField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        super().__init__(*args, **kwargs)


class StaffChoiceField(forms.ModelChoiceField):
    def __init__(self, *args, **kwargs):
        super().__init__(staff_people(), *args, **kwargs)


# --- Availability ------------------------------------------------------------------------------


class PeriodForm(BootstrapMixin, forms.Form):
    """Any period, by days (inclusive), in the provider's time zone."""

    first = DateField(label=_("from"))
    last = DateField(label=_("to (inclusive)"))

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("first"), cleaned.get("last")
        if first and last:
            if last < first:
                self.add_error("last", _("The period ends on or after its first day."))
            elif (last - first).days > 3660:
                self.add_error("last", _("Choose at most ten years."))
        return cleaned

    @classmethod
    def this_month(cls):
        today = timezone.localdate()
        return {"first": today.replace(day=1), "last": today}


class MonthForm(BootstrapMixin, forms.Form):
    month = forms.CharField(
        label=_("month"),
        widget=forms.DateInput(attrs={"type": "month"}),
        help_text=_("YYYY-MM"),
    )
    customer = forms.ModelChoiceField(
        label=_("customer"), queryset=Organisation.objects.customers(), required=False
    )

    def clean_month(self):
        try:
            value = datetime.datetime.strptime(self.cleaned_data["month"], "%Y-%m")
        except ValueError as exc:
            raise forms.ValidationError(_("Give a month as YYYY-MM.")) from exc
        if not 1970 <= value.year <= 2200:
            raise forms.ValidationError(_("Give a month as YYYY-MM."))
        return value.year, value.month


class OutageFilterForm(BootstrapMixin, forms.Form):
    service = forms.ModelChoiceField(
        label=_("service"), queryset=Service.objects.order_by("name"), required=False
    )
    kind = forms.ChoiceField(label=_("kind"), choices=_blank(OutageKind.choices), required=False)
    source = forms.ChoiceField(
        label=_("source"), choices=_blank(OutageSource.choices), required=False
    )
    state = forms.ChoiceField(
        label=_("state"),
        choices=[("", _("any")), ("ongoing", _("ongoing")), ("ended", _("ended"))],
        required=False,
    )
    customer = forms.ModelChoiceField(
        label=_("customer"), queryset=Organisation.objects.customers(), required=False
    )
    first = DateField(label=_("from"), required=False)
    last = DateField(label=_("to (inclusive)"), required=False)
    q = forms.CharField(label=_("search"), required=False, max_length=100)


class CustomersMixin:
    def init_customers(self, service=None):
        queryset = Organisation.objects.customers()
        if service is not None:
            queryset = queryset.filter(entitled_services=service)
        self.fields["customers"].queryset = queryset.order_by("name")


class OutageForm(CustomersMixin, BootstrapMixin, forms.Form):
    service = forms.ModelChoiceField(
        label=_("service"), queryset=Service.objects.live().order_by("name")
    )
    title = forms.CharField(label=_("title"), max_length=200)
    kind = forms.ChoiceField(label=_("kind"), choices=OutageKind.choices)
    start = DateTimeField(label=_("start"))
    end = DateTimeField(label=_("end"), required=False, help_text=_("Empty while it lasts."))
    announced_at = DateTimeField(
        label=_("announced to customers"),
        required=False,
        help_text=_("Planned maintenance announced before it starts is not downtime."),
    )
    all_customers = forms.BooleanField(
        label=_("every entitled customer affected"), required=False, initial=True
    )
    customers = forms.ModelMultipleChoiceField(
        label=_("affected customers"), queryset=Organisation.objects.none(), required=False
    )
    description = forms.CharField(label=_("description"), widget=forms.Textarea, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.init_customers()


class OutageFromIncidentForm(CustomersMixin, BootstrapMixin, forms.Form):
    ticket = forms.CharField(
        label=_("major incident"),
        max_length=32,
        help_text=_("Its reference, e.g. INC-2026-000123."),
    )
    service = forms.ModelChoiceField(label=_("service"), queryset=Service.objects.order_by("name"))
    start = DateTimeField(
        label=_("start"), required=False, help_text=_("Empty: when the incident was raised.")
    )
    end = DateTimeField(
        label=_("end"), required=False, help_text=_("Empty: when the incident was resolved.")
    )
    reason = forms.CharField(
        label=_("reason for other times"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    all_customers = forms.BooleanField(
        label=_("every entitled customer affected"), required=False, initial=True
    )
    customers = forms.ModelMultipleChoiceField(
        label=_("affected customers"), queryset=Organisation.objects.none(), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.init_customers()


class OutageFromChangeForm(CustomersMixin, BootstrapMixin, forms.Form):
    change = forms.CharField(
        label=_("change"), max_length=32, help_text=_("Its reference, e.g. CHG-2026-000042.")
    )
    service = forms.ModelChoiceField(label=_("service"), queryset=Service.objects.order_by("name"))
    start = DateTimeField(
        label=_("start"), required=False, help_text=_("Empty: the change's window.")
    )
    end = DateTimeField(label=_("end"), required=False)
    reason = forms.CharField(
        label=_("reason for other times"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    announced_at = DateTimeField(
        label=_("announced to customers"),
        required=False,
        help_text=_("Empty: when the change was scheduled."),
    )


class OutageAdjustForm(BootstrapMixin, forms.Form):
    start = DateTimeField(label=_("start"))
    end = DateTimeField(label=_("end"), required=False, help_text=_("Empty while it lasts."))
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}))


class OutageEndForm(BootstrapMixin, forms.Form):
    end = DateTimeField(
        label=_("end"),
        required=False,
        help_text=_("Empty: the incident's resolution, or now."),
    )
    reason = forms.CharField(
        label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class OutageDetailsForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    description = forms.CharField(label=_("description"), widget=forms.Textarea, required=False)
    announced_at = DateTimeField(label=_("announced to customers"), required=False)


class OutageCustomersForm(CustomersMixin, BootstrapMixin, forms.Form):
    all_customers = forms.BooleanField(label=_("every entitled customer affected"), required=False)
    customers = forms.ModelMultipleChoiceField(
        label=_("affected customers"), queryset=Organisation.objects.none(), required=False
    )

    def __init__(self, *args, service=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.init_customers(service)


class TargetForm(BootstrapMixin, forms.Form):
    target_percent = forms.DecimalField(
        label=_("availability target (%)"), max_digits=6, decimal_places=3
    )
    note = forms.CharField(label=_("note"), max_length=300, required=False)


class FindingFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("status"), choices=_blank(FindingStatus.choices), required=False
    )
    service = forms.ModelChoiceField(
        label=_("service"), queryset=Service.objects.order_by("name"), required=False
    )


class FindingForm(BootstrapMixin, forms.Form):
    risk_reference = forms.CharField(
        label=_("risk register entry"),
        max_length=40,
        required=False,
        help_text=_("The reference of the risk that treats it."),
    )
    note = forms.CharField(
        label=_("note"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class MoveForm(BootstrapMixin, forms.Form):
    target = forms.CharField(max_length=20, widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


# --- Continuity --------------------------------------------------------------------------------


def _lines(text: str) -> list[list[str]]:
    return [
        [part.strip() for part in line.split("|")] for line in text.splitlines() if line.strip()
    ]


class PlanFilterForm(BootstrapMixin, forms.Form):
    service = forms.ModelChoiceField(
        label=_("service"), queryset=Service.objects.order_by("name"), required=False
    )
    status = forms.ChoiceField(
        label=_("status"), choices=_blank(PlanStatus.choices), required=False
    )
    due = forms.ChoiceField(
        label=_("test"),
        choices=[("", _("any")), ("overdue", _("overdue")), ("soon", _("due within 30 days"))],
        required=False,
    )
    q = forms.CharField(label=_("search"), required=False, max_length=100)


class PlanForm(BootstrapMixin, forms.Form):
    service = forms.ModelChoiceField(label=_("service"), queryset=Service.objects.order_by("name"))
    title = forms.CharField(label=_("title"), max_length=200)
    rto_minutes = forms.IntegerField(label=_("recovery time objective (minutes)"), min_value=0)
    rpo_minutes = forms.IntegerField(label=_("recovery point objective (minutes)"), min_value=0)
    invocation_criteria = forms.CharField(
        label=_("invocation criteria"), widget=forms.Textarea(attrs={"rows": 3})
    )
    owner = StaffChoiceField(label=_("plan owner"))
    review_on = DateField(label=_("next review"))
    test_due_on = DateField(label=_("next test due"))
    steps = forms.CharField(
        label=_("steps"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text=_("One step per line, in order: what to do | who."),
    )
    contacts = forms.CharField(
        label=_("contacts"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("One per line: name | role | phone | e-mail."),
    )

    def __init__(self, *args, services=None, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if services is not None:
            self.fields["service"].queryset = services
        if editing:
            del self.fields["service"]

    def clean_steps(self):
        return [
            (parts[0], parts[1] if len(parts) > 1 else "")
            for parts in _lines(self.cleaned_data["steps"])
        ]

    def clean_contacts(self):
        contacts = []
        for parts in _lines(self.cleaned_data["contacts"]):
            parts += [""] * (4 - len(parts))
            contacts.append(
                {"name": parts[0], "role": parts[1], "phone": parts[2], "email": parts[3]}
            )
        return contacts

    @staticmethod
    def initial_for(plan) -> dict:
        return {
            "title": plan.title,
            "rto_minutes": plan.rto_minutes,
            "rpo_minutes": plan.rpo_minutes,
            "invocation_criteria": plan.invocation_criteria,
            "owner": plan.owner_id,
            "review_on": plan.review_on,
            "test_due_on": plan.test_due_on,
            "steps": "\n".join(
                f"{s.action} | {s.responsible}" if s.responsible else s.action
                for s in plan.steps.all()
            ),
            "contacts": "\n".join(
                " | ".join([c.name, c.role, c.phone, c.email]).rstrip(" |")
                for c in plan.contacts.all()
            ),
        }


class PlanTestForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=ContinuityTestKind.choices)
    tested_on = DateField(label=_("tested on"))
    result = forms.ChoiceField(label=_("result"), choices=ContinuityTestResult.choices)
    summary = forms.CharField(label=_("what happened"), widget=forms.Textarea(attrs={"rows": 4}))
    participants = forms.ModelMultipleChoiceField(
        label=_("participants"), queryset=User.objects.none(), required=False
    )
    other_participants = forms.CharField(
        label=_("other participants"), max_length=300, required=False
    )
    recovery_minutes = forms.IntegerField(
        label=_("time to recover (minutes)"), min_value=0, required=False
    )
    issue_description = forms.CharField(
        label=_("issue found"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    issue_action = forms.CharField(
        label=_("action"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    issue_owner = forms.ModelChoiceField(
        label=_("action owner"), queryset=User.objects.none(), required=False
    )
    issue_due_on = DateField(label=_("action due"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participants"].queryset = staff_people()
        self.fields["issue_owner"].queryset = staff_people()

    def issues(self) -> list[dict]:
        data = self.cleaned_data
        fields = ("issue_description", "issue_action", "issue_owner", "issue_due_on")
        if not any(data.get(name) for name in fields):
            return []
        return [{name.removeprefix("issue_"): data.get(name) for name in fields}]


class IssueForm(BootstrapMixin, forms.Form):
    description = forms.CharField(label=_("issue found"), widget=forms.Textarea(attrs={"rows": 2}))
    action = forms.CharField(label=_("action"), widget=forms.Textarea(attrs={"rows": 2}))
    owner = StaffChoiceField(label=_("owner"))
    due_on = DateField(label=_("due"))


class IssueFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("status"), choices=_blank(IssueStatus.choices), required=False
    )


class InvokeForm(BootstrapMixin, forms.Form):
    ticket = forms.CharField(
        label=_("major incident"),
        max_length=32,
        help_text=_("Its reference, e.g. INC-2026-000123."),
    )
    notes = forms.CharField(
        label=_("notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class StandDownForm(BootstrapMixin, forms.Form):
    notes = forms.CharField(
        label=_("notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


# --- Information security ----------------------------------------------------------------------


class RiskFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("status"),
        choices=[("", _("any")), ("active", _("not closed")), *RiskStatus.choices],
        required=False,
    )
    level = forms.ChoiceField(label=_("level"), choices=_blank(RiskLevel.choices), required=False)
    treatment = forms.ChoiceField(
        label=_("treatment"), choices=_blank(RiskTreatment.choices), required=False
    )
    q = forms.CharField(label=_("search"), required=False, max_length=100)


class RiskForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    configuration_item = forms.CharField(
        label=_("configuration item"),
        max_length=32,
        required=False,
        help_text=_("Its reference, e.g. CI-2026-000001."),
    )
    asset = forms.CharField(label=_("asset"), max_length=200, required=False)
    threat = forms.CharField(label=_("threat"), widget=forms.Textarea(attrs={"rows": 2}))
    vulnerability = forms.CharField(
        label=_("vulnerability"), widget=forms.Textarea(attrs={"rows": 2})
    )
    likelihood = forms.TypedChoiceField(
        label=_("likelihood (1–5)"), choices=[(n, n) for n in range(1, 6)], coerce=int
    )
    impact = forms.TypedChoiceField(
        label=_("impact (1–5)"), choices=[(n, n) for n in range(1, 6)], coerce=int
    )
    treatment = forms.ChoiceField(label=_("treatment"), choices=RiskTreatment.choices)
    treatment_plan = forms.CharField(
        label=_("treatment plan"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    controls = forms.ModelMultipleChoiceField(
        label=_("controls"), queryset=SecurityControl.objects.order_by("code"), required=False
    )
    owner = StaffChoiceField(label=_("risk owner"))
    review_on = DateField(label=_("next review"))

    FIELDS = (
        "title",
        "configuration_item",
        "asset",
        "threat",
        "vulnerability",
        "likelihood",
        "impact",
        "treatment",
        "treatment_plan",
        "owner",
        "review_on",
    )

    def clean_configuration_item(self):
        reference = self.cleaned_data["configuration_item"].strip()
        if not reference:
            return None
        item = ConfigurationItem.objects.in_use().filter(reference=reference).first()
        if item is None:
            raise forms.ValidationError(_("No configuration item in use with this reference."))
        return item

    @classmethod
    def initial_for(cls, risk) -> dict:
        initial = {name: getattr(risk, name) for name in cls.FIELDS}
        item = risk.configuration_item
        initial["configuration_item"] = item.reference if item else ""
        initial["controls"] = list(risk.controls.values_list("pk", flat=True))
        return initial


class ControlFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("implementation status"), choices=_blank(ControlStatus.choices), required=False
    )
    q = forms.CharField(label=_("search"), required=False, max_length=100)


class ControlForm(BootstrapMixin, forms.Form):
    code = forms.CharField(label=_("code"), max_length=20)
    title = forms.CharField(label=_("title"), max_length=200)
    description = forms.CharField(
        label=_("description"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    status = forms.ChoiceField(label=_("implementation status"), choices=ControlStatus.choices)
    justification = forms.CharField(
        label=_("justification"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("Required when the control does not apply."),
    )
    owner = forms.ModelChoiceField(label=_("owner"), queryset=User.objects.none(), required=False)
    evidence_links = forms.CharField(
        label=_("evidence links"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("One web address per line."),
    )

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_people()
        if editing:
            del self.fields["code"]

    @staticmethod
    def initial_for(control) -> dict:
        return {
            "title": control.title,
            "description": control.description,
            "status": control.status,
            "justification": control.justification,
            "owner": control.owner_id,
            "evidence_links": "\n".join(control.evidence_links),
        }


class IncidentFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("status"), choices=_blank(IncidentStatus.choices), required=False
    )
    classification = forms.ChoiceField(
        label=_("classification"), choices=_blank(IncidentClassification.choices), required=False
    )
    overdue = forms.BooleanField(label=_("notification overdue"), required=False)


class SecurityIncidentForm(BootstrapMixin, forms.Form):
    ticket = forms.CharField(
        label=_("ticket"), max_length=32, help_text=_("Its reference, e.g. INC-2026-000123.")
    )
    classification = forms.ChoiceField(
        label=_("classification"), choices=IncidentClassification.choices
    )
    detected_at = DateTimeField(
        label=_("detected"), required=False, help_text=_("Empty: when the ticket was raised.")
    )
    personal_data = forms.BooleanField(label=_("personal data involved"), required=False)
    summary = forms.CharField(
        label=_("summary"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    viewers = forms.ModelMultipleChoiceField(
        label=_("people cleared to see it"),
        queryset=User.objects.none(),
        required=False,
        help_text=_(
            "Besides the security team, only these people see the incident and its ticket."
        ),
    )

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["viewers"].queryset = staff_people()
        if editing:
            del self.fields["ticket"]
            del self.fields["viewers"]
            self.fields["detected_at"].required = True


class ViewersForm(BootstrapMixin, forms.Form):
    viewers = forms.ModelMultipleChoiceField(
        label=_("people cleared to see it"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["viewers"].queryset = staff_people()


class NotifiedForm(BootstrapMixin, forms.Form):
    notified_at = DateTimeField(label=_("regulator notified"), required=False)
    reference = forms.CharField(label=_("regulator's reference"), max_length=120, required=False)
