"""Forms of the single-point-of-failure screens."""

from django import forms
from django.utils.translation import gettext_lazy as _

from serviceloop.assurance.forms import choices_with_any
from serviceloop.assurance.lifecycle import FindingStatus
from serviceloop.core.forms import BootstrapMixin
from serviceloop.portfolio.models import Service


class FindingFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("status"), choices=choices_with_any(FindingStatus.choices), required=False
    )
    service = forms.ModelChoiceField(
        label=_("service"), queryset=Service.objects.order_by("name"), required=False
    )


class FindingForm(BootstrapMixin, forms.Form):
    note = forms.CharField(
        label=_("note"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
