"""Forms of the agreement screens. They parse input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from serviceloop.core.forms import BootstrapMixin
from serviceloop.core.models import Organisation, Team
from serviceloop.desk.models import Priority
from serviceloop.relationship.forms_customers import DATE, services_queryset
from serviceloop.relationship.models import (
    AgreementKind,
    TargetMetric,
    TargetUnit,
    VersionStatus,
)


def provider_teams():
    return Team.objects.filter(organisation__kind="provider", is_active=True).order_by("name")


class VersionFieldsForm(BootstrapMixin, forms.Form):
    valid_from = forms.DateField(label=_("valid from"), widget=DATE)
    valid_until = forms.DateField(
        label=_("valid until"), widget=DATE, required=False, help_text=_("Empty: open-ended.")
    )
    review_on = forms.DateField(label=_("next review"), widget=DATE, required=False)
    services = forms.ModelMultipleChoiceField(
        label=_("services covered"), queryset=None, required=False
    )
    body = forms.CharField(
        label=_("text"),
        widget=forms.Textarea(attrs={"rows": 14}),
        required=False,
        help_text=_("Plain text, or simple HTML (headings, lists, tables, links)."),
    )
    change_note = forms.CharField(label=_("what changed"), max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["services"].queryset = services_queryset()


class AgreementCreateForm(VersionFieldsForm):
    kind = forms.ChoiceField(label=_("kind"), choices=AgreementKind.choices)
    title = forms.CharField(label=_("title"), max_length=200)
    customers = forms.ModelMultipleChoiceField(
        label=_("customers"),
        queryset=Organisation.objects.none(),
        required=False,
        help_text=_("SLA: one customer, or several for a multi-customer SLA."),
    )
    teams = forms.ModelMultipleChoiceField(
        label=_("teams"),
        queryset=Team.objects.none(),
        required=False,
        help_text=_("OLA: the internal teams that agree it (at least two)."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customers"].queryset = Organisation.objects.customers().order_by("name")
        self.fields["teams"].queryset = provider_teams()
        self.order_fields(["kind", "title", "customers", "teams"])


class AgreementEditForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    customers = forms.ModelMultipleChoiceField(
        label=_("customers"), queryset=Organisation.objects.none(), required=False
    )
    teams = forms.ModelMultipleChoiceField(
        label=_("teams"), queryset=Team.objects.none(), required=False
    )

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customers"].queryset = Organisation.objects.customers().order_by("name")
        self.fields["teams"].queryset = provider_teams()
        del self.fields["teams" if kind == AgreementKind.SLA else "customers"]


class VersionEditForm(VersionFieldsForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class TargetForm(BootstrapMixin, forms.Form):
    metric = forms.ChoiceField(label=_("metric"), choices=TargetMetric.choices)
    label = forms.CharField(label=_("description"), max_length=200, required=False)
    priority = forms.ChoiceField(
        label=_("priority"),
        choices=[("", _("every priority")), *Priority.choices],
        required=False,
    )
    service = forms.ModelChoiceField(
        label=_("service"), queryset=None, required=False, empty_label=_("every service covered")
    )
    target_value = forms.DecimalField(label=_("target"), max_digits=12, decimal_places=3)
    unit = forms.ChoiceField(label=_("unit"), choices=TargetUnit.choices)
    sla_policy = forms.ModelChoiceField(label=_("desk SLA policy"), queryset=None, required=False)
    sla_policy_version = forms.ModelChoiceField(
        label=_("desk SLA policy version"),
        queryset=None,
        required=False,
        help_text=_("Empty: whatever version the desk applies."),
    )

    def __init__(self, *args, version, **kwargs):
        from serviceloop.desk.models import SlaPolicy, SlaPolicyVersion

        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = version.services.order_by("name")
        self.fields["sla_policy"].queryset = SlaPolicy.objects.order_by("rank", "name")
        self.fields["sla_policy_version"].queryset = SlaPolicyVersion.objects.select_related(
            "policy"
        ).order_by("policy__name", "-number")


class VersionMoveForm(forms.Form):
    target = forms.ChoiceField(choices=VersionStatus.choices)
    note = forms.CharField(max_length=2000, required=False)
    version = forms.IntegerField(required=False)


class VersionReviewedForm(BootstrapMixin, forms.Form):
    review_on = forms.DateField(label=_("next review"), widget=DATE)
    note = forms.CharField(label=_("note"), max_length=2000, required=False)


class AgreementFilterForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("kind"), choices=[("", _("any"))] + AgreementKind.choices, required=False
    )
    status = forms.ChoiceField(
        label=_("status"), choices=[("", _("any"))] + VersionStatus.choices, required=False
    )
    customer = forms.ModelChoiceField(
        label=_("customer"), queryset=Organisation.objects.none(), required=False
    )
    q = forms.CharField(label=_("search"), required=False, max_length=100)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = (
            Organisation.objects.visible_to(user).customers().order_by("name")
        )
