"""Forms of the gap analysis and implementation plan screens. They parse input; the services
decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from serviceloop.conformity.models import Clause
from serviceloop.core.forms import BootstrapMixin
from serviceloop.core.models import User
from serviceloop.core.roles import PROVIDER_ROLES
from serviceloop.planning.models import (
    AssessmentStatus,
    ItemStatus,
    Maturity,
    MilestoneKind,
    PlanItem,
)

NA = "na"


def staff_queryset():
    """Active provider staff: who may assess, own an item."""
    return User.objects.filter(is_active=True, role__in=PROVIDER_ROLES).order_by(
        "display_name", "username"
    )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class AssessmentFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *AssessmentStatus.choices],
    )
    q = forms.CharField(label=_("Search"), max_length=100, required=False)


class AssessmentForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    assessed_on = forms.DateField(label=_("assessment date"), widget=DateInput())
    assessor = forms.ModelChoiceField(label=_("assessor"), queryset=User.objects.none())
    summary = forms.CharField(
        label=_("summary"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assessor"].queryset = staff_queryset()


class AssessmentCreateForm(AssessmentForm):
    copy_previous = forms.BooleanField(
        label=_("Start from the previous gap analysis (copy its answers)"),
        required=False,
        initial=True,
    )


class AnswerForm(BootstrapMixin, forms.Form):
    """One clause's answer. ``maturity`` offers 0–5 and "not applicable" in one choice."""

    maturity = forms.ChoiceField(
        label=_("maturity"),
        required=False,
        choices=[
            ("", _("not answered yet")),
            *[(str(value), label) for value, label in Maturity.choices],
            (NA, _("Not applicable")),
        ],
    )
    justification = forms.CharField(
        label=_("justification for not applicable"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    current_practice = forms.CharField(
        label=_("current practice"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    evidence_links = forms.CharField(
        label=_("evidence"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_(
            "One per line: a web address (https://…) or a record reference such as INC-2026-000123."
        ),
    )
    gap = forms.CharField(label=_("gap"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    @classmethod
    def initial_for(cls, answer) -> dict:
        return {
            "maturity": NA
            if answer.not_applicable
            else ("" if answer.maturity is None else str(answer.maturity)),
            "justification": answer.justification,
            "current_practice": answer.current_practice,
            "evidence_links": "\n".join(answer.evidence_links or []),
            "gap": answer.gap,
            "version": answer.version,
        }

    def service_fields(self) -> dict:
        data = self.cleaned_data
        choice = data["maturity"]
        return {
            "not_applicable": choice == NA,
            "maturity": None if choice in ("", NA) else int(choice),
            "justification": data["justification"],
            "current_practice": data["current_practice"],
            "evidence_links": data["evidence_links"],
            "gap": data["gap"],
        }


class TransitionForm(forms.Form):
    target = forms.CharField(max_length=20)
    reason = forms.CharField(max_length=2000, required=False)
    version = forms.IntegerField(required=False)


class GapsToPlanForm(BootstrapMixin, forms.Form):
    """Turn the selected gaps (answers) into plan items."""

    answers = forms.TypedMultipleChoiceField(coerce=int, choices=[], label=_("gaps"))
    owner = forms.ModelChoiceField(label=_("owner"), queryset=User.objects.none())
    start_on = forms.DateField(label=_("start"), widget=DateInput())
    due_on = forms.DateField(label=_("due"), widget=DateInput())

    def __init__(self, *args, answer_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["answers"].choices = list(answer_choices)
        self.fields["owner"].queryset = staff_queryset()


class PlanItemForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    goal = forms.CharField(
        label=_("goal"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    owner = forms.ModelChoiceField(label=_("owner"), queryset=User.objects.none())
    start_on = forms.DateField(label=_("start"), widget=DateInput())
    due_on = forms.DateField(label=_("due"), widget=DateInput())
    resources = forms.CharField(
        label=_("resources"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    budget = forms.DecimalField(
        label=_("budget"), max_digits=14, decimal_places=2, required=False, min_value=0
    )
    currency = forms.CharField(label=_("currency"), max_length=3, initial="CNY")
    clauses = forms.ModelMultipleChoiceField(
        label=_("clauses"),
        queryset=Clause.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    depends_on = forms.ModelMultipleChoiceField(
        label=_("depends on"),
        queryset=PlanItem.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    def __init__(self, *args, item=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_queryset()
        self.fields["clauses"].queryset = Clause.objects.in_order()
        self.fields["clauses"].label_from_instance = lambda c: f"{c.number} {c.title}"
        others = PlanItem.objects.order_by("reference")
        if item is not None:
            others = others.exclude(pk=item.pk)
        self.fields["depends_on"].queryset = others
        self.fields["depends_on"].label_from_instance = lambda i: f"{i.reference} {i.title}"

    @classmethod
    def initial_for(cls, item) -> dict:
        return {
            "title": item.title, "goal": item.goal, "owner": item.owner_id,
            "start_on": item.start_on, "due_on": item.due_on, "resources": item.resources,
            "budget": item.budget, "currency": item.currency,
            "clauses": list(item.clauses.values_list("pk", flat=True)),
            "depends_on": list(item.depends_on.values_list("pk", flat=True)),
        }  # fmt: skip


class ProgressForm(BootstrapMixin, forms.Form):
    percent_complete = forms.IntegerField(label=_("Percent complete"), min_value=0, max_value=100)
    note = forms.CharField(label=_("note"), max_length=2000, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class PlanFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *ItemStatus.choices]
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=User.objects.none(), required=False, empty_label=_("Anyone")
    )
    clause = forms.CharField(label=_("Clause"), max_length=20, required=False)
    q = forms.CharField(label=_("Search"), max_length=100, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_queryset()


class MilestoneForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    kind = forms.ChoiceField(label=_("kind"), choices=MilestoneKind.choices)
    due_on = forms.DateField(label=_("date"), widget=DateInput())
    note = forms.CharField(
        label=_("note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    items = forms.ModelMultipleChoiceField(
        label=_("items to finish first"),
        queryset=PlanItem.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].queryset = PlanItem.objects.order_by("reference")
        self.fields["items"].label_from_instance = lambda i: f"{i.reference} {i.title}"

    @classmethod
    def initial_for(cls, milestone) -> dict:
        return {
            "title": milestone.title, "kind": milestone.kind, "due_on": milestone.due_on,
            "note": milestone.note, "items": list(milestone.items.values_list("pk", flat=True)),
        }  # fmt: skip


class MilestoneAchieveForm(forms.Form):
    achieved_on = forms.DateField(required=False)
