"""Forms for watchers, links, attachments, major incidents, approvals and ratings."""

from django import forms
from django.utils.translation import gettext_lazy as _

from serviceloop.core.forms import BootstrapMixin
from serviceloop.core.models import User
from serviceloop.desk.models import LinkKind, MajorIncidentUpdate


class WatchersForm(BootstrapMixin, forms.Form):
    watchers = forms.ModelMultipleChoiceField(
        label=_("watchers"), queryset=User.objects.filter(is_active=True), required=False
    )

    def __init__(self, *args, ticket=None, **kwargs):
        super().__init__(*args, **kwargs)
        if ticket is not None:
            self.fields["watchers"].queryset = (
                User.objects.filter(is_active=True)
                .filter(_staff_or_customer_people(ticket))
                .select_related("organisation")
            )


def _staff_or_customer_people(ticket):
    from django.db.models import Q

    from serviceloop.core.roles import PROVIDER_ROLES

    return Q(role__in=PROVIDER_ROLES) | Q(organisation_id=ticket.organisation_id)


class LinkForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("link"), choices=LinkKind.choices)
    target = forms.CharField(label=_("ticket reference"), max_length=32)


class AttachmentUploadForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=_("file"))
    internal = forms.BooleanField(label=_("Internal (staff only)"), required=False)


class MajorUpdateForm(BootstrapMixin, forms.Form):
    audience = forms.ChoiceField(label=_("audience"), choices=MajorIncidentUpdate.Audience.choices)
    body = forms.CharField(label=_("message"), widget=forms.Textarea(attrs={"rows": 3}))


class ReviewForm(BootstrapMixin, forms.Form):
    summary = forms.CharField(label=_("what happened"), widget=forms.Textarea(attrs={"rows": 3}))
    root_cause = forms.CharField(
        label=_("why it happened"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    what_went_well = forms.CharField(
        label=_("what went well"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    what_to_improve = forms.CharField(
        label=_("what to improve"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    actions = forms.CharField(
        label=_("actions (owner, due date)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )


class ApprovalForm(BootstrapMixin, forms.Form):
    approve = forms.TypedChoiceField(
        choices=[("1", _("Approve")), ("0", _("Reject"))], coerce=lambda v: v == "1"
    )
    comment = forms.CharField(
        label=_("comment"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class RatingForm(BootstrapMixin, forms.Form):
    score = forms.TypedChoiceField(
        label=_("your rating"), choices=[(n, str(n)) for n in range(5, 0, -1)], coerce=int
    )
    comment = forms.CharField(
        label=_("comment (optional)"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


def request_form_class(request_type):
    """A Django form built from a request type's field definitions."""
    fields = {}
    for field in request_type.form_schema:
        kind = field.get("type", "text")
        common = {
            "label": field.get("label", field["name"]),
            "required": bool(field.get("required")) and kind != "boolean",
            "help_text": field.get("help", ""),
        }
        if kind == "textarea":
            fields[field["name"]] = forms.CharField(
                widget=forms.Textarea(attrs={"rows": 3}), **common
            )
        elif kind == "number":
            fields[field["name"]] = forms.FloatField(
                min_value=field.get("min"), max_value=field.get("max"), **common
            )
        elif kind == "date":
            fields[field["name"]] = forms.DateField(
                widget=forms.DateInput(attrs={"type": "date"}), **common
            )
        elif kind == "choice":
            fields[field["name"]] = forms.ChoiceField(
                choices=[("", "—"), *[(str(c), str(c)) for c in field["choices"]]], **common
            )
        elif kind == "boolean":
            fields[field["name"]] = forms.BooleanField(**common)
        elif kind == "email":
            fields[field["name"]] = forms.EmailField(**common)
        else:
            fields[field["name"]] = forms.CharField(max_length=5000, **common)
    fields["title"] = forms.CharField(label=_("subject"), max_length=200, required=False)
    fields["description"] = forms.CharField(
        label=_("anything else we should know?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    return type("RequestTypeForm", (BootstrapMixin, forms.Form), fields)
