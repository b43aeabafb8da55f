"""Forms of the supplier screens. They parse input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from serviceloop.core.forms import BootstrapMixin
from serviceloop.core.models import Organisation, User
from serviceloop.core.roles import PROVIDER_ROLES
from serviceloop.portfolio.models import Service
from serviceloop.relationship.models import (
    Contract,
    ContractStatus,
    DisputeStatus,
    ObligationMetric,
    ReviewRating,
    ReviewStatus,
    Supplier,
    SupplierKind,
    SupplierStatus,
)
from serviceloop.relationship.models.suppliers import CONTRACT_TARGETS, DISPUTE_TARGETS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def staff_queryset():
    """Active provider staff: who may own, manage or review supplier records."""
    return User.objects.filter(is_active=True, role__in=PROVIDER_ROLES).order_by(
        "display_name", "username"
    )


ALL = _("all")


def _blank(choices, label=ALL):
    return [("", label), *choices]


# --- Suppliers -----------------------------------------------------------------------------


class SupplierFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("search"), required=False, max_length=100)
    kind = forms.ChoiceField(label=_("kind"), choices=_blank(SupplierKind.choices), required=False)
    status = forms.ChoiceField(
        label=_("status"), choices=_blank(SupplierStatus.choices), required=False
    )


class SupplierForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("name"), max_length=200)
    kind = forms.ChoiceField(label=_("kind"), choices=SupplierKind.choices)
    organisation = forms.ModelChoiceField(
        label=_("organisation in ServiceLoop"),
        queryset=Organisation.objects.filter(is_active=True),
        required=False,
        help_text=_(
            "A customer acting as a supplier: its organisation. An internal supplier: the "
            "provider, if you like. An external supplier: none."
        ),
    )
    status = forms.ChoiceField(label=_("status"), choices=SupplierStatus.choices)
    manager = forms.ModelChoiceField(
        label=_("supplier manager"), queryset=User.objects.none(), required=False
    )
    services_provided = forms.CharField(
        label=_("what the supplier provides"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    website = forms.URLField(label=_("website"), required=False, assume_scheme="https")
    notes = forms.CharField(
        label=_("notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = staff_queryset()

    @staticmethod
    def initial_for(supplier: Supplier) -> dict:
        return {
            "name": supplier.name,
            "kind": supplier.kind,
            "organisation": supplier.organisation_id,
            "status": supplier.status,
            "manager": supplier.manager_id,
            "services_provided": supplier.services_provided,
            "website": supplier.website,
            "notes": supplier.notes,
        }


class ContactForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("name"), max_length=150)
    role = forms.CharField(label=_("role"), max_length=120, required=False)
    email = forms.EmailField(label=_("e-mail"), required=False)
    phone = forms.CharField(label=_("phone"), max_length=40, required=False)
    is_primary = forms.BooleanField(label=_("primary contact"), required=False)


class TicketLinkForm(BootstrapMixin, forms.Form):
    reference = forms.CharField(label=_("ticket"), max_length=32)
    caused_incident = forms.BooleanField(label=_("caused by the supplier"), required=False)
    note = forms.CharField(label=_("note"), max_length=300, required=False)

    def clean_reference(self):
        return self.cleaned_data["reference"].strip().upper()


class TicketLinkFilterForm(BootstrapMixin, forms.Form):
    supplier = forms.ModelChoiceField(
        label=_("supplier"), queryset=Supplier.objects.all(), required=False
    )
    caused = forms.BooleanField(label=_("caused by the supplier only"), required=False)


# --- Contracts -----------------------------------------------------------------------------


class ContractFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("status"), choices=_blank(ContractStatus.choices), required=False
    )
    supplier = forms.ModelChoiceField(
        label=_("supplier"), queryset=Supplier.objects.all(), required=False
    )
    renewal_due = forms.BooleanField(label=_("renewal due"), required=False)


class ContractForm(BootstrapMixin, forms.Form):
    supplier = forms.ModelChoiceField(label=_("supplier"), queryset=Supplier.objects.all())
    title = forms.CharField(label=_("title"), max_length=200)
    supplier_reference = forms.CharField(
        label=_("supplier's contract number"), max_length=80, required=False
    )
    scope = forms.CharField(
        label=_("scope"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    services = forms.ModelMultipleChoiceField(
        label=_("services supported"), queryset=Service.objects.all(), required=False
    )
    value = forms.DecimalField(
        label=_("value"), max_digits=14, decimal_places=2, min_value=0, required=False
    )
    currency = forms.CharField(label=_("currency"), max_length=3, initial="CNY")
    start_date = forms.DateField(label=_("start"), widget=DATE)
    end_date = forms.DateField(label=_("end"), widget=DATE)
    notice_period_days = forms.IntegerField(
        label=_("renewal notice period (days)"), min_value=0, max_value=3650, initial=90
    )
    owner = forms.ModelChoiceField(
        label=_("contract owner"), queryset=User.objects.none(), required=False, empty_label=_("me")
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_queryset()
        self.fields["supplier"].queryset = Supplier.objects.exclude(status=SupplierStatus.INACTIVE)
        if editing:
            del self.fields["supplier"]
            self.fields["owner"].required = True
            self.fields["owner"].empty_label = None

    @staticmethod
    def initial_for(contract: Contract) -> dict:
        return {
            "title": contract.title,
            "supplier_reference": contract.supplier_reference,
            "scope": contract.scope,
            "services": list(contract.services.values_list("pk", flat=True)),
            "value": contract.value,
            "currency": contract.currency,
            "start_date": contract.start_date,
            "end_date": contract.end_date,
            "notice_period_days": contract.notice_period_days,
            "owner": contract.owner_id,
        }


class ContractMoveForm(forms.Form):
    target = forms.ChoiceField(choices=CONTRACT_TARGETS)
    reason = forms.CharField(required=False)
    version = forms.IntegerField(required=False)


class ObligationForm(BootstrapMixin, forms.Form):
    description = forms.CharField(label=_("obligation"), max_length=300)
    metric = forms.ChoiceField(label=_("measured by"), choices=ObligationMetric.choices)
    target_value = forms.DecimalField(
        label=_("target (maximum)"), max_digits=12, decimal_places=2, min_value=0, required=False
    )
    unit = forms.CharField(label=_("unit"), max_length=40, required=False)


class ObligationEditForm(BootstrapMixin, forms.Form):
    description = forms.CharField(label=_("obligation"), max_length=300)
    target_value = forms.DecimalField(
        label=_("target (maximum)"), max_digits=12, decimal_places=2, min_value=0, required=False
    )
    unit = forms.CharField(label=_("unit"), max_length=40, required=False)
    is_active = forms.BooleanField(label=_("in force"), required=False)


# --- Reviews -------------------------------------------------------------------------------


class ReviewFilterForm(BootstrapMixin, forms.Form):
    supplier = forms.ModelChoiceField(
        label=_("supplier"), queryset=Supplier.objects.all(), required=False
    )
    status = forms.ChoiceField(
        label=_("status"), choices=_blank(ReviewStatus.choices), required=False
    )


class ReviewForm(BootstrapMixin, forms.Form):
    supplier = forms.ModelChoiceField(label=_("supplier"), queryset=Supplier.objects.all())
    period_start = forms.DateField(label=_("period start"), widget=DATE)
    period_end = forms.DateField(label=_("period end"), widget=DATE)
    reviewer = forms.ModelChoiceField(
        label=_("reviewer"), queryset=User.objects.none(), required=False, empty_label=_("me")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = staff_queryset()


MET_CHOICES = [("", _("not scored")), ("yes", _("met")), ("no", _("missed"))]


class ScoreForm(BootstrapMixin, forms.Form):
    met = forms.ChoiceField(label=_("met"), choices=MET_CHOICES, required=False)
    actual_value = forms.DecimalField(
        label=_("actual"), max_digits=12, decimal_places=2, min_value=0, required=False
    )
    note = forms.CharField(
        label=_("note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def met_value(self):
        return {"yes": True, "no": False}.get(self.cleaned_data.get("met"))


class ReviewCompleteForm(BootstrapMixin, forms.Form):
    overall_rating = forms.TypedChoiceField(
        label=_("overall rating"),
        choices=[("", "—"), *ReviewRating.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    summary = forms.CharField(
        label=_("summary"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    actions = forms.CharField(
        label=_("agreed actions"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


# --- Disputes ------------------------------------------------------------------------------


class DisputeFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("search"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("status"), choices=_blank(DisputeStatus.choices), required=False
    )
    supplier = forms.ModelChoiceField(
        label=_("supplier"), queryset=Supplier.objects.all(), required=False
    )


class DisputeForm(BootstrapMixin, forms.Form):
    supplier = forms.ModelChoiceField(label=_("supplier"), queryset=Supplier.objects.all())
    contract = forms.ModelChoiceField(
        label=_("contract"), queryset=Contract.objects.all(), required=False
    )
    title = forms.CharField(label=_("title"), max_length=200)
    raised_on = forms.DateField(label=_("raised on"), widget=DATE, required=False)
    description = forms.CharField(label=_("description"), widget=forms.Textarea(attrs={"rows": 4}))
    owner = forms.ModelChoiceField(
        label=_("owner"), queryset=User.objects.none(), required=False, empty_label=_("me")
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_queryset()
        self.fields["contract"].queryset = Contract.objects.select_related("supplier")
        if editing:
            del self.fields["supplier"]
            self.fields["raised_on"].required = True


class DisputeMoveForm(forms.Form):
    target = forms.ChoiceField(choices=DISPUTE_TARGETS)
    resolution = forms.CharField(required=False)
    reason = forms.CharField(required=False)
    version = forms.IntegerField(required=False)
