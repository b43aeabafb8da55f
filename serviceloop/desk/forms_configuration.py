"""Forms of the desk configuration screens (administrators)."""

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from serviceloop.core.forms import BootstrapMixin
from serviceloop.core.models import Calendar
from serviceloop.desk.lifecycle import Status
from serviceloop.desk.models import (
    CannedResponse,
    Category,
    EscalationAction,
    Impact,
    Kind,
    Priority,
    RequestType,
    SlaPolicy,
    Urgency,
)


class CategoryForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Category
        fields = ["name", "default_team", "is_active"]


class CannedResponseForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = CannedResponse
        fields = ["title", "body", "is_active"]


class RequestTypeForm(BootstrapMixin, forms.ModelForm):
    form_schema = forms.CharField(
        label=_("form fields"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "class": "sl-mono"}),
        help_text=_(
            'JSON list, e.g. [{"name": "employee", "label": "New employee", "type": "text", '
            '"required": true}, {"name": "laptop", "type": "choice", "choices": ["13\\"", "15\\""]}]. '
            "Types: text, textarea, number, date, choice, boolean, email."
        ),
    )

    class Meta:
        model = RequestType
        fields = [
            "name",
            "description",
            "service",
            "category",
            "form_schema",
            "approver",
            "customer_manager_approves",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["form_schema"] = json.dumps(
                self.instance.form_schema, ensure_ascii=False, indent=1
            )

    def clean_form_schema(self):
        text = self.cleaned_data.get("form_schema") or ""
        if not text.strip():
            return []
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(_("Not valid JSON: %s") % exc.msg) from exc


class SlaPolicyForm(BootstrapMixin, forms.ModelForm):
    kinds = forms.MultipleChoiceField(label=_("ticket types"), choices=Kind.choices, required=False)
    priorities = forms.MultipleChoiceField(
        label=_("priorities"), choices=Priority.choices, required=False
    )

    class Meta:
        model = SlaPolicy
        fields = ["name", "rank", "organisation", "service", "kinds", "priorities", "is_active"]


class SlaVersionForm(BootstrapMixin, forms.Form):
    """The next version of a policy: calendar, minutes per priority, warning, pauses."""

    calendar = forms.ModelChoiceField(
        label=_("calendar"), queryset=Calendar.objects.filter(is_active=True)
    )
    warn_percent = forms.IntegerField(label=_("warn at (%)"), min_value=1, max_value=99, initial=75)
    pause_statuses = forms.MultipleChoiceField(
        label=_("pause in statuses"),
        choices=[
            (s, Status(s).label)
            for s in ("waiting_customer", "waiting_supplier", "pending_approval")
        ],
        required=False,
        initial=["waiting_customer", "waiting_supplier", "pending_approval"],
    )
    escalation = forms.ChoiceField(label=_("on breach"), choices=EscalationAction.choices)

    TARGETS = (
        ("response", _("first response")),
        ("resolution", _("resolution")),
        ("update", _("update every")),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for priority in Priority.values:
            for key, label in self.TARGETS:
                self.fields[f"{priority}_{key}"] = forms.IntegerField(
                    label=_("%(priority)s %(target)s (minutes)")
                    % {"priority": priority, "target": label},
                    min_value=1,
                    required=key == "resolution",
                    widget=forms.NumberInput(attrs={"class": "form-control"}),
                )

    def targets(self) -> dict:
        data = self.cleaned_data
        return {
            priority: {
                key: data[f"{priority}_{key}"]
                for key, _label in self.TARGETS
                if data.get(f"{priority}_{key}")
            }
            for priority in Priority.values
        }


class PriorityMatrixForm(BootstrapMixin, forms.Form):
    def __init__(self, *args, matrix=None, **kwargs):
        super().__init__(*args, **kwargs)
        for impact in Impact:
            for urgency in Urgency:
                self.fields[f"m{impact.value}{urgency.value}"] = forms.ChoiceField(
                    label=f"{impact.label} × {urgency.label}",
                    choices=Priority.choices,
                    initial=matrix[impact.value - 1][urgency.value - 1] if matrix else None,
                )

    def matrix(self) -> list[list[str]]:
        return [[self.cleaned_data[f"m{i}{u}"] for u in range(1, 5)] for i in range(1, 5)]
