"""Forms of the capacity, demand and budget screens. They parse input; the services decide."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from serviceloop.core.forms import BootstrapMixin
from serviceloop.core.models import Organisation, OrganisationKind, Team, User
from serviceloop.core.roles import ROLE_CAPABILITIES, Capability
from serviceloop.demand.models import (
    ActionStatus,
    AlertAction,
    CostCategory,
    Direction,
    PeriodKind,
)
from serviceloop.demand.periods import Period
from serviceloop.demand.permissions import editable_services
from serviceloop.demand.queries_budgets import Driver
from serviceloop.portfolio.models import ConfigurationItem, Service

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
WINDOW_CHOICES = [(30, _("30 days")), (60, _("60 days")), (90, _("90 days")), (180, _("180 days")),
                  (365, _("365 days"))]  # fmt: skip


def staff_people():
    roles = [role for role, caps in ROLE_CAPABILITIES.items() if Capability.STAFF in caps]
    return User.objects.filter(is_active=True, role__in=roles).order_by("display_name", "username")


def customer_organisations():
    return Organisation.objects.filter(kind=OrganisationKind.CUSTOMER, is_active=True)


def year_choices(blank=True):
    this_year = timezone.localdate().year
    years = [(str(y), str(y)) for y in range(this_year + 1, this_year - 6, -1)]
    return [("", _("any year")), *years] if blank else years


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class PeriodField(forms.Field):
    """``2026``, ``2026-Q2`` or ``2026-05``, cleaned to a ``Period``."""

    widget = forms.TextInput(attrs={"maxlength": 7, "placeholder": "2026-Q2"})
    default_error_messages = {"invalid": _("Enter a period as 2026, 2026-Q2 or 2026-05.")}

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text", _("A year (2026), a quarter (2026-Q2) or a month (2026-05).")
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return value.label if isinstance(value, Period) else value

    def to_python(self, value):
        value = (value or "").strip() if isinstance(value, str) else value
        if value in self.empty_values:
            return None
        if isinstance(value, Period):
            return value
        try:
            return Period.parse(value)
        except ValueError as exc:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from exc


# --- Capacity ------------------------------------------------------------------------------


class PlanFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("search"), max_length=100, required=False)
    service = forms.ModelChoiceField(
        label=_("service"), queryset=Service.objects.all(), required=False, empty_label=_("any")
    )
    status = forms.ChoiceField(
        label=_("status"),
        required=False,
        choices=[
            ("", _("any")),
            ("active", _("active")),
            ("inactive", _("inactive")),
            ("review_due", _("review due")),
        ],
    )
    alert = forms.ChoiceField(
        label=_("alert"), required=False, choices=[("", _("any")), ("open", _("alert open"))]
    )


class PlanForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("name"), max_length=200)
    service = forms.ModelChoiceField(
        label=_("service"), queryset=Service.objects.none(), required=False
    )
    configuration_item = forms.ModelChoiceField(
        label=_("configuration item"), queryset=ConfigurationItem.objects.none(), required=False
    )
    owner = forms.ModelChoiceField(label=_("owner"), queryset=User.objects.none())
    resource = forms.CharField(
        label=_("resource measured"), max_length=120, help_text=_('e.g. "CPU %", "storage GB"')
    )
    unit = forms.CharField(label=_("unit"), max_length=40)
    direction = forms.ChoiceField(label=_("direction"), choices=Direction.choices)
    warning_threshold = forms.DecimalField(
        label=_("warning threshold"), max_digits=18, decimal_places=4
    )
    critical_threshold = forms.DecimalField(
        label=_("critical threshold"), max_digits=18, decimal_places=4
    )
    review_date = forms.DateField(label=_("next review"), required=False, widget=DateInput())
    forecast_window_days = forms.IntegerField(
        label=_("forecast window (days)"), min_value=7, max_value=730, initial=90
    )
    forecast_alert_days = forms.IntegerField(
        label=_("alert when the forecast crosses within (days)"),
        min_value=1,
        max_value=365,
        required=False,
        help_text=_("Empty: alert only when a measurement reaches the critical threshold."),
    )
    alert_action = forms.ChoiceField(label=_("on alert"), choices=AlertAction.choices)
    alert_team = forms.ModelChoiceField(
        label=_("team for the incident"), queryset=Team.objects.none(), required=False
    )
    notes = forms.CharField(
        label=_("notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)

    def __init__(self, *args, user, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = editable_services(user).order_by("name")
        self.fields["configuration_item"].queryset = (
            ConfigurationItem.objects.in_use().select_related("ci_type").order_by("name")
        )
        self.fields["owner"].queryset = staff_people()
        self.fields["alert_team"].queryset = Team.objects.filter(
            is_active=True, organisation__kind=OrganisationKind.PROVIDER
        )
        if not editing:
            del self.fields["is_active"]


class MeasurementForm(BootstrapMixin, forms.Form):
    at = forms.DateTimeField(
        label=_("measured at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
    )
    value = forms.DecimalField(label=_("value"), max_digits=18, decimal_places=4)


class ImportUploadForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=_("CSV file"))


class ImportConfirmForm(forms.Form):
    token = forms.CharField(max_length=40)


class ActionForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    description = forms.CharField(
        label=_("description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    owner = forms.ModelChoiceField(
        label=_("owner"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("the plan's owner"),
    )
    due_date = forms.DateField(label=_("due"), required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_people()


class ActionCloseForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            (ActionStatus.DONE, ActionStatus.DONE.label),
            (ActionStatus.CANCELLED, ActionStatus.CANCELLED.label),
        ]  # noqa: E501
    )
    outcome = forms.CharField(required=False, max_length=5000)


class ForecastWindowForm(forms.Form):
    window = forms.TypedChoiceField(choices=WINDOW_CHOICES, coerce=int, required=False)


# --- Demand --------------------------------------------------------------------------------


class DemandFilterForm(BootstrapMixin, forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("customer"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("any"),
    )
    service = forms.ModelChoiceField(
        label=_("service"), queryset=Service.objects.all(), required=False, empty_label=_("any")
    )
    period_kind = forms.ChoiceField(
        label=_("period"), choices=[("", _("any")), *PeriodKind.choices], required=False
    )
    year = forms.ChoiceField(label=_("year"), choices=(), required=False)

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = (
            organisations if organisations is not None else customer_organisations()
        )
        self.fields["year"].choices = year_choices()


class DemandForm(BootstrapMixin, forms.Form):
    organisation = forms.ModelChoiceField(label=_("customer"), queryset=Organisation.objects.none())
    service = forms.ModelChoiceField(label=_("service"), queryset=Service.objects.none())
    period = PeriodField(label=_("period"))
    unit = forms.CharField(
        label=_("unit"), max_length=40, help_text=_("e.g. users, mailboxes, VMs")
    )
    forecast_quantity = forms.DecimalField(
        label=_("forecast"), max_digits=14, decimal_places=2, min_value=0
    )
    actual_quantity = forms.DecimalField(
        label=_("actual consumption"), max_digits=14, decimal_places=2, min_value=0, required=False
    )
    note = forms.CharField(
        label=_("note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args, user, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = customer_organisations()
        self.fields["service"].queryset = editable_services(user).order_by("name")
        if editing:
            del self.fields["organisation"]
            del self.fields["service"]


# --- Budgets and costs ---------------------------------------------------------------------


class BudgetFilterForm(BootstrapMixin, forms.Form):
    year = forms.ChoiceField(label=_("year"), choices=(), required=False)
    service = forms.ModelChoiceField(
        label=_("service"), queryset=Service.objects.all(), required=False, empty_label=_("any")
    )
    period_kind = forms.ChoiceField(
        label=_("period"), choices=[("", _("any")), *PeriodKind.choices], required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = year_choices()


class BudgetForm(BootstrapMixin, forms.Form):
    service = forms.ModelChoiceField(label=_("service"), queryset=Service.objects.none())
    period = PeriodField(label=_("period"))
    amount = forms.DecimalField(label=_("amount"), max_digits=14, decimal_places=2, min_value=0)
    currency = forms.CharField(label=_("currency"), max_length=3, initial="CNY")
    note = forms.CharField(
        label=_("note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args, user, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = editable_services(user).order_by("name")
        if editing:
            del self.fields["service"]


class CostFilterForm(BootstrapMixin, forms.Form):
    service = forms.ModelChoiceField(
        label=_("service"), queryset=Service.objects.all(), required=False, empty_label=_("any")
    )
    category = forms.ChoiceField(
        label=_("category"), choices=[("", _("any")), *CostCategory.choices], required=False
    )
    period = PeriodField(label=_("period"), required=False, help_text="")
    q = forms.CharField(label=_("search"), max_length=100, required=False)


class CostLineForm(BootstrapMixin, forms.Form):
    service = forms.ModelChoiceField(label=_("service"), queryset=Service.objects.none())
    date = forms.DateField(label=_("date"), widget=DateInput())
    category = forms.ChoiceField(label=_("category"), choices=CostCategory.choices)
    amount = forms.DecimalField(
        label=_("amount"),
        max_digits=14,
        decimal_places=2,
        help_text=_("A negative amount records a credit note."),
    )
    currency = forms.CharField(label=_("currency"), max_length=3, initial="CNY")
    supplier = forms.ModelChoiceField(label=_("supplier"), queryset=None, required=False)
    note = forms.CharField(label=_("note"), max_length=300, required=False)

    def __init__(self, *args, user, **kwargs):
        from serviceloop.relationship.models import Supplier

        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = editable_services(user).order_by("name")
        self.fields["supplier"].queryset = Supplier.objects.all()


class AllocationForm(BootstrapMixin, forms.Form):
    service = forms.ModelChoiceField(label=_("service"), queryset=Service.objects.all())
    period = PeriodField(label=_("period"))
    driver = forms.ChoiceField(label=_("allocate by"), choices=Driver.choices)
    currency = forms.CharField(
        label=_("currency"),
        max_length=3,
        required=False,
        help_text=_("Empty: the currency most cost lines use."),
    )
