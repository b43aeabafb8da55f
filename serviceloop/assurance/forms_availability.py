"""Forms of the availability screens: periods and months, outages, targets."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from serviceloop.assurance.forms import DateField, DateTimeField, choices_with_any
from serviceloop.assurance.models import OutageKind, OutageSource
from serviceloop.core.forms import BootstrapMixin
from serviceloop.core.models import Organisation
from serviceloop.portfolio.models import Service


class PeriodForm(BootstrapMixin, forms.Form):
    """Any period, by days (inclusive), in the provider's time zone."""

    first = DateField(label=_("from"))
    last = DateField(label=_("to (inclusive)"))

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("first"), cleaned.get("last")
        if first and last:
            if last < first:
                self.add_error("last", _("The period ends on or after its first day."))
            elif (last - first).days > 3660:
                self.add_error("last", _("Choose at most ten years."))
        return cleaned

    @classmethod
    def this_month(cls):
        today = timezone.localdate()
        return {"first": today.replace(day=1), "last": today}


class MonthForm(BootstrapMixin, forms.Form):
    month = forms.CharField(
        label=_("month"),
        widget=forms.DateInput(attrs={"type": "month"}),
        help_text=_("YYYY-MM"),
    )
    customer = forms.ModelChoiceField(
        label=_("customer"), queryset=Organisation.objects.customers(), required=False
    )

    def clean_month(self):
        try:
            value = datetime.datetime.strptime(self.cleaned_data["month"], "%Y-%m")
        except ValueError as exc:
            raise forms.ValidationError(_("Give a month as YYYY-MM.")) from exc
        if not 1970 <= value.year <= 2200:
            raise forms.ValidationError(_("Give a month as YYYY-MM."))
        return value.year, value.month


class OutageFilterForm(BootstrapMixin, forms.Form):
    service = forms.ModelChoiceField(
        label=_("service"), queryset=Service.objects.order_by("name"), required=False
    )
    kind = forms.ChoiceField(
        label=_("kind"), choices=choices_with_any(OutageKind.choices), required=False
    )
    source = forms.ChoiceField(
        label=_("source"), choices=choices_with_any(OutageSource.choices), required=False
    )
    state = forms.ChoiceField(
        label=_("state"),
        choices=[("", _("any")), ("ongoing", _("ongoing")), ("ended", _("ended"))],
        required=False,
    )
    customer = forms.ModelChoiceField(
        label=_("customer"), queryset=Organisation.objects.customers(), required=False
    )
    first = DateField(label=_("from"), required=False)
    last = DateField(label=_("to (inclusive)"), required=False)
    q = forms.CharField(label=_("search"), required=False, max_length=100)


class CustomersMixin:
    def init_customers(self, service=None):
        queryset = Organisation.objects.customers()
        if service is not None:
            queryset = queryset.filter(entitled_services=service)
        self.fields["customers"].queryset = queryset.order_by("name")


class OutageForm(CustomersMixin, BootstrapMixin, forms.Form):
    service = forms.ModelChoiceField(
        label=_("service"), queryset=Service.objects.live().order_by("name")
    )
    title = forms.CharField(label=_("title"), max_length=200)
    kind = forms.ChoiceField(label=_("kind"), choices=OutageKind.choices)
    start = DateTimeField(label=_("start"))
    end = DateTimeField(label=_("end"), required=False, help_text=_("Empty while it lasts."))
    announced_at = DateTimeField(
        label=_("announced to customers"),
        required=False,
        help_text=_("Planned maintenance announced before it starts is not downtime."),
    )
    all_customers = forms.BooleanField(
        label=_("every entitled customer affected"), required=False, initial=True
    )
    customers = forms.ModelMultipleChoiceField(
        label=_("affected customers"), queryset=Organisation.objects.none(), required=False
    )
    description = forms.CharField(label=_("description"), widget=forms.Textarea, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.init_customers()


class OutageFromIncidentForm(CustomersMixin, BootstrapMixin, forms.Form):
    ticket = forms.CharField(
        label=_("major incident"),
        max_length=32,
        help_text=_("Its reference, e.g. INC-2026-000123."),
    )
    service = forms.ModelChoiceField(label=_("service"), queryset=Service.objects.order_by("name"))
    start = DateTimeField(
        label=_("start"), required=False, help_text=_("Empty: when the incident was raised.")
    )
    end = DateTimeField(
        label=_("end"), required=False, help_text=_("Empty: when the incident was resolved.")
    )
    reason = forms.CharField(
        label=_("reason for other times"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    all_customers = forms.BooleanField(
        label=_("every entitled customer affected"), required=False, initial=True
    )
    customers = forms.ModelMultipleChoiceField(
        label=_("affected customers"), queryset=Organisation.objects.none(), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.init_customers()


class OutageFromChangeForm(CustomersMixin, BootstrapMixin, forms.Form):
    change = forms.CharField(
        label=_("change"), max_length=32, help_text=_("Its reference, e.g. CHG-2026-000042.")
    )
    service = forms.ModelChoiceField(label=_("service"), queryset=Service.objects.order_by("name"))
    start = DateTimeField(
        label=_("start"), required=False, help_text=_("Empty: the change's window.")
    )
    end = DateTimeField(label=_("end"), required=False)
    reason = forms.CharField(
        label=_("reason for other times"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    announced_at = DateTimeField(
        label=_("announced to customers"),
        required=False,
        help_text=_("Empty: when the change was scheduled."),
    )


class OutageAdjustForm(BootstrapMixin, forms.Form):
    start = DateTimeField(label=_("start"))
    end = DateTimeField(label=_("end"), required=False, help_text=_("Empty while it lasts."))
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}))


class OutageEndForm(BootstrapMixin, forms.Form):
    end = DateTimeField(
        label=_("end"),
        required=False,
        help_text=_("Empty: the incident's resolution, or now."),
    )
    reason = forms.CharField(
        label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class OutageDetailsForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    description = forms.CharField(label=_("description"), widget=forms.Textarea, required=False)
    announced_at = DateTimeField(label=_("announced to customers"), required=False)


class OutageCustomersForm(CustomersMixin, BootstrapMixin, forms.Form):
    all_customers = forms.BooleanField(label=_("every entitled customer affected"), required=False)
    customers = forms.ModelMultipleChoiceField(
        label=_("affected customers"), queryset=Organisation.objects.none(), required=False
    )

    def __init__(self, *args, service=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.init_customers(service)


class TargetForm(BootstrapMixin, forms.Form):
    target_percent = forms.DecimalField(
        label=_("availability target (%)"), max_digits=6, decimal_places=3
    )
    note = forms.CharField(label=_("note"), max_length=300, required=False)
