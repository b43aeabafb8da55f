"""Forms of the change, release and transition-plan screens. They parse input; the services
decide."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from serviceloop.core.forms import BootstrapMixin
from serviceloop.core.models import Organisation, Team, User
from serviceloop.core.roles import ROLE_CAPABILITIES, Capability
from serviceloop.portfolio.lifecycle import ServiceStatus
from serviceloop.portfolio.models import CiType, ConfigurationItem, Service
from serviceloop.transition.lifecycle import ChangeStatus, PlanStatus, ReleaseStatus
from serviceloop.transition.models import (
    CabDecision,
    ChangeRequest,
    ChangeTemplate,
    ChangeType,
    CriterionResult,
    DeploymentOutcome,
    Environment,
    PlanKind,
    Release,
)
from serviceloop.transition.risk import ChangeImpact, Likelihood, RiskLevel

REFERENCE = re.compile(r"[A-Za-z]+-\d{4}-\d+")
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _roles_with(*capabilities):
    return [
        role for role, caps in ROLE_CAPABILITIES.items() if any(c in caps for c in capabilities)
    ]


def operators():
    """Active staff who work operational records: owners and implementers."""
    return User.objects.filter(is_active=True, role__in=_roles_with(Capability.OPERATE)).order_by(
        "display_name", "username"
    )


def cab_candidates():
    return User.objects.filter(
        is_active=True, role__in=_roles_with(Capability.OPERATE, Capability.MANAGE_SYSTEM)
    ).order_by("display_name", "username")


def staff():
    return User.objects.filter(is_active=True, role__in=_roles_with(Capability.STAFF)).order_by(
        "display_name", "username"
    )


class DateTimeField(forms.DateTimeField):
    """A ``datetime-local`` input, read in the user's time zone."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("input_formats", [DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"])
        super().__init__(*args, **kwargs)


def _optional_int(value):
    return int(value) if value not in (None, "") else None


def item_label(item: ConfigurationItem) -> str:
    """A configuration item in a choice list: reference, name and type."""
    return f"{item.reference} {item.name} ({item.ci_type.name})"


# --- Changes -------------------------------------------------------------------------------


class ChangeFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("status"), choices=[("", _("any")), *ChangeStatus.choices], required=False
    )
    change_type = forms.ChoiceField(
        label=_("type"), choices=[("", _("any")), *ChangeType.choices], required=False
    )
    risk_level = forms.ChoiceField(
        label=_("risk"), choices=[("", _("any")), *RiskLevel.choices], required=False
    )
    q = forms.CharField(label=_("search"), max_length=200, required=False)


