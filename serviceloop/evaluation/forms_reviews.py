"""Forms of the management review screens. They parse input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from serviceloop.core.forms import BootstrapMixin
from serviceloop.core.models import User
from serviceloop.core.roles import ROLE_CAPABILITIES, Capability
from serviceloop.evaluation.models import ActionStatus, PackLanguage, ReviewStatus
from serviceloop.planning.forms import DateInput, staff_queryset


def top_management_queryset():
    """Active people whose role holds REVIEW: who may chair a review."""
    roles = [role for role, caps in ROLE_CAPABILITIES.items() if Capability.REVIEW in caps]
    return User.objects.filter(is_active=True, role__in=roles).order_by("display_name", "username")


class ReviewFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *ReviewStatus.choices]
    )
    q = forms.CharField(label=_("Search"), max_length=100, required=False)


class ReviewForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    period_start = forms.DateField(label=_("period from"), widget=DateInput())
    period_end = forms.DateField(label=_("period until"), widget=DateInput())
    scheduled_on = forms.DateField(label=_("meeting date"), widget=DateInput())
    location = forms.CharField(label=_("where"), max_length=200, required=False)
    chair = forms.ModelChoiceField(label=_("chair"), queryset=User.objects.none())
    attendees = forms.ModelMultipleChoiceField(
        label=_("attendees"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    guests = forms.CharField(
        label=_("other attendees"),
        max_length=500,
        required=False,
        help_text=_("People without an account."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = top_management_queryset()
        self.fields["attendees"].queryset = staff_queryset()

    @classmethod
    def initial_for(cls, review) -> dict:
        names = ("title", "period_start", "period_end", "scheduled_on", "location", "guests",
                 "version")  # fmt: skip
        return {name: getattr(review, name) for name in names} | {
            "chair": review.chair_id,
            "attendees": list(review.attendees.values_list("pk", flat=True)),
        }

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        data["attendees"] = list(data.get("attendees") or [])
        return data


class GenerateForm(BootstrapMixin, forms.Form):
    language = forms.ChoiceField(label=_("pack language"), choices=PackLanguage.choices)


class MoveForm(forms.Form):
    target = forms.CharField(max_length=16)
    note = forms.CharField(max_length=2000, required=False)
    version = forms.IntegerField(required=False)


class InputTextForm(BootstrapMixin, forms.Form):
    text = forms.CharField(
        label=_("text"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4000
    )


class DecisionForm(BootstrapMixin, forms.Form):
    text = forms.CharField(
        label=_("decision"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000
    )


class ActionForm(BootstrapMixin, forms.Form):
    description = forms.CharField(
        label=_("action"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000
    )
    owner = forms.ModelChoiceField(label=_("owner"), queryset=User.objects.none())
    due_on = forms.DateField(label=_("due"), widget=DateInput())
    decision = forms.TypedChoiceField(
        label=_("decision"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, decisions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_queryset()
        self.fields["decision"].choices = [("", "—")] + [
            (d.number, f"{d.label} {d.text[:60]}") for d in decisions
        ]


class DecisionEditForm(DecisionForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ActionEditForm(ActionForm):
    """An action's details as recorded in the meeting (the decision: one taken on its input)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    @staticmethod
    def initial_for(action) -> dict:
        return {
            "description": action.description, "owner": action.owner_id,
            "due_on": action.due_on, "version": action.version,
            "decision": action.decision.number if action.decision else None,
        }  # fmt: skip


class ActionMoveForm(forms.Form):
    target = forms.ChoiceField(choices=ActionStatus.choices)
    note = forms.CharField(max_length=4000, required=False)


class MinutesForm(BootstrapMixin, forms.Form):
    minutes_summary = forms.CharField(
        label=_("conclusions"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=20_000,
        help_text=_("The conclusions of the review on the suitability, adequacy and "
                    "effectiveness of the service management system."),
    )  # fmt: skip
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ActionFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *ActionStatus.choices],
    )
    overdue = forms.BooleanField(label=_("Overdue"), required=False)
    mine = forms.BooleanField(label=_("Mine"), required=False)
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=User.objects.none(), required=False, empty_label=_("Anyone")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_queryset()
