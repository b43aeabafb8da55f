"""Forms of the signal screens. They parse input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from serviceloop.core.forms import BootstrapMixin
from serviceloop.improvement.models import ProposalKind, ProposalState, SignalKind
from serviceloop.planning.forms import staff_queryset


class ProposalFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), ("open", _("Open")), *ProposalState.choices],
    )
    kind = forms.ChoiceField(
        label=_("Proposes"), required=False, choices=[("", _("Anything")), *ProposalKind.choices]
    )
    signal = forms.ChoiceField(
        label=_("Signal"), required=False, choices=[("", _("Any signal")), *SignalKind.choices]
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=None, required=False, empty_label=_("Anyone")
    )
    q = forms.CharField(label=_("Search"), max_length=100, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_queryset()


class ProposalDecideForm(forms.Form):
    target = forms.ChoiceField(choices=ProposalState.choices)
    note = forms.CharField(max_length=2000, required=False)
    title = forms.CharField(max_length=200, required=False)
    owner = forms.ModelChoiceField(queryset=None, required=False)
    version = forms.IntegerField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_queryset()


class SignalRuleForm(BootstrapMixin, forms.Form):
    enabled = forms.BooleanField(label=_("on"), required=False)
    threshold = forms.IntegerField(label=_("threshold"), min_value=0, max_value=1000)
    window_days = forms.IntegerField(label=_("window (days)"), required=False, min_value=1)
    margin_percent = forms.IntegerField(label=_("margin (%)"), required=False, min_value=1)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, rule=None, **kwargs):
        if rule is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "enabled": rule.enabled,
                "threshold": rule.threshold,
                "window_days": rule.window_days,
                "margin_percent": rule.margin_percent,
                "version": rule.version,
            }
        kwargs.setdefault("prefix", rule.kind if rule is not None else None)
        super().__init__(*args, **kwargs)
        if rule is not None:
            spec = rule.spec
            self.fields["threshold"].label = spec.threshold_label
            if spec.window_days:
                self.fields["window_days"].label = spec.window_label
                self.fields["window_days"].required = True
            else:
                del self.fields["window_days"]
            if spec.margin_percent:
                self.fields["margin_percent"].label = spec.margin_label
                self.fields["margin_percent"].required = True
            else:
                del self.fields["margin_percent"]