class ChangeForm(BootstrapMixin, forms.Form):
    """A new change (the type and template are chosen only when creating)."""

    change_type = forms.ChoiceField(label=_("type"), choices=ChangeType.choices)
    template = forms.ModelChoiceField(
        label=_("standard change template"),
        queryset=ChangeTemplate.objects.filter(is_active=True),
        required=False,
        help_text=_("Standard changes only: the template's plans and risk level apply."),
    )
    title = forms.CharField(label=_("title"), max_length=200, required=False)
    description = forms.CharField(
        label=_("description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    reason = forms.CharField(
        label=_("reason for the change"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    owner = forms.ModelChoiceField(
        label=_("change owner"), queryset=User.objects.none(), required=False, empty_label=_("me")
    )
    implementer = forms.ModelChoiceField(
        label=_("implementer"), queryset=User.objects.none(), required=False
    )
    configuration_items = forms.ModelMultipleChoiceField(
        label=_("affected configuration items"),
        queryset=ConfigurationItem.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    services = forms.ModelMultipleChoiceField(
        label=_("affected services"),
        queryset=Service.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    likelihood = forms.TypedChoiceField(
        label=_("likelihood"),
        choices=[("", "—"), *Likelihood.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    impact = forms.TypedChoiceField(
        label=_("impact"),
        choices=[("", "—"), *ChangeImpact.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    implementation_plan = forms.CharField(
        label=_("implementation plan"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    backout_plan = forms.CharField(
        label=_("backout plan"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    test_plan = forms.CharField(
        label=_("test plan"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    planned_start = DateTimeField(label=_("planned start"), required=False)
    planned_end = DateTimeField(label=_("planned end"), required=False)

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = operators()
        self.fields["implementer"].queryset = operators()
        self.fields["configuration_items"].queryset = (
            ConfigurationItem.objects.in_use().select_related("ci_type").order_by("reference")
        )
        # the type tells a database from the server it runs on
        self.fields["configuration_items"].label_from_instance = item_label
        self.fields["services"].queryset = Service.objects.exclude(
            status=ServiceStatus.RETIRED
        ).order_by("name")
        if editing:
            del self.fields["change_type"]
            del self.fields["template"]
            self.fields["owner"].empty_label = None
        self.fields["likelihood"].widget.attrs["data-risk-input"] = "likelihood"
        self.fields["impact"].widget.attrs["data-risk-input"] = "impact"

    @staticmethod
    def initial_for(change: ChangeRequest) -> dict:
        return {
            "title": change.title,
            "description": change.description,
            "reason": change.reason,
            "owner": change.owner_id,
            "implementer": change.implementer_id,
            "configuration_items": list(change.configuration_items.values_list("pk", flat=True)),
            "services": list(change.services.values_list("pk", flat=True)),
            "likelihood": change.likelihood,
            "impact": change.impact,
            "implementation_plan": change.implementation_plan,
            "backout_plan": change.backout_plan,
            "test_plan": change.test_plan,
            "planned_start": change.planned_start,
            "planned_end": change.planned_end,
        }


class ChangeMoveForm(forms.Form):
    """A move from the change page; the fields the move needs come with it."""

    target = forms.ChoiceField(choices=ChangeStatus.choices)
    note = forms.CharField(max_length=20_000, required=False)
    likelihood = forms.TypedChoiceField(
        choices=[("", "—"), *Likelihood.choices], coerce=int, empty_value=None, required=False
    )
    impact = forms.TypedChoiceField(
        choices=[("", "—"), *ChangeImpact.choices], coerce=int, empty_value=None, required=False
    )
    version = forms.IntegerField(required=False)


class ScheduleForm(BootstrapMixin, forms.Form):
    planned_start = DateTimeField(label=_("planned start"))
    planned_end = DateTimeField(label=_("planned end"))
    override_reason = forms.CharField(
        label=_("reason for scheduling despite the conflicts"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("Needed only when the window conflicts with other work."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class VoteForm(BootstrapMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("decision"), choices=CabDecision.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("comment"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class ReviewForm(BootstrapMixin, forms.Form):
    success = forms.TypedChoiceField(
        label=_("was the change successful?"),
        choices=[("yes", _("yes")), ("no", _("no"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(label=_("review notes"), widget=forms.Textarea(attrs={"rows": 4}))
    lessons = forms.CharField(
        label=_("lessons learned"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ReferencesForm(BootstrapMixin, forms.Form):
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


class CalendarForm(forms.Form):
    view = forms.ChoiceField(choices=[("month", _("month")), ("week", _("week"))], required=False)
    date = forms.DateField(required=False)


# --- Settings ------------------------------------------------------------------------------


class TemplateForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = ChangeTemplate
        fields = [
            "name",
            "description",
            "risk_level",
            "implementation_plan",
            "backout_plan",
            "test_plan",
            "is_active",
        ]
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in ("description", "implementation_plan", "backout_plan", "test_plan")
        }


class CabRuleForm(BootstrapMixin, forms.Form):
    risk_level = forms.ChoiceField(label=_("risk level"), choices=RiskLevel.choices)
    approvers = forms.ModelMultipleChoiceField(
        label=_("approvers"), queryset=User.objects.none(), required=False
    )
    team = forms.ModelChoiceField(
        label=_("approving team"), queryset=Team.objects.filter(is_active=True), required=False
    )
    quorum = forms.IntegerField(label=_("approvals needed"), min_value=1, initial=1)
    emergency_approvers = forms.ModelMultipleChoiceField(
        label=_("emergency CAB"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Empty: the whole CAB decides emergencies too."),
    )
    emergency_quorum = forms.IntegerField(
        label=_("approvals needed in an emergency"), min_value=1, initial=1
    )
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["approvers"].queryset = cab_candidates()
        self.fields["emergency_approvers"].queryset = cab_candidates()


class PolicyForm(BootstrapMixin, forms.Form):
    controlled_services = forms.ModelMultipleChoiceField(
        label=_("services under change control"),
        queryset=Service.objects.exclude(status=ServiceStatus.RETIRED).order_by("name"),
        required=False,
    )
    controlled_ci_types = forms.ModelMultipleChoiceField(
        label=_("item types under change control"),
        queryset=CiType.objects.order_by("name"),
        required=False,
    )
    all_controlled = forms.BooleanField(
        label=_("everything is under change control"), required=False
    )
    low_risk_without_cab = forms.BooleanField(
        label=_("a change manager may approve low-risk normal changes outside change control"),
        required=False,
    )


class BlackoutForm(BootstrapMixin, forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("customer"),
        queryset=Organisation.objects.customers().filter(is_active=True),
        required=False,
        empty_label=_("every customer"),
    )
    start = DateTimeField(label=_("start"))
    end = DateTimeField(label=_("end"))
    reason = forms.CharField(label=_("reason"), max_length=200)


# --- Releases ------------------------------------------------------------------------------


class ReleaseFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("status"), choices=[("", _("any")), *ReleaseStatus.choices], required=False
    )
    q = forms.CharField(label=_("search"), max_length=200, required=False)


class ReleaseForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("name"), max_length=200)
    description = forms.CharField(
        label=_("description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    owner = forms.ModelChoiceField(
        label=_("release manager"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("me"),
    )
    changes = forms.ModelMultipleChoiceField(
        label=_("changes"),
        queryset=ChangeRequest.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    services = forms.ModelMultipleChoiceField(
        label=_("services"),
        queryset=Service.objects.exclude(status=ServiceStatus.RETIRED).order_by("name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    planned_deploy_at = DateTimeField(label=_("planned deployment"), required=False)
    els_end = DateTimeField(label=_("end of early-life support"), required=False)
    criteria = forms.CharField(
        label=_("acceptance criteria"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("One per line."),
    )

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = operators()
        self.fields["changes"].queryset = ChangeRequest.objects.exclude(
            status__in=[ChangeStatus.CANCELLED, ChangeStatus.REJECTED, ChangeStatus.CLOSED]
        ).order_by("-created_at")
        if editing:
            del self.fields["criteria"]
            self.fields["owner"].empty_label = None
            self.fields["changes"].queryset = ChangeRequest.objects.exclude(
                status__in=[ChangeStatus.CANCELLED, ChangeStatus.REJECTED]
            ).order_by("-created_at")

    def clean_criteria(self):
        return [
            line.strip()
            for line in self.cleaned_data.get("criteria", "").splitlines()
            if line.strip()
        ]

    @staticmethod
    def initial_for(release: Release) -> dict:
        return {
            "name": release.name,
            "description": release.description,
            "owner": release.owner_id,
            "changes": list(release.changes.values_list("pk", flat=True)),
            "services": list(release.services.values_list("pk", flat=True)),
            "planned_deploy_at": release.planned_deploy_at,
            "els_end": release.els_end,
        }


class ReleaseMoveForm(forms.Form):
    target = forms.ChoiceField(choices=ReleaseStatus.choices)
    note = forms.CharField(max_length=20_000, required=False)
    version = forms.IntegerField(required=False)


class DeploymentForm(BootstrapMixin, forms.Form):
    environment = forms.ChoiceField(label=_("environment"), choices=Environment.choices)
    outcome = forms.ChoiceField(label=_("outcome"), choices=DeploymentOutcome.choices)
    deployed_at = DateTimeField(label=_("deployed"), required=False)
    notes = forms.CharField(
        label=_("notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class RollbackForm(BootstrapMixin, forms.Form):
    environment = forms.ChoiceField(label=_("environment"), choices=Environment.choices)
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}))


class CriterionForm(BootstrapMixin, forms.Form):
    description = forms.CharField(label=_("criterion"), max_length=300)


class CriterionResultForm(BootstrapMixin, forms.Form):
    result = forms.ChoiceField(label=_("result"), choices=CriterionResult.choices)
    note = forms.CharField(label=_("test note"), max_length=5000, required=False)


# --- Transition plans ----------------------------------------------------------------------


class PlanForm(BootstrapMixin, forms.Form):
    service = forms.ModelChoiceField(
        label=_("service"),
        queryset=Service.objects.exclude(status=ServiceStatus.RETIRED).order_by("name"),
    )
    kind = forms.ChoiceField(label=_("kind"), choices=PlanKind.choices)
    title = forms.CharField(label=_("title"), max_length=200)
    description = forms.CharField(
        label=_("description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    owner = forms.ModelChoiceField(
        label=_("owner"), queryset=User.objects.none(), required=False, empty_label=_("me")
    )
    release = forms.ModelChoiceField(
        label=_("release"), queryset=Release.objects.order_by("-created_at"), required=False
    )
    target_go_live = forms.DateField(
        label=_("target go-live"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = operators()


class PlanFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("status"), choices=[("", _("any")), *PlanStatus.choices], required=False
    )


class PlanCriterionForm(BootstrapMixin, forms.Form):
    met = forms.TypedChoiceField(
        label=_("met"),
        choices=[("yes", _("met")), ("no", _("not met"))],
        coerce=lambda v: v == "yes",
    )
    evidence = forms.CharField(label=_("evidence"), max_length=5000, required=False)


class PlanMoveForm(forms.Form):
    target = forms.ChoiceField(choices=PlanStatus.choices)
    note = forms.CharField(max_length=20_000, required=False)
    version = forms.IntegerField(required=False)
