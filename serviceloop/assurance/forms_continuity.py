"""Forms of the continuity screens: plans, their tests and issues, invocations."""

from django import forms
from django.utils.translation import gettext_lazy as _

from serviceloop.assurance.forms import DateField, StaffChoiceField, choices_with_any, staff_people
from serviceloop.assurance.lifecycle import IssueStatus, PlanStatus
from serviceloop.assurance.models import ContinuityTestKind, ContinuityTestResult
from serviceloop.core.forms import BootstrapMixin
from serviceloop.core.models import User
from serviceloop.portfolio.models import Service


def _lines(text: str) -> list[list[str]]:
    return [
        [part.strip() for part in line.split("|")] for line in text.splitlines() if line.strip()
    ]


class PlanFilterForm(BootstrapMixin, forms.Form):
    service = forms.ModelChoiceField(
        label=_("service"), queryset=Service.objects.order_by("name"), required=False
    )
    status = forms.ChoiceField(
        label=_("status"), choices=choices_with_any(PlanStatus.choices), required=False
    )
    due = forms.ChoiceField(
        label=_("test"),
        choices=[("", _("any")), ("overdue", _("overdue")), ("soon", _("due within 30 days"))],
        required=False,
    )
    q = forms.CharField(label=_("search"), required=False, max_length=100)


class PlanForm(BootstrapMixin, forms.Form):
    service = forms.ModelChoiceField(label=_("service"), queryset=Service.objects.order_by("name"))
    title = forms.CharField(label=_("title"), max_length=200)
    rto_minutes = forms.IntegerField(label=_("recovery time objective (minutes)"), min_value=0)
    rpo_minutes = forms.IntegerField(label=_("recovery point objective (minutes)"), min_value=0)
    invocation_criteria = forms.CharField(
        label=_("invocation criteria"), widget=forms.Textarea(attrs={"rows": 3})
    )
    owner = StaffChoiceField(label=_("plan owner"))
    review_on = DateField(label=_("next review"))
    test_due_on = DateField(label=_("next test due"))
    steps = forms.CharField(
        label=_("steps"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text=_("One step per line, in order: what to do | who."),
    )
    contacts = forms.CharField(
        label=_("contacts"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("One per line: name | role | phone | e-mail."),
    )

    def __init__(self, *args, services=None, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if services is not None:
            self.fields["service"].queryset = services
        if editing:
            del self.fields["service"]

    def clean_steps(self):
        return [
            (parts[0], parts[1] if len(parts) > 1 else "")
            for parts in _lines(self.cleaned_data["steps"])
        ]

    def clean_contacts(self):
        contacts = []
        for parts in _lines(self.cleaned_data["contacts"]):
            parts += [""] * (4 - len(parts))
            contacts.append(
                {"name": parts[0], "role": parts[1], "phone": parts[2], "email": parts[3]}
            )
        return contacts

    @staticmethod
    def initial_for(plan) -> dict:
        return {
            "title": plan.title,
            "rto_minutes": plan.rto_minutes,
            "rpo_minutes": plan.rpo_minutes,
            "invocation_criteria": plan.invocation_criteria,
            "owner": plan.owner_id,
            "review_on": plan.review_on,
            "test_due_on": plan.test_due_on,
            "steps": "\n".join(
                f"{s.action} | {s.responsible}" if s.responsible else s.action
                for s in plan.steps.all()
            ),
            "contacts": "\n".join(
                " | ".join([c.name, c.role, c.phone, c.email]).rstrip(" |")
                for c in plan.contacts.all()
            ),
        }


class PlanTestForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=ContinuityTestKind.choices)
    tested_on = DateField(label=_("tested on"))
    result = forms.ChoiceField(label=_("result"), choices=ContinuityTestResult.choices)
    summary = forms.CharField(label=_("what happened"), widget=forms.Textarea(attrs={"rows": 4}))
    participants = forms.ModelMultipleChoiceField(
        label=_("participants"), queryset=User.objects.none(), required=False
    )
    other_participants = forms.CharField(
        label=_("other participants"), max_length=300, required=False
    )
    recovery_minutes = forms.IntegerField(
        label=_("time to recover (minutes)"), min_value=0, required=False
    )
    issue_description = forms.CharField(
        label=_("issue found"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    issue_action = forms.CharField(
        label=_("action"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    issue_owner = forms.ModelChoiceField(
        label=_("action owner"), queryset=User.objects.none(), required=False
    )
    issue_due_on = DateField(label=_("action due"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participants"].queryset = staff_people()
        self.fields["issue_owner"].queryset = staff_people()

    def issues(self) -> list[dict]:
        data = self.cleaned_data
        fields = ("issue_description", "issue_action", "issue_owner", "issue_due_on")
        if not any(data.get(name) for name in fields):
            return []
        return [{name.removeprefix("issue_"): data.get(name) for name in fields}]


class IssueForm(BootstrapMixin, forms.Form):
    description = forms.CharField(label=_("issue found"), widget=forms.Textarea(attrs={"rows": 2}))
    action = forms.CharField(label=_("action"), widget=forms.Textarea(attrs={"rows": 2}))
    owner = StaffChoiceField(label=_("owner"))
    due_on = DateField(label=_("due"))


class IssueFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("status"), choices=choices_with_any(IssueStatus.choices), required=False
    )


class InvokeForm(BootstrapMixin, forms.Form):
    ticket = forms.CharField(
        label=_("major incident"),
        max_length=32,
        help_text=_("Its reference, e.g. INC-2026-000123."),
    )
    notes = forms.CharField(
        label=_("notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class StandDownForm(BootstrapMixin, forms.Form):
    notes = forms.CharField(
        label=_("notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
