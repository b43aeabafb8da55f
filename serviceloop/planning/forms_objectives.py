"""Forms of the objectives screens. They parse input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from serviceloop.core.forms import BootstrapMixin
from serviceloop.planning.figures import figure_choices
from serviceloop.planning.forms import DateInput, staff_queryset
from serviceloop.planning.models import Direction, ObjectiveState
from serviceloop.planning.queries_objectives import STATUS_CHOICES


class ObjectiveFilterForm(BootstrapMixin, forms.Form):
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("Any state")), *ObjectiveState.choices],
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *STATUS_CHOICES]
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=None, required=False, empty_label=_("Anyone")
    )
    figure = forms.ChoiceField(label=_("Measured by"), required=False)
    q = forms.CharField(label=_("Search"), max_length=100, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_queryset()
        self.fields["figure"].choices = [("", _("Any figure")), *figure_choices()]


class ObjectiveForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    description = forms.CharField(
        label=_("description"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    figure = forms.ChoiceField(
        label=_("measured by"),
        help_text=_("The value and status are computed from this figure, never typed."),
    )
    target = forms.DecimalField(label=_("target"), max_digits=14, decimal_places=2)
    unit = forms.CharField(
        label=_("unit"),
        max_length=20,
        required=False,
        help_text=_("Empty: the figure's own unit."),
    )
    direction = forms.ChoiceField(label=_("direction"), choices=Direction.choices)
    owner = forms.ModelChoiceField(label=_("owner"), queryset=None)
    due_on = forms.DateField(label=_("due"), widget=DateInput())
    plan = forms.CharField(
        label=_("plan to achieve it"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("What will be done, with what resources, by whom, and when (6.2.2)."),
    )
    kpi_code = forms.CharField(
        label=_("KPI code"),
        max_length=60,
        required=False,
        help_text=_("The KPI of the measurement engine this objective follows, if any."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_queryset()
        self.fields["figure"].choices = figure_choices()

    @classmethod
    def initial_for(cls, objective) -> dict:
        names = ("title", "description", "figure", "target", "unit", "direction", "due_on",
                 "plan", "kpi_code")  # fmt: skip
        return {name: getattr(objective, name) for name in names} | {"owner": objective.owner_id}

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        if not data.get("unit"):
            data["unit"] = None  # the figure's unit
        return data


class StateForm(forms.Form):
    state = forms.CharField(max_length=12)
    reason = forms.CharField(max_length=2000, required=False)
    version = forms.IntegerField(required=False)
