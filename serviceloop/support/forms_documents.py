"""Forms of the document screens. They parse input; the document services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from serviceloop.core.forms import BootstrapMixin
from serviceloop.core.models import Team, User
from serviceloop.core.roles import PROVIDER_ROLES, ROLE_CAPABILITIES, Capability, Role
from serviceloop.support.models import (
    CampaignStatus,
    DocumentKind,
    DocumentStatus,
    SignoffDecision,
    VersionStatus,
)

APPROVER_CAPABILITIES = {Capability.REVIEW, Capability.MANAGE_SYSTEM, Capability.ADMINISTER}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def staff_people():
    return User.objects.filter(is_active=True, role__in=list(PROVIDER_ROLES)).order_by(
        "display_name", "username"
    )


def approver_people():
    roles = [r for r, caps in ROLE_CAPABILITIES.items() if caps & APPROVER_CAPABILITIES]
    return staff_people().filter(role__in=roles)


class DocumentFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("Search"), max_length=200, required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("any kind")), *DocumentKind.choices], required=False
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            ("", _("any status")),
            *DocumentStatus.choices,
            ("open", _("Revision under way")),
        ],
        required=False,
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=User.objects.none(), required=False, empty_label=_("anyone")
    )
    clause = forms.CharField(label=_("Clause"), max_length=20, required=False)
    overdue = forms.BooleanField(label=_("Review overdue"), required=False)
    self_signed = forms.BooleanField(label=_("Approved or reviewed by its author"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_people()


class VersionFieldsMixin(forms.Form):
    body = forms.CharField(
        label=_("text"),
        widget=forms.Textarea(attrs={"rows": 16}),
        required=False,
        help_text=_(
            "Plain text, or HTML (headings, lists, tables, links); scripts and styles are removed."
        ),
    )
    change_summary = forms.CharField(label=_("change summary"), max_length=300, required=False)
    reviewers = forms.ModelMultipleChoiceField(
        label=_("reviewers"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Each must endorse the version before it can be approved."),
    )
    approvers = forms.ModelMultipleChoiceField(
        label=_("approvers"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Empty: any one approver. Named: all of them must approve."),
    )
    planned_effective = forms.DateField(
        label=_("planned effective date"), required=False, widget=DateInput()
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewers"].queryset = staff_people()
        self.fields["approvers"].queryset = approver_people()


class DocumentForm(BootstrapMixin, VersionFieldsMixin):
    """A new document and its first version."""

    title = forms.CharField(label=_("title"), max_length=200)
    kind = forms.ChoiceField(label=_("kind"), choices=DocumentKind.choices)
    owner = forms.ModelChoiceField(label=_("owner"), queryset=User.objects.none())
    clauses = forms.CharField(
        label=_("clauses"),
        max_length=200,
        required=False,
        help_text=_("ISO/IEC 20000-1 clause numbers, e.g. 7.5, 8.6.1."),
    )
    review_interval_months = forms.IntegerField(
        label=_("review interval (months)"), min_value=1, max_value=60, initial=12
    )
    field_order = [
        "title", "kind", "owner", "clauses", "review_interval_months", "body", "change_summary",
        "reviewers", "approvers", "planned_effective",
    ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_people()
        self.order_fields(self.field_order)


class DocumentMetaForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    kind = forms.ChoiceField(label=_("kind"), choices=DocumentKind.choices)
    owner = forms.ModelChoiceField(label=_("owner"), queryset=User.objects.none())
    clauses = forms.CharField(label=_("clauses"), max_length=200, required=False)
    review_interval_months = forms.IntegerField(
        label=_("review interval (months)"), min_value=1, max_value=60
    )
    next_review = forms.DateField(label=_("next review"), required=False, widget=DateInput())
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_people()


class VersionForm(BootstrapMixin, VersionFieldsMixin):
    pass


EXCEPTION_REASON_HELP = _(
    "Shown with the version, in its history, on the controlled PDF and in the audit trail."
)


class VersionMoveForm(forms.Form):
    target = forms.ChoiceField(choices=VersionStatus.choices)
    comment = forms.CharField(max_length=2000, required=False)
    # the lone author approving his own version (the services decide when it applies)
    exception_reason = forms.CharField(max_length=2000, required=False)


class VersionReviewForm(BootstrapMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("Your review"),
        choices=[
            (SignoffDecision.ENDORSED, _("Endorse")),
            (SignoffDecision.CHANGES_REQUESTED, _("Ask for changes")),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("comment"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    exception_reason = forms.CharField(
        label=_("Why you review your own version"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=EXCEPTION_REASON_HELP,
    )

    def __init__(self, *args, self_review: bool = False, **kwargs):
        """``self_review``: the author reviews his own version (the exception), so the form
        asks why (the service says when the reason is missing); otherwise it has no such
        field."""
        super().__init__(*args, **kwargs)
        self.fields["decision"].widget.attrs["class"] = "form-check-input"
        if not self_review:
            del self.fields["exception_reason"]


class ReviewedForm(BootstrapMixin, forms.Form):
    next_review = forms.DateField(label=_("next review"), required=False, widget=DateInput())


class CampaignForm(BootstrapMixin, forms.Form):
    version = forms.TypedChoiceField(label=_("version"), coerce=int, choices=())
    title = forms.CharField(label=_("title"), max_length=200, required=False)
    message = forms.CharField(
        label=_("message"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    deadline = forms.DateField(label=_("deadline"), widget=DateInput())
    people = forms.ModelMultipleChoiceField(
        label=_("people"), queryset=User.objects.none(), required=False
    )
    teams = forms.ModelMultipleChoiceField(
        label=_("teams"), queryset=Team.objects.none(), required=False
    )
    roles = forms.MultipleChoiceField(
        label=_("roles"),
        choices=Role.choices,
        required=False,
        help_text=_("Everyone holding these roles (customer roles ask customers)."),
    )

    def __init__(self, *args, versions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].choices = [
            (v.number, f"v{v.number} · {v.get_status_display()}") for v in versions
        ]
        self.fields["people"].queryset = User.objects.filter(is_active=True).order_by(
            "organisation__kind", "display_name", "username"
        )
        self.fields["teams"].queryset = Team.objects.filter(is_active=True).select_related(
            "organisation"
        )


class CampaignEditForm(CampaignForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["version"]


class CampaignFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("any status")), *CampaignStatus.choices], required=False
    )
    overdue = forms.BooleanField(label=_("Past the deadline"), required=False)


class AcknowledgeForm(forms.Form):
    campaign = forms.CharField(max_length=32)
