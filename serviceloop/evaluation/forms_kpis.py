"""The KPI definition form: parses input (JSON filters included); the services decide."""

import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from serviceloop.core.forms import BootstrapMixin
from serviceloop.core.models import User
from serviceloop.core.roles import PROVIDER_ROLES
from serviceloop.evaluation.models import Aggregate, Direction, Period
from serviceloop.evaluation.services_kpis import EDITABLE, FORMULA
from serviceloop.evaluation.sources_kpis import EXPECTED, EXTERNALS, SLICE_DIMENSIONS, SOURCES

SLICE_LABELS = {
    "organisation": _("customer"),
    "service": _("service"),
    "priority": _("priority"),
    "team": _("team"),
    "kind": _("type"),
}
UNITS_HELP = _("%, per_1000, seconds, minutes, hours, days, score, or any label.")
FILTER_HELP = _(
    'A JSON object of field lookups, ANDed: {"priority": "P1", "csat_score__gte": 4}; '
    '"__or__": [{…}, {…}] for an OR; conditions such as {"reopened": true}. Lookups: exact, '
    "in, isnull, gt, gte, lt, lte, ne."
)


class JsonFilterField(forms.CharField):
    """A JSON object typed as text; a clear message when it is not JSON or not an object."""

    widget = forms.Textarea(attrs={"rows": 3, "spellcheck": "false"})

    def prepare_value(self, value):
        if isinstance(value, dict):
            return json.dumps(value, ensure_ascii=False) if value else ""
        return value

    def to_python(self, value):
        text = (value or "").strip()
        if not text:
            return {}
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError(
                _("This is not valid JSON: %(error)s (line %(line)s, column %(column)s).")
                % {"error": exc.msg, "line": exc.lineno, "column": exc.colno}
            ) from exc
        if not isinstance(parsed, dict):
            raise ValidationError(_("A KPI filter must be a JSON object."))
        return parsed


def source_choices():
    return [("", "—")] + [(key, f"{key} · {s.label}") for key, s in sorted(SOURCES.items())]


def external_choices():
    names = sorted(set(EXTERNALS) | set(EXPECTED))
    return [("", "—")] + [
        (name, name if name in EXTERNALS else f"{name} ({_('not available yet')})")
        for name in names
    ]


class KpiDefinitionForm(BootstrapMixin, forms.Form):
    code = forms.SlugField(label=_("code"), max_length=60)
    name_en = forms.CharField(label=_("name (English)"), max_length=200)
    name_zh = forms.CharField(label=_("name (Chinese)"), max_length=200, required=False)
    description = forms.CharField(
        label=_("description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    aggregate = forms.ChoiceField(label=_("aggregate"), choices=Aggregate.choices)
    source = forms.ChoiceField(label=_("record set"), required=False, choices=source_choices)
    external = forms.ChoiceField(
        label=_("registered function"), required=False, choices=external_choices
    )
    denominator_filter = JsonFilterField(
        label=_("denominator filter"), required=False, help_text=FILTER_HELP
    )
    numerator_filter = JsonFilterField(
        label=_("numerator filter"),
        required=False,
        help_text=_("Applied on top of the denominator filter."),
    )
    value_field = forms.CharField(
        label=_("value field"), max_length=60, required=False,
        help_text=_("For sum and average: a numeric field of the record set (csat_score)."),
    )  # fmt: skip
    start_field = forms.CharField(
        label=_("duration start"), max_length=60, required=False,
        help_text=_("For durations: a time field (created_at)."),
    )  # fmt: skip
    end_field = forms.CharField(
        label=_("duration end"), max_length=60, required=False,
        help_text=_("For durations: a later time field (resolved_at)."),
    )  # fmt: skip
    percentile = forms.IntegerField(
        label=_("percentile"), required=False, min_value=1, max_value=99
    )
    slices = forms.MultipleChoiceField(
        label=_("allowed slices"),
        required=False,
        choices=[(d, SLICE_LABELS[d]) for d in SLICE_DIMENSIONS],
        widget=forms.CheckboxSelectMultiple,
    )
    unit = forms.CharField(label=_("unit"), max_length=20, required=False, help_text=UNITS_HELP)
    direction = forms.ChoiceField(label=_("direction"), choices=Direction.choices)
    target = forms.DecimalField(label=_("target"), max_digits=14, decimal_places=4, required=False)
    warning = forms.DecimalField(
        label=_("warning threshold"), max_digits=14, decimal_places=4, required=False
    )
    period = forms.ChoiceField(label=_("period"), choices=Period.choices)
    owner = forms.ModelChoiceField(label=_("owner"), queryset=User.objects.none(), required=False)
    is_active = forms.BooleanField(label=_("active"), required=False)

    def __init__(self, *args, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(
            is_active=True, role__in=PROVIDER_ROLES
        ).order_by("display_name", "username")
        self.fields["slices"].widget.attrs["class"] = "form-check-input"
        if not creating:
            del self.fields["code"]

    @staticmethod
    def initial_of(definition) -> dict:
        initial = {name: getattr(definition, name) for name in EDITABLE if name != "owner"}
        initial["owner"] = definition.owner_id
        return initial

    def changes(self) -> dict:
        """The cleaned values by service field name (``code`` apart)."""
        data = {name: self.cleaned_data[name] for name in EDITABLE}
        for name in ("source", "external", "value_field", "start_field", "end_field"):
            data[name] = (data[name] or "").strip()
        data["slices"] = list(data["slices"] or [])
        return data

    def descriptive_fields(self):
        return [f for f in self if f.name not in FORMULA]

    def formula_fields(self):
        return [f for f in self if f.name in FORMULA]
