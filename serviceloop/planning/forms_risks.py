"""Forms of the risk register screens. They parse input; the services decide."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from serviceloop.core.forms import BootstrapMixin
from serviceloop.planning.forms import DateInput, staff_queryset
from serviceloop.planning.models import (
    LEVELS,
    MATRIX_SIZES,
    Objective,
    RiskKind,
    RiskLevel,
    RiskStatus,
    Treatment,
)
from serviceloop.planning.queries_risks import rating_choices
from serviceloop.portfolio.models import ConfigurationItem, Service


class RiskFilterForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Risks and opportunities")),
                                                 *RiskKind.choices]
    )  # fmt: skip
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), ("open", _("Open")), *RiskStatus.choices],
    )
    level = forms.ChoiceField(
        label=_("Level"),
        required=False,
        choices=[("", _("Any level")), *[(v, RiskLevel(v).label) for v in LEVELS]],
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=None, required=False, empty_label=_("Anyone")
    )
    overdue = forms.BooleanField(label=_("Review overdue"), required=False)
    likelihood = forms.IntegerField(required=False, min_value=1, max_value=5,
                                    widget=forms.HiddenInput)  # fmt: skip
    impact = forms.IntegerField(required=False, min_value=1, max_value=5, widget=forms.HiddenInput)
    q = forms.CharField(label=_("Search"), max_length=100, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_queryset()


def parse_references(text: str) -> list[str]:
    return [part for part in re.split(r"[\s,;]+", text or "") if part]


class RiskForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=RiskKind.choices)
    title = forms.CharField(label=_("title"), max_length=200)
    description = forms.CharField(
        label=_("description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    likelihood = forms.TypedChoiceField(label=_("likelihood"), coerce=int)
    impact = forms.TypedChoiceField(label=_("impact"), coerce=int)
    treatment = forms.ChoiceField(
        label=_("treatment"),
        choices=Treatment.choices,
        help_text=_("A risk: avoid, reduce, transfer or accept. An opportunity: exploit, "
                    "enhance, share or take no action."),
    )  # fmt: skip
    treatment_plan = forms.CharField(
        label=_("treatment plan"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    owner = forms.ModelChoiceField(label=_("owner"), queryset=None)
    review_on = forms.DateField(label=_("next review"), widget=DateInput())
    services = forms.ModelMultipleChoiceField(
        label=_("services"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    configuration_items = forms.CharField(
        label=_("configuration items"),
        required=False,
        help_text=_("References such as CI-2026-000123, separated by spaces or commas."),
    )
    objectives = forms.ModelMultipleChoiceField(
        label=_("objectives"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, size: int = 5, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["likelihood"].choices = rating_choices(size, "likelihood")
        self.fields["impact"].choices = rating_choices(size, "impact")
        self.fields["owner"].queryset = staff_queryset()
        self.fields["services"].queryset = Service.objects.order_by("name")
        self.fields["objectives"].queryset = Objective.objects.order_by("reference")
        self.fields["objectives"].label_from_instance = lambda o: f"{o.reference} {o.title}"

    def clean_configuration_items(self):
        references = parse_references(self.cleaned_data["configuration_items"])
        items = {ci.reference: ci for ci in ConfigurationItem.objects.filter(
            reference__in=references)}  # fmt: skip
        unknown = [r for r in references if r not in items]
        if unknown:
            raise forms.ValidationError(
                _("No configuration item has the reference %(refs)s.")
                % {"refs": ", ".join(unknown)}
            )
        return list(dict.fromkeys(items[r] for r in references))

    @classmethod
    def initial_for(cls, risk) -> dict:
        names = ("kind", "title", "description", "likelihood", "impact", "treatment",
                 "treatment_plan", "review_on", "version")  # fmt: skip
        return {name: getattr(risk, name) for name in names} | {
            "owner": risk.owner_id,
            "services": list(risk.services.values_list("pk", flat=True)),
            "configuration_items": " ".join(
                risk.configuration_items.order_by("reference").values_list("reference", flat=True)
            ),
            "objectives": list(risk.objectives.values_list("pk", flat=True)),
        }

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data


class SpofRiskLinkForm(BootstrapMixin, forms.Form):
    """Link an open risk to a single point of failure, named by its reference."""

    risk = forms.CharField(
        label=_("risk register entry"),
        max_length=32,
        help_text=_("The reference of an open risk in the register, e.g. RSK-2026-000004."),
    )

    def clean_risk(self):
        return self.cleaned_data["risk"].strip().upper()


class RiskMoveForm(forms.Form):
    target = forms.CharField(max_length=12)
    note = forms.CharField(max_length=2000, required=False)
    version = forms.IntegerField(required=False)


class RiskReviewForm(BootstrapMixin, forms.Form):
    likelihood = forms.TypedChoiceField(label=_("likelihood"), coerce=int)
    impact = forms.TypedChoiceField(label=_("impact"), coerce=int)
    next_review_on = forms.DateField(label=_("next review"), widget=DateInput())
    note = forms.CharField(
        label=_("note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, size: int = 5, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["likelihood"].choices = rating_choices(size, "likelihood")
        self.fields["impact"].choices = rating_choices(size, "impact")


class MatrixForm(BootstrapMixin, forms.Form):
    size = forms.TypedChoiceField(
        label=_("matrix size"),
        coerce=int,
        choices=[(n, f"{n} × {n}") for n in MATRIX_SIZES],
    )
    medium_from = forms.IntegerField(label=_("medium from score"), min_value=2, max_value=25)
    high_from = forms.IntegerField(label=_("high from score"), min_value=2, max_value=25)
    critical_from = forms.IntegerField(label=_("critical from score"), min_value=2, max_value=25)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
