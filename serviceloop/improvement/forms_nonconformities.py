"""Forms of the nonconformity and action screens. They parse input; the services decide."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from serviceloop.core.forms import BootstrapMixin
from serviceloop.evaluation.models import KpiDefinition
from serviceloop.improvement.models import (
    ActionKind,
    ActionStatus,
    Comparator,
    FishboneCategory,
    NcSource,
    NcStatus,
    RcaMethod,
    Severity,
    VerificationMethod,
)
from serviceloop.improvement.queries_nonconformities import OPEN
from serviceloop.planning.forms import DateInput, staff_queryset

WHY_ROWS = 7


class NonconformityFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), (OPEN, _("Not closed")), *NcStatus.choices],
    )
    source = forms.ChoiceField(
        label=_("Source"), required=False, choices=[("", _("Any source")), *NcSource.choices]
    )
    severity = forms.ChoiceField(
        label=_("Severity"), required=False, choices=[("", _("Any")), *Severity.choices]
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=None, required=False, empty_label=_("Anyone")
    )
    overdue = forms.BooleanField(label=_("Overdue"), required=False)
    q = forms.CharField(label=_("Search"), max_length=100, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_queryset()


class ActionFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), ("open", _("Not decided")), *ActionStatus.choices],
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any kind")), *ActionKind.choices]
    )
    overdue = forms.BooleanField(label=_("Overdue"), required=False)
    q = forms.CharField(label=_("Search"), max_length=100, required=False)


class NonconformityForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    description = forms.CharField(
        label=_("description"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    source = forms.ChoiceField(label=_("source"), choices=NcSource.choices)
    source_reference = forms.CharField(
        label=_("source reference"),
        max_length=100,
        required=False,
        help_text=_("The audit finding, ticket, complaint or review it comes from."),
    )
    severity = forms.ChoiceField(label=_("severity"), choices=Severity.choices)
    clause_numbers = forms.CharField(
        label=_("clauses"),
        required=False,
        help_text=_("Clause numbers of ISO/IEC 20000-1 such as 8.6.1 9.2, separated by spaces."),
    )
    owner = forms.ModelChoiceField(label=_("owner"), queryset=None, required=False)
    due_on = forms.DateField(label=_("due"), widget=DateInput(), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_queryset()

    def clean_clause_numbers(self):
        return [n for n in re.split(r"[\s,;]+", self.cleaned_data["clause_numbers"]) if n]

    @classmethod
    def initial_for(cls, nonconformity) -> dict:
        names = ("title", "description", "source", "source_reference", "severity", "due_on",
                 "version")  # fmt: skip
        return {name: getattr(nonconformity, name) for name in names} | {
            "owner": nonconformity.owner_id,
            "clause_numbers": " ".join(
                nonconformity.clauses.order_by("position").values_list("number", flat=True)
            ),
        }

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data


class ContainmentForm(BootstrapMixin, forms.Form):
    containment = forms.CharField(
        label=_("containment and correction"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was done at once to limit the effect, and the correction."),
    )
    contained_on = forms.DateField(label=_("contained on"), widget=DateInput())
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class AnalysisForm(BootstrapMixin, forms.Form):
    """The root cause analysis: five whys (up to seven rows) or a fishbone (one box per
    category, one cause per line), and the root cause statement."""

    method = forms.ChoiceField(
        label=_("method"), choices=RcaMethod.choices, widget=forms.RadioSelect
    )
    root_cause = forms.CharField(
        label=_("root cause"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for n in range(1, WHY_ROWS + 1):
            self.fields[f"why_{n}"] = forms.CharField(
                label=_("Why? (%(n)d)") % {"n": n}, max_length=500, required=False
            )
            self.fields[f"answer_{n}"] = forms.CharField(
                label=_("Because (%(n)d)") % {"n": n}, max_length=500, required=False
            )
        for category in FishboneCategory:
            self.fields[f"fishbone_{category.value}"] = forms.CharField(
                label=category.label,
                widget=forms.Textarea(attrs={"rows": 2}),
                required=False,
                help_text=_("One cause per line."),
            )
        self.fields["method"].widget.attrs["class"] = "form-check-input"
        for name, field in self.fields.items():
            if name.startswith(("why_", "answer_", "fishbone_")):
                field.widget.attrs["class"] = "form-control form-control-sm"

    def why_rows(self):
        return [(self[f"why_{n}"], self[f"answer_{n}"]) for n in range(1, WHY_ROWS + 1)]

    def fishbone_fields(self):
        return [self[f"fishbone_{c.value}"] for c in FishboneCategory]

    @classmethod
    def initial_for(cls, nonconformity) -> dict:
        initial = {
            "method": nonconformity.rca_method or RcaMethod.FIVE_WHYS,
            "root_cause": nonconformity.root_cause,
            "version": nonconformity.version,
        }
        for n, row in enumerate(nonconformity.rca_whys or [], start=1):
            initial[f"why_{n}"], initial[f"answer_{n}"] = row.get("why"), row.get("answer")
        for category, causes in (nonconformity.rca_fishbone or {}).items():
            initial[f"fishbone_{category}"] = "\n".join(causes)
        return initial

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "method": data["method"],
            "root_cause": data["root_cause"],
            "whys": [
                {"why": data.get(f"why_{n}", ""), "answer": data.get(f"answer_{n}", "")}
                for n in range(1, WHY_ROWS + 1)
            ],
            "fishbone": {
                c.value: data.get(f"fishbone_{c.value}", "").splitlines() for c in FishboneCategory
            },
        }


def parse_slice(text: str) -> dict:
    """``organisation=3, priority=P1`` → ``{"organisation": 3, "priority": "P1"}``."""
    pairs = {}
    for part in re.split(r"[,;\n]+", text or ""):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise forms.ValidationError(_("Write the slice as name=value, e.g. organisation=3."))
        value = value.strip()
        pairs[key.strip()] = int(value) if value.isdigit() else value
    return pairs


class ActionForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    description = forms.CharField(
        label=_("description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    source = forms.ChoiceField(label=_("source"), choices=NcSource.choices)
    source_reference = forms.CharField(
        label=_("source reference"),
        max_length=100,
        required=False,
        help_text=_("The risk, KPI or trend it comes from."),
    )
    owner = forms.ModelChoiceField(label=_("owner"), queryset=None, required=False)
    due_on = forms.DateField(label=_("due"), widget=DateInput(), required=False)
    verification_method = forms.ChoiceField(
        label=_("how the effect is verified"),
        choices=[("", _("Not decided yet")), *VerificationMethod.choices],
        required=False,
    )
    verification_plan = forms.CharField(
        label=_("verification plan"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("Manual: what the verifier will look at. KPI: optional remarks."),
    )
    kpi = forms.ModelChoiceField(label=_("KPI"), queryset=None, required=False)
    kpi_slice = forms.CharField(
        label=_("KPI slice"),
        required=False,
        help_text=_("Optional, as name=value pairs: organisation=3, priority=P1."),
    )
    kpi_comparator = forms.ChoiceField(
        label=_("comparison"), choices=[("", "—"), *Comparator.choices], required=False
    )
    kpi_threshold = forms.DecimalField(
        label=_("threshold"), required=False, max_digits=14, decimal_places=2
    )
    kpi_periods = forms.IntegerField(
        label=_("consecutive periods"),
        required=False,
        min_value=1,
        max_value=12,
        help_text=_("Complete KPI periods after the action is done that must all meet it."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, preventive: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.preventive = preventive
        if not preventive:
            del self.fields["source"]
            del self.fields["source_reference"]
        self.fields["owner"].queryset = staff_queryset()
        self.fields["kpi"].queryset = KpiDefinition.objects.active().order_by("code")

    def clean_kpi_slice(self):
        return parse_slice(self.cleaned_data["kpi_slice"])

    @classmethod
    def initial_for(cls, action) -> dict:
        names = ("title", "description", "source", "source_reference", "due_on",
                 "verification_method", "verification_plan", "kpi_comparator", "kpi_threshold",
                 "kpi_periods", "version")  # fmt: skip
        return {name: getattr(action, name) for name in names} | {
            "owner": action.owner_id,
            "kpi": action.kpi_id,
            "kpi_slice": ", ".join(f"{k}={v}" for k, v in (action.kpi_slice or {}).items()),
        }

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data


class ActionMoveForm(forms.Form):
    target = forms.CharField(max_length=20)
    note = forms.CharField(max_length=4000, required=False)
    done_on = forms.DateField(required=False)
    version = forms.IntegerField(required=False)


class MoveForm(forms.Form):
    note = forms.CharField(max_length=2000, required=False)
    version = forms.IntegerField(required=False)


class VerifyForm(BootstrapMixin, forms.Form):
    effective = forms.TypedChoiceField(
        label=_("outcome"),
        choices=[("yes", _("Effective")), ("no", _("Not effective"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("finding"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000
    )
    evidence_note = forms.CharField(
        label=_("evidence"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    evidence_link = forms.CharField(label=_("evidence link"), max_length=500, required=False)
    evidence_file = forms.FileField(label=_("evidence file"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["effective"].widget.attrs["class"] = "form-check-input"
