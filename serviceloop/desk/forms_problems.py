"""Forms of the problem and known-error screens. They parse input; the services decide."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from serviceloop.core.forms import BootstrapMixin
from serviceloop.core.models import User
from serviceloop.core.roles import ROLE_CAPABILITIES, Capability
from serviceloop.desk.models import Category, Fishbone, ProblemStatus

WHY_ROWS = 5
REFERENCE = re.compile(r"[A-Za-z]+-\d{4}-\d+")


def owner_queryset():
    """Active staff who work operational records: who may own a problem."""
    roles = [role for role, caps in ROLE_CAPABILITIES.items() if Capability.OPERATE in caps]
    return User.objects.filter(is_active=True, role__in=roles).order_by("display_name", "username")


class ProblemForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    description = forms.CharField(
        label=_("description"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    service = forms.CharField(label=_("service"), max_length=120, required=False)
    category = forms.ModelChoiceField(
        label=_("category"), queryset=Category.objects.filter(is_active=True), required=False
    )
    owner = forms.ModelChoiceField(
        label=_("owner"), queryset=User.objects.none(), required=False, empty_label=_("me")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owner_queryset()


class ProblemEditForm(ProblemForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].required = True
        self.fields["owner"].empty_label = None


class RcaForm(BootstrapMixin, forms.Form):
    """Root-cause analysis: five why/answer pairs, the fishbone categories, the root cause,
    the workaround (and whether agents see it in the known-error database)."""

    root_cause = forms.CharField(
        label=_("root cause"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    workaround = forms.CharField(
        label=_("workaround"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    workaround_published = forms.BooleanField(
        label=_("Publish the workaround in the known-error database"), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for n in range(1, WHY_ROWS + 1):
            self.fields[f"why_{n}"] = forms.CharField(
                label=_("Why? (%(n)d)") % {"n": n}, max_length=1000, required=False
            )
            self.fields[f"answer_{n}"] = forms.CharField(
                label=_("Because (%(n)d)") % {"n": n}, max_length=2000, required=False
            )
        for value, label in Fishbone.choices:
            self.fields[f"fishbone_{value}"] = forms.CharField(
                label=label, widget=forms.Textarea(attrs={"rows": 2}), required=False
            )
        for field in self.fields.values():
            field.widget.attrs["class"] = field.widget.attrs.get("class") or (
                "form-check-input"
                if isinstance(field.widget, forms.CheckboxInput)
                else "form-control"
            )

    @classmethod
    def initial_for(cls, problem) -> dict:
        initial = {
            "root_cause": problem.root_cause,
            "workaround": problem.workaround,
            "workaround_published": problem.workaround_published,
            "version": problem.version,
        }
        for n, row in enumerate(problem.five_whys or [], start=1):
            if n > WHY_ROWS:
                break
            initial[f"why_{n}"] = row.get("why", "")
            initial[f"answer_{n}"] = row.get("answer", "")
        for value, text in (problem.fishbone or {}).items():
            initial[f"fishbone_{value}"] = text
        return initial

    def why_rows(self):
        return [(self[f"why_{n}"], self[f"answer_{n}"]) for n in range(1, WHY_ROWS + 1)]

    def fishbone_fields(self):
        return [self[f"fishbone_{value}"] for value in Fishbone.values]

    def service_fields(self, problem=None) -> dict:
        """The cleaned input as ``problem_update`` keywords. Rows beyond the form's five
        (saved through the API) are kept."""
        data = self.cleaned_data
        whys = [
            {"why": data[f"why_{n}"], "answer": data[f"answer_{n}"]} for n in range(1, WHY_ROWS + 1)
        ]
        if problem is not None:
            whys += list(problem.five_whys or [])[WHY_ROWS:]
        return {
            "five_whys": whys,
            "fishbone": {value: data[f"fishbone_{value}"] for value in Fishbone.values},
            "root_cause": data["root_cause"],
            "workaround": data["workaround"],
            "workaround_published": data["workaround_published"],
        }


class ProblemTransitionForm(BootstrapMixin, forms.Form):
    target = forms.ChoiceField(choices=ProblemStatus.choices)
    resolution = forms.CharField(
        label=_("resolution"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    accepted_risk = forms.CharField(
        label=_("accepted risk"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    risk_justification = forms.CharField(
        label=_("justification"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class LinkIncidentsForm(BootstrapMixin, forms.Form):
    references = forms.CharField(
        label=_("incident references"),
        max_length=2000,
        help_text=_("One or more, separated by spaces or commas, e.g. INC-2026-000123."),
    )

    def clean_references(self):
        found = [ref.upper() for ref in REFERENCE.findall(self.cleaned_data["references"])]
        if not found:
            raise forms.ValidationError(_("Enter incident references such as INC-2026-000123."))
        if len(found) > 200:
            raise forms.ValidationError(_("Link at most 200 incidents at a time."))
        return list(dict.fromkeys(found))


class TicketProblemLinkForm(forms.Form):
    problem = forms.CharField(max_length=32)


class ProblemFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("status"),
        choices=[("", _("any status")), *ProblemStatus.choices],
        required=False,
    )
    owner = forms.ModelChoiceField(
        label=_("owner"), queryset=User.objects.none(), required=False, empty_label=_("any owner")
    )
    q = forms.CharField(label=_("search"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owner_queryset()


class KnownErrorSearchForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("search"), max_length=200, required=False)


class ProposalAcceptForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("problem title"), max_length=200)
    owner = forms.ModelChoiceField(
        label=_("owner"), queryset=User.objects.none(), required=False, empty_label=_("me")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owner_queryset()


class ProposalDismissForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(
        label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
