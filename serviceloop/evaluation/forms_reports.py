"""Forms of the service report screens. They parse input; the services decide."""

import datetime

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from serviceloop.core.forms import BootstrapMixin
from serviceloop.core.models import Organisation
from serviceloop.evaluation.figures_reports import previous_report_period, zone_of
from serviceloop.evaluation.models import ReportPeriod, ReportSection, ReportStatus
from serviceloop.portfolio.models import Service

PERIOD_CHOICES_BACK = 12  # complete periods offered by "Generate now"


class ReportTemplateForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("name"), max_length=200)
    organisation = forms.ModelChoiceField(
        label=_("customer"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("— every customer of the service —"),
    )
    service = forms.ModelChoiceField(
        label=_("service"),
        queryset=Service.objects.none(),
        required=False,
        empty_label=_("— every service of the customer —"),
    )
    period = forms.ChoiceField(label=_("period"), choices=ReportPeriod.choices)
    language = forms.ChoiceField(label=_("language"), choices=settings.LANGUAGES)
    send_to_contacts = forms.BooleanField(
        label=_("send to the customer's contacts"), required=False
    )
    extra_recipients = forms.CharField(
        label=_("other recipients"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("E-mail addresses, one per line."),
    )
    schedule_enabled = forms.BooleanField(label=_("generate on a schedule"), required=False)
    generation_day = forms.IntegerField(
        label=_("day of generation"),
        min_value=1,
        max_value=28,
        initial=3,
        help_text=_("Day of the month after the period (1–28) on which the queue generates it."),
    )
    commentary = forms.CharField(
        label=_("commentary"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The free commentary section's text."),
    )
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.customers().order_by("name")
        self.fields["service"].queryset = Service.objects.order_by("name")
        # One position field per section: the report shows the numbered ones in that order.
        for index, (code, label) in enumerate(ReportSection.choices, start=1):
            self.fields[f"position_{code}"] = forms.IntegerField(
                label=label,
                required=False,
                min_value=1,
                max_value=99,
                initial=index,
                help_text=_("Position in the report; empty: left out."),
                widget=forms.NumberInput(attrs={"class": "form-control"}),
            )

    @staticmethod
    def initial_for(template) -> dict:
        initial = {
            name: getattr(template, name)
            for name in (
                "name", "organisation", "service", "period", "language", "send_to_contacts",
                "extra_recipients", "schedule_enabled", "generation_day", "commentary",
                "is_active", "version",
            )
        }  # fmt: skip
        for code in ReportSection.values:
            sections = list(template.sections)
            initial[f"position_{code}"] = sections.index(code) + 1 if code in sections else None
        return initial

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        positions = []
        for code in ReportSection.values:
            position = data.pop(f"position_{code}", None)
            if position is not None:
                positions.append((position, list(ReportSection.values).index(code), code))
        data["sections"] = [code for _p, _i, code in sorted(positions)]
        return data


def period_choices(template, today: datetime.date | None = None) -> list[tuple[str, str]]:
    """The last complete months or quarters of ``template``, newest first: (first day, label)."""
    zone = zone_of(template.organisation)
    day = today or timezone.now().astimezone(zone).date()
    out = []
    for _n in range(PERIOD_CHOICES_BACK):
        period = previous_report_period(template.period, day, zone)
        out.append((period.first.isoformat(), period.label))
        day = period.first
    return out


class ReportGenerateForm(BootstrapMixin, forms.Form):
    day = forms.ChoiceField(label=_("period"))
    commentary = forms.CharField(
        label=_("commentary"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    send = forms.BooleanField(label=_("e-mail it to the recipients when generated"), required=False)

    def __init__(self, *args, template, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["day"].choices = period_choices(template)
        self.fields["commentary"].initial = template.commentary

    def clean_day(self):
        return datetime.date.fromisoformat(self.cleaned_data["day"])


class ReportFilterForm(BootstrapMixin, forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Customer"), queryset=Organisation.objects.none(), required=False,
        empty_label=_("Any customer"),
    )  # fmt: skip
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *ReportStatus.choices]
    )
    period_kind = forms.ChoiceField(
        label=_("Period"), required=False, choices=[("", _("Any period")), *ReportPeriod.choices]
    )
    q = forms.CharField(label=_("Search"), max_length=100, required=False)

    def __init__(self, *args, staff: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if staff:
            self.fields["organisation"].queryset = Organisation.objects.customers().order_by("name")
        else:
            del self.fields["organisation"]
            del self.fields["status"]
