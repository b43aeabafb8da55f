"""What the forms of the assurance screens share: date and time inputs, the staff chooser,
a filter's "any" choice, and the lifecycle move form. The forms of each part are in
``forms_availability``, ``forms_spof``, ``forms_continuity`` and ``forms_security``; they
parse input, the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from serviceloop.core.forms import BootstrapMixin
from serviceloop.core.models import User
from serviceloop.core.roles import PROVIDER_ROLES

DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S"
INPUT_FORMATS = [DATETIME_FORMAT, "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]


def staff_people():
    return User.objects.filter(is_active=True, role__in=PROVIDER_ROLES).order_by(
        "display_name", "username"
    )


ANY = _("any")


def choices_with_any(choices, label=ANY):
    """``choices`` after an empty choice (``label``: "any"), for a filter."""
    return [("", label), *choices]


class DateTimeField(forms.DateTimeField):
    """A ``datetime-local`` input to the second, read in the current time zone."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("input_formats", INPUT_FORMATS)
        kwargs.setdefault(
            "widget",
            forms.DateTimeInput(
                attrs={"type": "datetime-local", "step": "1"}, format=DATETIME_FORMAT
            ),
        )
        super().__init__(*args, **kwargs)


class DateField(forms.DateField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        super().__init__(*args, **kwargs)


class StaffChoiceField(forms.ModelChoiceField):
    def __init__(self, *args, **kwargs):
        super().__init__(staff_people(), *args, **kwargs)


class MoveForm(BootstrapMixin, forms.Form):
    target = forms.CharField(max_length=20, widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
