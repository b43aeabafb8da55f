"""Forms of the service catalogue screens. They parse input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from serviceloop.core.forms import BootstrapMixin
from serviceloop.core.models import Calendar, Organisation, User
from serviceloop.portfolio.forms_cmdb import customer_queryset, staff_queryset
from serviceloop.portfolio.models import ComponentRole, Service, ServiceStatus


class ServiceFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("status"),
        choices=[("", _("all statuses")), *ServiceStatus.choices],
        required=False,
    )
    owner = forms.ModelChoiceField(
        label=_("owner"), queryset=User.objects.none(), required=False, empty_label=_("anyone")
    )
    q = forms.CharField(label=_("search"), required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_queryset()


class ServiceForm(BootstrapMixin, forms.Form):
    code = forms.SlugField(
        label=_("code"), max_length=40, help_text=_("Short and unique, e.g. email or erp.")
    )
    name = forms.CharField(label=_("name"), max_length=200)
    owner = forms.ModelChoiceField(
        label=_("service owner"), queryset=User.objects.none(), required=False
    )
    summary = forms.CharField(
        label=_("description for customers"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Shown in the customers' service catalogue."),
    )
    staff_notes = forms.CharField(
        label=_("description for staff"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Never shown to customers."),
    )
    hours = forms.ModelChoiceField(
        label=_("service hours"), queryset=Calendar.objects.none(), required=False
    )
    customers = forms.ModelMultipleChoiceField(
        label=_("customers entitled"),
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    requirements = forms.CharField(
        label=_("service requirements"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    resources = forms.CharField(
        label=_("resources needed"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    budget_amount = forms.DecimalField(
        label=_("budget"), max_digits=14, decimal_places=2, min_value=0, required=False
    )
    budget_currency = forms.CharField(
        label=_("budget currency"), max_length=3, required=False, initial="CNY"
    )
    risks = forms.CharField(
        label=_("risks"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_queryset()
        self.fields["hours"].queryset = Calendar.objects.filter(is_active=True).order_by("label")
        self.fields["customers"].queryset = customer_queryset()

    @classmethod
    def initial_for(cls, service: Service) -> dict:
        return {
            "code": service.code,
            "name": service.name,
            "owner": service.owner_id,
            "summary": service.summary,
            "staff_notes": service.staff_notes,
            "hours": service.hours_id,
            "customers": list(service.customers.values_list("pk", flat=True)),
            "requirements": service.requirements,
            "resources": service.resources,
            "budget_amount": service.budget_amount,
            "budget_currency": service.budget_currency,
            "risks": service.risks,
            "version": service.version,
        }

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        data.pop("customers", None)
        data["budget_currency"] = (data.get("budget_currency") or "").upper()
        return data


class ServiceMoveForm(forms.Form):
    target = forms.ChoiceField(choices=ServiceStatus.choices)
    version = forms.IntegerField(required=False)


class ChecklistToggleForm(forms.Form):
    done = forms.BooleanField(required=False)


class ChecklistAddForm(BootstrapMixin, forms.Form):
    label = forms.CharField(label=_("step"), max_length=200)


class DependencyForm(BootstrapMixin, forms.Form):
    depends_on = forms.ModelChoiceField(label=_("depends on"), queryset=Service.objects.none())
    note = forms.CharField(label=_("note"), max_length=200, required=False)

    def __init__(self, *args, service: Service, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["depends_on"].queryset = (
            Service.objects.exclude(pk=service.pk)
            .exclude(status=ServiceStatus.RETIRED)
            .order_by("name")
        )


class ComponentForm(BootstrapMixin, forms.Form):
    configuration_item = forms.CharField(
        label=_("configuration item"),
        max_length=32,
        help_text=_("Its reference, e.g. CI-2026-000123."),
    )
    role = forms.ChoiceField(label=_("role"), choices=ComponentRole.choices)

    def clean_configuration_item(self):
        return self.cleaned_data["configuration_item"].strip().upper()
