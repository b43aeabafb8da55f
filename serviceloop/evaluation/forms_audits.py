"""Forms of the internal-audit screens. They parse input; the services decide."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from serviceloop.conformity.models import Clause
from serviceloop.core.forms import BootstrapMixin
from serviceloop.core.models import Team
from serviceloop.evaluation.models import (
    AuditStatus,
    ChecklistResult,
    FindingKind,
    FindingStatus,
    RiskRating,
)
from serviceloop.planning.forms import DateInput, staff_queryset
from serviceloop.support.models import Competence, CompetenceLevel


def clause_label(clause) -> str:
    return f"{clause.number} {clause.title}"


def provider_teams():
    return Team.objects.filter(organisation__kind="provider", is_active=True).order_by("name")


class ProgrammeForm(BootstrapMixin, forms.Form):
    year = forms.IntegerField(label=_("year"), min_value=2000, max_value=2100)
    title = forms.CharField(
        label=_("title"), max_length=200, required=False,
        help_text=_("Empty: “Internal audit programme” and the year."),
    )  # fmt: skip
    objectives = forms.CharField(
        label=_("objectives"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    criteria = forms.CharField(
        label=_("audit criteria"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["year"]
            self.fields["title"].required = True
            self.fields["title"].help_text = ""
        else:
            del self.fields["version"]
            self.fields["year"].initial = timezone.localdate().year


class LineForm(BootstrapMixin, forms.Form):
    clause = forms.ModelChoiceField(label=_("clause"), queryset=None)
    risk = forms.ChoiceField(
        label=_("risk"), choices=RiskRating.choices, initial=RiskRating.MEDIUM,
        help_text=_("High: audited twice a year; medium: once a year; low: every second year."),
    )  # fmt: skip
    risk_note = forms.CharField(
        label=_("why this risk"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    owner_team = forms.ModelChoiceField(
        label=_("owning team"), queryset=None, required=False,
        help_text=_("Its members may not audit this line."),
    )  # fmt: skip
    note = forms.CharField(label=_("note"), widget=forms.Textarea(attrs={"rows": 2}),
                           required=False)  # fmt: skip

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["clause"]
        else:
            self.fields["clause"].queryset = Clause.objects.in_order()
            self.fields["clause"].label_from_instance = clause_label
        self.fields["owner_team"].queryset = provider_teams()


def line_label(line) -> str:
    team = f" · {line.owner_team}" if line.owner_team_id else ""
    return f"{line.clause.number} {line.subject} ({line.get_risk_display()}){team}"


class AuditForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    lines = forms.ModelMultipleChoiceField(
        label=_("programme lines"), queryset=None,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text=_("The checklist is built from the clauses these lines cover."),
    )  # fmt: skip
    planned_start = forms.DateField(label=_("planned start"), widget=DateInput())
    planned_end = forms.DateField(label=_("planned end"), widget=DateInput())
    lead_auditor = forms.ModelChoiceField(label=_("lead auditor"), queryset=None)
    auditors = forms.ModelMultipleChoiceField(
        label=_("other auditors"), queryset=None, required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )  # fmt: skip
    auditees = forms.CharField(label=_("auditees"), max_length=300, required=False)
    scope = forms.CharField(label=_("scope"), widget=forms.Textarea(attrs={"rows": 2}),
                            required=False)  # fmt: skip
    objectives = forms.CharField(
        label=_("objectives"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    criteria = forms.CharField(
        label=_("audit criteria"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    agenda = forms.CharField(label=_("agenda"), widget=forms.Textarea(attrs={"rows": 4}),
                             required=False)  # fmt: skip
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lines"].queryset = programme.lines.select_related(
            "clause", "owner_team"
        ).order_by("clause__position")
        self.fields["lines"].label_from_instance = line_label
        self.fields["lead_auditor"].queryset = staff_queryset()
        self.fields["auditors"].queryset = staff_queryset()

    @classmethod
    def initial_for(cls, audit) -> dict:
        names = ("title", "planned_start", "planned_end", "auditees", "scope", "objectives",
                 "criteria", "agenda", "version")  # fmt: skip
        return {name: getattr(audit, name) for name in names} | {
            "lead_auditor": audit.lead_auditor_id,
            "auditors": list(audit.auditors.values_list("pk", flat=True)),
            "lines": list(audit.lines.values_list("pk", flat=True)),
        }

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data


class MoveForm(forms.Form):
    target = forms.CharField(max_length=16)
    note = forms.CharField(max_length=4000, required=False)
    conclusion = forms.CharField(required=False)
    action_plan = forms.CharField(required=False)
    version = forms.IntegerField(required=False)


class AnswerForm(BootstrapMixin, forms.Form):
    result = forms.ChoiceField(
        label=_("result"), choices=[c for c in ChecklistResult.choices if c[0]]
    )
    notes = forms.CharField(
        label=_("audit notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    evidence_links = forms.CharField(
        label=_("evidence"), widget=forms.Textarea(attrs={"rows": 2}), required=False,
        help_text=_("Record references (INC-2026-000123), documents or web addresses, one per "
                    "line."),
    )  # fmt: skip


class QuestionForm(BootstrapMixin, forms.Form):
    clause = forms.ModelChoiceField(label=_("clause"), queryset=None)
    question = forms.CharField(label=_("question"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, clauses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clause"].queryset = clauses
        self.fields["clause"].label_from_instance = clause_label


class FindingForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=FindingKind.choices)
    title = forms.CharField(label=_("title"), max_length=200)
    description = forms.CharField(
        label=_("description"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    clauses = forms.ModelMultipleChoiceField(
        label=_("clauses"), queryset=None, required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Required for a nonconformity."),
    )  # fmt: skip
    checklist_item = forms.ModelChoiceField(
        label=_("checklist question"), queryset=None, required=False
    )
    owner = forms.ModelChoiceField(
        label=_("owner"), queryset=None, required=False,
        help_text=_("Required for a nonconformity: who corrects it."),
    )  # fmt: skip
    due_on = forms.DateField(label=_("due"), widget=DateInput(), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, audit, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clauses"].queryset = Clause.objects.in_order()
        self.fields["clauses"].label_from_instance = clause_label
        self.fields["checklist_item"].queryset = audit.checklist.select_related("clause")
        self.fields["checklist_item"].label_from_instance = lambda item: (
            f"{item.clause.number} · {item.question[:80]}"
        )
        self.fields["owner"].queryset = staff_queryset()
        if editing:
            del self.fields["kind"]

    @classmethod
    def initial_for(cls, finding) -> dict:
        names = ("title", "description", "due_on", "version")
        return {name: getattr(finding, name) for name in names} | {
            "owner": finding.owner_id,
            "checklist_item": finding.checklist_item_id,
            "clauses": list(finding.clauses.values_list("pk", flat=True)),
        }

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data


class AttachmentForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=_("file"))


class AuditSettingsForm(BootstrapMixin, forms.Form):
    competence = forms.ModelChoiceField(
        label=_("qualifying competence"), queryset=None, required=False,
        empty_label=_("The competence required of the internal auditor role"),
    )  # fmt: skip
    minimum_level = forms.TypedChoiceField(
        label=_("lowest qualifying level"), coerce=int,
        choices=[c for c in CompetenceLevel.choices if c[0] >= 1],
    )  # fmt: skip
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["competence"].queryset = Competence.objects.filter(is_active=True)


class AuditFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *AuditStatus.choices]
    )
    q = forms.CharField(label=_("Search"), max_length=100, required=False)


class FindingFilterForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any kind")), *FindingKind.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), ("open", _("Not closed")), *FindingStatus.choices],
    )
    overdue = forms.BooleanField(label=_("Overdue"), required=False)
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
