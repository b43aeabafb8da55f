"""Forms of the context screens (issues, interested parties, scope statement). They parse
input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from serviceloop.core.forms import BootstrapMixin
from serviceloop.core.models import Organisation
from serviceloop.planning.forms import DateInput, staff_queryset
from serviceloop.planning.models import IssueKind, Module, PartyCategory
from serviceloop.portfolio.models import Service


def _textarea(rows=3):
    return forms.Textarea(attrs={"rows": rows})


class CurrentFilter(forms.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            label=_("Current"),
            required=False,
            choices=[("", _("Current")), ("retired", _("Retired")), ("all", _("All"))],
            **kwargs,
        )


class IssueFilterForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any kind")), *IssueKind.choices]
    )
    current = CurrentFilter()
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=None, required=False, empty_label=_("Anyone")
    )
    q = forms.CharField(label=_("Search"), max_length=100, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_queryset()


class IssueForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=IssueKind.choices)
    title = forms.CharField(label=_("issue"), max_length=200)
    description = forms.CharField(label=_("description"), widget=_textarea(), required=False)
    impact = forms.CharField(
        label=_("impact on the service management system"), widget=_textarea(), required=False
    )
    owner = forms.ModelChoiceField(label=_("owner"), queryset=None)
    review_on = forms.DateField(label=_("review date"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_queryset()

    @classmethod
    def initial_for(cls, issue) -> dict:
        return {name: getattr(issue, name) for name in ("kind", "title", "description", "impact",
                "review_on")} | {"owner": issue.owner_id}  # fmt: skip


class PartyFilterForm(BootstrapMixin, forms.Form):
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        choices=[("", _("Any category")), *PartyCategory.choices],
    )
    current = CurrentFilter()
    q = forms.CharField(label=_("Search"), max_length=100, required=False)


class PartyForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("interested party"), max_length=200)
    category = forms.ChoiceField(label=_("category"), choices=PartyCategory.choices)
    requirements = forms.CharField(label=_("requirements"), widget=_textarea(4))
    how_addressed = forms.CharField(
        label=_("how the requirements are addressed"), widget=_textarea(), required=False
    )
    owner = forms.ModelChoiceField(label=_("owner"), queryset=None)
    review_on = forms.DateField(label=_("review date"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_queryset()

    @classmethod
    def initial_for(cls, party) -> dict:
        return {name: getattr(party, name) for name in ("name", "category", "requirements",
                "how_addressed", "review_on")} | {"owner": party.owner_id}  # fmt: skip


class CurrentForm(forms.Form):
    """Retire (with a reason) or reinstate an issue or a party."""

    current = forms.BooleanField(required=False)
    reason = forms.CharField(max_length=2000, required=False)
    version = forms.IntegerField(required=False)


class ScopeForm(BootstrapMixin, forms.Form):
    statement = forms.CharField(
        label=_("scope statement"),
        widget=_textarea(5),
        required=False,
        help_text=_(
            "The services provided, to which customers, from which locations, by which parts "
            "of the organisation."
        ),
    )
    services = forms.ModelMultipleChoiceField(
        label=_("services in scope"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    customers = forms.ModelMultipleChoiceField(
        label=_("customers"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    locations = forms.CharField(
        label=_("locations"),
        widget=_textarea(3),
        required=False,
        help_text=_("One per line."),
    )
    change_summary = forms.CharField(label=_("what changed"), widget=_textarea(2), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["services"].queryset = Service.objects.order_by("name")
        self.fields["customers"].queryset = Organisation.objects.customers().order_by("name")

    @classmethod
    def initial_for(cls, scope) -> dict:
        return {
            "statement": scope.statement,
            "services": list(scope.services.values_list("pk", flat=True)),
            "customers": list(scope.customers.values_list("pk", flat=True)),
            "locations": "\n".join(scope.locations or []),
            "change_summary": scope.change_summary,
            "version": scope.version,
        }


class ExclusionForm(BootstrapMixin, forms.Form):
    subject = forms.CharField(label=_("excluded"), max_length=200, required=False)
    justification = forms.CharField(label=_("justification"), widget=_textarea(2), required=False)
    module = forms.ChoiceField(
        label=_("module"), required=False, choices=[("", "—"), *Module.choices]
    )


ExclusionFormSet = forms.formset_factory(ExclusionForm, extra=2, max_num=50, validate_max=True)


def exclusion_rows(formset) -> list[dict]:
    return [
        {
            "subject": form.cleaned_data.get("subject", ""),
            "justification": form.cleaned_data.get("justification", ""),
            "module": form.cleaned_data.get("module", ""),
        }
        for form in formset.forms
        if form.cleaned_data
    ]


class ApproveForm(forms.Form):
    note = forms.CharField(max_length=2000, required=False)
    version = forms.IntegerField(required=False)
