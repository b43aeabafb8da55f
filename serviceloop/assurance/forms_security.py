"""Forms of the information security screens: risks, controls, security incidents."""

from django import forms
from django.utils.translation import gettext_lazy as _

from serviceloop.assurance.forms import (
    DateField,
    DateTimeField,
    StaffChoiceField,
    choices_with_any,
    staff_people,
)
from serviceloop.assurance.lifecycle import IncidentStatus, RiskStatus
from serviceloop.assurance.models import (
    ControlStatus,
    IncidentClassification,
    RiskLevel,
    RiskTreatment,
    SecurityControl,
)
from serviceloop.core.forms import BootstrapMixin
from serviceloop.core.models import User
from serviceloop.portfolio.models import ConfigurationItem


class RiskFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("status"),
        choices=[("", _("any")), ("active", _("not closed")), *RiskStatus.choices],
        required=False,
    )
    level = forms.ChoiceField(
        label=_("level"), choices=choices_with_any(RiskLevel.choices), required=False
    )
    treatment = forms.ChoiceField(
        label=_("treatment"), choices=choices_with_any(RiskTreatment.choices), required=False
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
        label=_("implementation status"),
        choices=choices_with_any(ControlStatus.choices),
        required=False,
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
        label=_("status"), choices=choices_with_any(IncidentStatus.choices), required=False
    )
    classification = forms.ChoiceField(
        label=_("classification"),
        choices=choices_with_any(IncidentClassification.choices),
        required=False,
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
