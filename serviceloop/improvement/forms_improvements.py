"""Forms of the improvement register screens. They parse input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from serviceloop.core.forms import BootstrapMixin
from serviceloop.evaluation.models import KpiDefinition
from serviceloop.improvement.models import (
    Benefit,
    Effort,
    ImprovementPriority,
    ImprovementSource,
    ImprovementStatus,
)
from serviceloop.planning.forms import DateInput, staff_queryset


def _kpis():
    return KpiDefinition.objects.active().order_by("code")


class ImprovementFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), ("open", _("Open")), *ImprovementStatus.choices],
    )
    source = forms.ChoiceField(
        label=_("Source"),
        required=False,
        choices=[("", _("Any source")), *ImprovementSource.choices],
    )
    priority = forms.ChoiceField(
        label=_("Priority"),
        required=False,
        choices=[("", _("Any priority")), *ImprovementPriority.choices],
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=None, required=False, empty_label=_("Anyone")
    )
    overdue = forms.BooleanField(label=_("Past target date"), required=False)
    q = forms.CharField(label=_("Search"), max_length=100, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_queryset()


class SuggestionForm(BootstrapMixin, forms.Form):
    """What any member of staff fills in to suggest an improvement."""

    title = forms.CharField(label=_("title"), max_length=200)
    description = forms.CharField(
        label=_("what to improve"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    benefit = forms.CharField(
        label=_("expected benefit"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    effort = forms.ChoiceField(label=_("effort"), choices=Effort.choices, initial=Effort.M)

    def service_fields(self) -> dict:
        return dict(self.cleaned_data)


class ImprovementForm(BootstrapMixin, forms.Form):
    """A manager's form: every detail of an improvement."""

    title = forms.CharField(label=_("title"), max_length=200)
    description = forms.CharField(
        label=_("description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    source = forms.ChoiceField(label=_("source"), choices=ImprovementSource.choices)
    source_reference = forms.CharField(label=_("source reference"), max_length=200, required=False)
    benefit = forms.CharField(
        label=_("expected benefit"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    benefit_rating = forms.TypedChoiceField(
        label=_("benefit rating"), coerce=int, choices=Benefit.choices, initial=Benefit.MEDIUM
    )
    effort = forms.ChoiceField(label=_("effort"), choices=Effort.choices, initial=Effort.M)
    priority = forms.ChoiceField(
        label=_("priority"),
        required=False,
        choices=[("", _("From benefit × effort")), *ImprovementPriority.choices],
    )
    owner = forms.ModelChoiceField(label=_("owner"), queryset=None, required=False)
    target_on = forms.DateField(label=_("target date"), widget=DateInput(), required=False)
    kpi = forms.ModelChoiceField(
        label=_("KPI"),
        queryset=None,
        required=False,
        help_text=_("The KPI that should show the benefit: its value before and after is "
                    "computed when the benefit is recorded."),
    )  # fmt: skip
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    OWNER_ONLY = ("description", "benefit", "benefit_rating", "effort", "target_on", "kpi")

    def __init__(self, *args, owner_only: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_queryset()
        self.fields["kpi"].queryset = _kpis()
        self.fields["kpi"].label_from_instance = lambda k: f"{k.code} · {k.name}"
        if owner_only:
            for name in list(self.fields):
                if name not in (*self.OWNER_ONLY, "version"):
                    del self.fields[name]

    @classmethod
    def initial_for(cls, improvement) -> dict:
        names = ("title", "description", "source", "source_reference", "benefit",
                 "benefit_rating", "effort", "target_on", "version")  # fmt: skip
        return {name: getattr(improvement, name) for name in names} | {
            "priority": improvement.priority if improvement.priority_set else "",
            "owner": improvement.owner_id,
            "kpi": improvement.kpi_id,
        }

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        if "priority" in data:
            data["priority"] = data["priority"] or None
        return data


class ImprovementMoveForm(forms.Form):
    target = forms.CharField(max_length=20)
    note = forms.CharField(max_length=2000, required=False)
    owner = forms.ModelChoiceField(queryset=None, required=False)
    version = forms.IntegerField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_queryset()


class MeasureForm(BootstrapMixin, forms.Form):
    measured_benefit = forms.CharField(
        label=_("measured benefit"), widget=forms.Textarea(attrs={"rows": 3})
    )
    measured_figure = forms.DecimalField(
        label=_("figure"), required=False, max_digits=14, decimal_places=4
    )
    measured_unit = forms.CharField(label=_("unit"), max_length=30, required=False)
    kpi = forms.ModelChoiceField(
        label=_("KPI"),
        queryset=None,
        required=False,
        help_text=_("Its value over the period before the implementation and over the last "
                    "full period are computed from the records."),
    )  # fmt: skip
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kpi"].queryset = _kpis()
        self.fields["kpi"].label_from_instance = lambda k: f"{k.code} · {k.name}"
