"""Forms of the core screens. They parse input; the services decide."""

import json
import zoneinfo

from django import forms
from django.conf import settings
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
)
from django.utils.translation import gettext_lazy as _

from serviceloop.core.models import Calendar, CalendarDay, Organisation, Team, User
from serviceloop.core.roles import Role

# Django's templates of radio buttons and checkbox lists, which core draws Bootstrap's way.
CHOICE_LIST_TEMPLATES = {
    "django/forms/widgets/radio.html": "core/widgets/check_list.html",
    "django/forms/widgets/checkbox_select.html": "core/widgets/check_list.html",
}
CHOICE_OPTION_TEMPLATES = {
    "django/forms/widgets/radio_option.html": "core/widgets/check_option.html",
    "django/forms/widgets/checkbox_option.html": "core/widgets/check_option.html",
}


class BootstrapMixin:
    """Give every widget Bootstrap's classes. Radio buttons and checkbox lists are drawn as
    Bootstrap's checks (``form-check`` rows, ``form-check-input`` buttons), never as text
    boxes; a widget that brings its own templates keeps them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
                # RadioSelect covers CheckboxSelectMultiple; the class goes on each button
                css = "form-check-input"
                widget.template_name = CHOICE_LIST_TEMPLATES.get(
                    widget.template_name, widget.template_name
                )
                if hasattr(widget, "option_template_name"):
                    widget.option_template_name = CHOICE_OPTION_TEMPLATES.get(
                        widget.option_template_name, widget.option_template_name
                    )
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            classes = widget.attrs.get("class", "").split()
            if css not in classes:
                classes.append(css)
            widget.attrs["class"] = " ".join(classes)


def time_zone_choices():
    return [(name, name) for name in sorted(zoneinfo.available_timezones()) if "/" in name]


def person_time_zone_choices():
    return [("", _("the organisation's time zone")), *time_zone_choices()]


class LoginForm(BootstrapMixin, AuthenticationForm):
    pass


class StyledPasswordChangeForm(BootstrapMixin, PasswordChangeForm):
    pass


class StyledPasswordResetForm(BootstrapMixin, PasswordResetForm):
    pass


class StyledSetPasswordForm(BootstrapMixin, SetPasswordForm):
    pass


class OrganisationForm(BootstrapMixin, forms.ModelForm):
    time_zone = forms.ChoiceField(
        label=_("time zone"), choices=time_zone_choices, initial=settings.TIME_ZONE
    )

    class Meta:
        model = Organisation
        fields = [
            "kind",
            "name",
            "short_name",
            "time_zone",
            "calendar",
            "email_domain",
            "is_active",
        ]

    def clean_kind(self):
        # Shown at the field the user chose; the database constraint stays the final word.
        kind = self.cleaned_data["kind"]
        if kind == "provider" and Organisation.objects.filter(kind="provider").exists():
            raise forms.ValidationError(_("There is already a provider organisation."))
        return kind


class OrganisationEditForm(OrganisationForm):
    class Meta(OrganisationForm.Meta):
        fields = ["name", "short_name", "time_zone", "calendar", "email_domain", "is_active"]


class PersonForm(BootstrapMixin, forms.ModelForm):
    time_zone = forms.ChoiceField(
        label=_("time zone"), choices=person_time_zone_choices, required=False
    )

    class Meta:
        model = User
        fields = [
            "first_name",
            "last_name",
            "display_name",
            "email",
            "phone",
            "role",
            "language",
            "time_zone",
            "is_active",
        ]


class PersonCreateForm(PersonForm):
    username = forms.CharField(label=_("user name"), max_length=150)
    organisation = forms.ModelChoiceField(
        label=_("organisation"), queryset=Organisation.objects.all()
    )
    password = forms.CharField(
        label=_("initial password"),
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text=_("Leave empty to let the person set one through password reset."),
    )

    class Meta(PersonForm.Meta):
        fields = ["username", "organisation", *PersonForm.Meta.fields]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        chosen = str(self.initial.get("organisation") or "")
        organisation = Organisation.objects.filter(pk=chosen).first() if chosen.isdigit() else None
        customer = organisation is not None and not organisation.is_provider
        self.fields["role"].initial = Role.CUSTOMER_USER if customer else Role.AGENT


class ProfileForm(BootstrapMixin, forms.ModelForm):
    time_zone = forms.ChoiceField(
        label=_("time zone"), choices=person_time_zone_choices, required=False
    )

    class Meta:
        model = User
        fields = ["first_name", "last_name", "display_name", "phone", "language", "time_zone"]


class TeamForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Team
        fields = ["organisation", "name", "description", "email", "lead", "members", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "organisation" in self.fields:
            self.fields["organisation"].queryset = Organisation.objects.filter(is_active=True)
        staff = User.objects.filter(is_active=True).select_related("organisation")
        if self.instance.pk:  # an existing team: only its organisation's people
            staff = staff.filter(organisation_id=self.instance.organisation_id)
        self.fields["lead"].queryset = staff
        self.fields["members"].queryset = staff


class TeamEditForm(TeamForm):
    class Meta(TeamForm.Meta):
        fields = ["name", "description", "email", "lead", "members", "is_active"]


def calendar_time_zone_choices():
    return [("", _("the preset's own zone")), *time_zone_choices()]


class CalendarForm(BootstrapMixin, forms.ModelForm):
    time_zone = forms.ChoiceField(
        label=_("time zone"), choices=calendar_time_zone_choices, required=False
    )
    weekly_hours = forms.CharField(
        label=_("weekly hours"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            'Custom calendars only: JSON, weekday (0 = Monday) to intervals, e.g. {"5": "09:00-12:00"}.'
        ),
    )

    class Meta:
        model = Calendar
        fields = ["name", "label", "preset", "time_zone", "hours", "weekly_hours", "is_active"]

    def clean_weekly_hours(self):
        text = self.cleaned_data.get("weekly_hours") or ""
        if not text.strip():
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(_("Not valid JSON: %s") % exc.msg) from exc
        if not isinstance(value, dict) or not all(
            k in {str(d) for d in range(7)} and isinstance(v, str) for k, v in value.items()
        ):
            raise forms.ValidationError(
                _("Use weekday numbers 0–6 as keys and interval text as values.")
            )
        return value

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.weekly_hours:
            self.initial["weekly_hours"] = json.dumps(self.instance.weekly_hours)


class CalendarEditForm(CalendarForm):
    class Meta(CalendarForm.Meta):
        fields = ["label", "preset", "time_zone", "hours", "weekly_hours", "is_active"]


class CalendarDayForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = CalendarDay
        fields = ["date", "kind", "name"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"})}


class DeadlineCheckForm(BootstrapMixin, forms.Form):
    start = forms.DateTimeField(
        label=_("start"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    minutes = forms.DecimalField(
        label=_("business minutes"), min_value=0, max_digits=12, decimal_places=2
    )


class AuditFilterForm(BootstrapMixin, forms.Form):
    object_type = forms.CharField(label=_("object type"), required=False)
    object_id = forms.CharField(label=_("object id"), required=False)
    actor = forms.CharField(label=_("actor"), required=False)
    date_from = forms.DateField(
        label=_("from date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("to date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class AttachmentForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=_("file"))
    is_internal = forms.BooleanField(label=_("Internal (staff only)"), required=False)
