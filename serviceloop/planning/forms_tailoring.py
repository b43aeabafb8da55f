"""Forms of the tailoring screen. They parse input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from serviceloop.core.forms import BootstrapMixin
from serviceloop.planning.models import KPI_CATALOGUE, WIDGET_CATALOGUE, Module, Profile


class ProfileForm(forms.Form):
    profile = forms.ChoiceField(choices=Profile.choices)
    version = forms.IntegerField(required=False)


class ModuleSwitchForm(forms.Form):
    module = forms.ChoiceField(choices=Module.choices)
    enabled = forms.BooleanField(required=False)
    reason = forms.CharField(max_length=2000, required=False)
    version = forms.IntegerField(required=False)


class ChoicesForm(BootstrapMixin, forms.Form):
    kpi_codes = forms.MultipleChoiceField(
        label=_("KPIs measured"),
        required=False,
        choices=[(code, label) for code, (label, _module) in KPI_CATALOGUE.items()],
        widget=forms.CheckboxSelectMultiple,
    )
    dashboard_widgets = forms.MultipleChoiceField(
        label=_("dashboard widgets"),
        required=False,
        choices=[(code, label) for code, (label, _module) in WIDGET_CATALOGUE.items()],
        widget=forms.CheckboxSelectMultiple,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
