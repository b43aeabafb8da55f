"""Forms of the CMDB screens. They parse input; the services decide."""

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from serviceloop.core.forms import BootstrapMixin
from serviceloop.core.models import Organisation, OrganisationKind, User
from serviceloop.core.roles import PROVIDER_ROLES
from serviceloop.portfolio.lifecycle import AssetStatus, CiStatus
from serviceloop.portfolio.models import CiType, ConfigurationItem, RelationKind


def staff_queryset():
    return User.objects.filter(is_active=True, role__in=PROVIDER_ROLES).order_by(
        "display_name", "username"
    )


def customer_queryset():
    return Organisation.objects.filter(kind=OrganisationKind.CUSTOMER, is_active=True).order_by(
        "name"
    )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class CiFilterForm(BootstrapMixin, forms.Form):
    type = forms.ModelChoiceField(
        label=_("type"),
        queryset=CiType.objects.all(),
        required=False,
        to_field_name="code",
        empty_label=_("all types"),
    )
    status = forms.ChoiceField(
        label=_("status"), choices=[("", _("all statuses")), *CiStatus.choices], required=False
    )
    owner = forms.ModelChoiceField(
        label=_("owner"), queryset=User.objects.none(), required=False, empty_label=_("anyone")
    )
    customer = forms.ModelChoiceField(
        label=_("customer"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("any"),
    )
    q = forms.CharField(label=_("search"), required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_queryset()
        self.fields["customer"].queryset = customer_queryset()


class CiTypeChoiceForm(BootstrapMixin, forms.Form):
    """The first step of recording an item: its type decides the attribute fields."""

    type = forms.ModelChoiceField(
        label=_("type"), queryset=CiType.objects.filter(is_active=True), to_field_name="code"
    )


def attribute_field(definition: dict) -> forms.Field:
    label = definition.get("label") or definition["key"]
    required = bool(definition.get("required"))
    kind = definition["type"]
    if kind == "number":
        return forms.DecimalField(label=label, required=required, max_digits=20, decimal_places=6)
    if kind == "date":
        return forms.DateField(label=label, required=required, widget=DateInput())
    if kind == "choice":
        choices = [(c, c) for c in definition.get("choices", [])]
        return forms.ChoiceField(label=label, required=required, choices=[("", "—"), *choices])
    return forms.CharField(label=label, required=required, max_length=1000)


class CiForm(BootstrapMixin, forms.Form):
    """An item's details and the attributes its type declares (fields ``attr_<key>``)."""

    name = forms.CharField(label=_("name"), max_length=200)
    status = forms.ChoiceField(label=_("status"), choices=CiStatus.choices, initial="planned")
    owner = forms.ModelChoiceField(label=_("owner"), queryset=User.objects.none(), required=False)
    organisation = forms.ModelChoiceField(
        label=_("customer"),
        queryset=Organisation.objects.none(),
        required=False,
        help_text=_("Empty for the provider's own infrastructure."),
    )
    location = forms.CharField(label=_("location"), max_length=200, required=False)
    supplier = forms.CharField(label=_("supplier"), max_length=200, required=False)
    version_label = forms.CharField(label=_("version"), max_length=80, required=False)
    description = forms.CharField(
        label=_("description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, ci_type: CiType, creating: bool, **kwargs):
        self.ci_type = ci_type
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_queryset()
        self.fields["organisation"].queryset = customer_queryset()
        if not creating:
            del self.fields["status"]
        for definition in ci_type.attributes:
            field = attribute_field(definition)
            field.widget.attrs["class"] = (
                "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            )
            self.fields[f"attr_{definition['key']}"] = field

    @classmethod
    def initial_for(cls, item: ConfigurationItem) -> dict:
        initial = {
            "name": item.name,
            "owner": item.owner_id,
            "organisation": item.organisation_id,
            "location": item.location,
            "supplier": item.supplier,
            "version_label": item.version_label,
            "description": item.description,
            "version": item.version,
        }
        for key, value in (item.attributes or {}).items():
            initial[f"attr_{key}"] = value
        return initial

    def attributes(self) -> dict:
        values = {}
        for definition in self.ci_type.attributes:
            value = self.cleaned_data.get(f"attr_{definition['key']}")
            values[definition["key"]] = "" if value is None else value
        return values

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "owner": data.get("owner"),
            "organisation": data.get("organisation"),
            "location": data.get("location", ""),
            "supplier": data.get("supplier", ""),
            "version_label": data.get("version_label", ""),
            "description": data.get("description", ""),
            "attributes": self.attributes(),
        }

    def attribute_fields(self):
        return [self[name] for name in self.fields if name.startswith("attr_")]

    def detail_fields(self):
        return [
            self[name] for name in self.fields if not name.startswith("attr_") and name != "version"
        ]


class CiMoveForm(forms.Form):
    target = forms.ChoiceField(choices=CiStatus.choices)
    version = forms.IntegerField(required=False)


DIRECTIONS = (("out", _("this item … the other")), ("in", _("the other … this item")))


class RelationForm(BootstrapMixin, forms.Form):
    """``this item <kind> other`` (direction "out") or ``other <kind> this item`` ("in")."""

    direction = forms.ChoiceField(label=_("direction"), choices=DIRECTIONS, initial="out")
    kind = forms.ChoiceField(label=_("relation"), choices=RelationKind.choices)
    other = forms.CharField(
        label=_("other item"),
        max_length=32,
        help_text=_("Its reference, e.g. CI-2026-000123."),
    )
    note = forms.CharField(label=_("note"), max_length=200, required=False)

    def clean_other(self):
        return self.cleaned_data["other"].strip().upper()


class CiTypeForm(BootstrapMixin, forms.Form):
    code = forms.SlugField(label=_("code"), max_length=40)
    name = forms.CharField(label=_("name"), max_length=120)
    description = forms.CharField(
        label=_("description"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    attributes = forms.CharField(
        label=_("attribute definitions (JSON)"),
        widget=forms.Textarea(attrs={"rows": 8, "class": "sl-mono"}),
        required=False,
        help_text=_(
            'A list such as [{"key": "ram_gb", "label": "RAM (GB)", "type": "number", '
            '"required": true}, {"key": "os", "label": "OS", "type": "choice", '
            '"choices": ["Linux", "Windows"]}]. Types: text, number, date, choice.'
        ),
    )
    is_active = forms.BooleanField(label=_("in use"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean_attributes(self):
        text = self.cleaned_data["attributes"].strip()
        if not text:
            return []
        try:
            return json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(_("This is not valid JSON.")) from exc

    @classmethod
    def initial_for(cls, ci_type: CiType) -> dict:
        return {
            "code": ci_type.code,
            "name": ci_type.name,
            "description": ci_type.description,
            "attributes": json.dumps(ci_type.attributes, ensure_ascii=False, indent=2),
            "is_active": ci_type.is_active,
            "version": ci_type.version,
        }


class ImportUploadForm(BootstrapMixin, forms.Form):
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        help_text=_(
            "First row: the column names. Needed: name, type. Optional: status, owner, "
            "location, supplier, version, organisation, description, and attr:<key> for "
            "attributes."
        ),
    )


class ImportConfirmForm(forms.Form):
    token = forms.CharField(max_length=40)
    valid_only = forms.BooleanField(required=False)


class AssetFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("status"), choices=[("", _("all statuses")), *AssetStatus.choices], required=False
    )
    q = forms.CharField(label=_("search"), required=False, max_length=200)


class AssetForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("name"), max_length=200)
    tag = forms.CharField(label=_("asset tag or serial number"), max_length=120, required=False)
    status = forms.ChoiceField(
        label=_("status"),
        choices=[(s, label) for s, label in AssetStatus.choices if s in ("ordered", "in_stock")],
        initial="ordered",
    )
    purchase_date = forms.DateField(label=_("purchase date"), required=False, widget=DateInput())
    cost = forms.DecimalField(
        label=_("cost"), max_digits=14, decimal_places=2, min_value=0, required=False
    )
    currency = forms.CharField(label=_("currency"), max_length=3, initial="CNY")
    supplier = forms.CharField(label=_("supplier"), max_length=200, required=False)
    warranty_end = forms.DateField(label=_("warranty end"), required=False, widget=DateInput())
    depreciation_months = forms.IntegerField(
        label=_("depreciation period (months)"), min_value=1, max_value=600, required=False
    )
    note = forms.CharField(
        label=_("note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, creating: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not creating:
            del self.fields["status"]

    @classmethod
    def initial_for(cls, asset) -> dict:
        return {
            name: getattr(asset, name)
            for name in (
                "name",
                "tag",
                "purchase_date",
                "cost",
                "currency",
                "supplier",
                "warranty_end",
                "depreciation_months",
                "note",
                "version",
            )
        }

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        data.pop("status", None)
        for name in ("tag", "supplier", "note"):
            data[name] = data.get(name) or ""
        return data


class AssetMoveForm(forms.Form):
    target = forms.ChoiceField(choices=AssetStatus.choices)
    configuration_item = forms.CharField(max_length=32, required=False)
    version = forms.IntegerField(required=False)
