"""Forms of the competence, training and communication screens. They parse input; the
services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from serviceloop.core.forms import BootstrapMixin
from serviceloop.core.models import Team, User
from serviceloop.core.roles import PROVIDER_ROLES, Role
from serviceloop.desk.models import Category
from serviceloop.support.models import (
    AssessmentResult,
    AssignmentCheck,
    Channel,
    Competence,
    CompetenceLevel,
    Frequency,
    SessionStatus,
    TrainingCourse,
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def staff_people():
    return User.objects.filter(is_active=True, role__in=list(PROVIDER_ROLES)).order_by(
        "display_name", "username"
    )


def provider_teams():
    return Team.objects.filter(is_active=True, organisation__kind="provider")


class MatrixFilterForm(BootstrapMixin, forms.Form):
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("everyone")
    )
    process = forms.ChoiceField(label=_("Process"), choices=(), required=False)
    category = forms.ModelChoiceField(
        label=_("Desk category"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("any"),
    )
    gaps = forms.BooleanField(label=_("Gaps and lapsed only"), required=False)

    def __init__(self, *args, processes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = provider_teams()
        self.fields["process"].choices = [("", _("any")), *((p, p) for p in processes)]
        self.fields["category"].queryset = Category.objects.filter(is_active=True)


class CompetenceForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("name"), max_length=120)
    category = forms.CharField(label=_("process or category"), max_length=120, required=False)
    description = forms.CharField(
        label=_("description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)


class RequirementForm(BootstrapMixin, forms.Form):
    competence = forms.ModelChoiceField(label=_("competence"), queryset=Competence.objects.none())
    level = forms.TypedChoiceField(
        label=_("required level"), coerce=int, choices=CompetenceLevel.choices[1:]
    )
    role = forms.ChoiceField(label=_("role"), choices=[("", "—"), *Role.choices], required=False)
    process = forms.CharField(label=_("process"), max_length=120, required=False)
    category = forms.ModelChoiceField(
        label=_("desk category"), queryset=Category.objects.none(), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["competence"].queryset = Competence.objects.filter(is_active=True)
        self.fields["category"].queryset = Category.objects.filter(is_active=True)
        self.fields["role"].help_text = _(
            "Name one of: a role, a process, or a desk category (whose team must hold it)."
        )


class PersonCompetenceForm(BootstrapMixin, forms.Form):
    competence = forms.ModelChoiceField(label=_("competence"), queryset=Competence.objects.none())
    level = forms.TypedChoiceField(label=_("level"), coerce=int, choices=CompetenceLevel.choices)
    evidence = forms.CharField(
        label=_("evidence"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What shows this level: a certificate, an assessment, work observed."),
    )
    certificate = forms.CharField(label=_("certificate"), max_length=200, required=False)
    expires_on = forms.DateField(label=_("expires on"), required=False, widget=DateInput())
    assessed_on = forms.DateField(label=_("assessed on"), required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["competence"].queryset = Competence.objects.filter(is_active=True)


class CompetenceSettingsForm(BootstrapMixin, forms.Form):
    assignment_check = forms.ChoiceField(
        label=_("assignment competence check"),
        choices=AssignmentCheck.choices,
        help_text=_(
            "When a ticket is assigned to someone who lacks a competence its category requires:"
            " do nothing, warn, or refuse the assignment."
        ),
    )
    expiry_notice_days = forms.IntegerField(
        label=_("expiry notice (days)"), min_value=0, max_value=365
    )


# --- Training ------------------------------------------------------------------------------


class CourseForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    description = forms.CharField(
        label=_("description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    competence = forms.ModelChoiceField(
        label=_("competence it builds"), queryset=Competence.objects.none(), required=False
    )
    raises_to_level = forms.TypedChoiceField(
        label=_("level reached on a pass"),
        coerce=int,
        empty_value=None,
        choices=[("", "—"), *CompetenceLevel.choices[1:]],
        required=False,
    )
    validity_months = forms.IntegerField(
        label=_("valid for (months)"),
        min_value=1,
        max_value=120,
        required=False,
        help_text=_("For a certification: how long a pass counts. Empty: it does not expire."),
    )
    duration_hours = forms.DecimalField(
        label=_("duration (hours)"), max_digits=5, decimal_places=1, required=False
    )
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["competence"].queryset = Competence.objects.filter(is_active=True)


class SessionFilterForm(BootstrapMixin, forms.Form):
    course = forms.ModelChoiceField(
        label=_("Course"),
        queryset=TrainingCourse.objects.none(),
        required=False,
        empty_label=_("any course"),
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("any status")), *SessionStatus.choices], required=False
    )
    start = forms.DateField(label=_("From"), required=False, widget=DateInput())
    end = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = TrainingCourse.objects.all()


class SessionForm(BootstrapMixin, forms.Form):
    course = forms.ModelChoiceField(label=_("course"), queryset=TrainingCourse.objects.none())
    held_on = forms.DateField(label=_("date"), widget=DateInput())
    trainer = forms.ModelChoiceField(
        label=_("trainer"), queryset=User.objects.none(), required=False
    )
    trainer_name = forms.CharField(label=_("external trainer"), max_length=150, required=False)
    location = forms.CharField(label=_("location"), max_length=200, required=False)
    attendees = forms.ModelMultipleChoiceField(
        label=_("attendees"), queryset=User.objects.none(), required=False
    )
    notes = forms.CharField(
        label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = TrainingCourse.objects.filter(is_active=True)
        self.fields["trainer"].queryset = staff_people()
        self.fields["attendees"].queryset = staff_people()


class SessionEditForm(SessionForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["course"]


class SessionMoveForm(forms.Form):
    target = forms.ChoiceField(choices=SessionStatus.choices)


class AttendanceForm(forms.Form):
    """One attendee's row on the session page."""

    person = forms.IntegerField()
    attended = forms.TypedChoiceField(
        choices=[("yes", _("attended")), ("no", _("absent"))], coerce=lambda v: v == "yes"
    )
    result = forms.ChoiceField(choices=AssessmentResult.choices, required=False)
    score = forms.DecimalField(min_value=0, max_value=100, decimal_places=1, required=False)
    comment = forms.CharField(max_length=300, required=False)


# --- Communication -------------------------------------------------------------------------


class CommunicationFilterForm(BootstrapMixin, forms.Form):
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", _("any channel")), *Channel.choices], required=False
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=User.objects.none(), required=False, empty_label=_("anyone")
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    inactive = forms.BooleanField(label=_("Include inactive"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_people()


class CommunicationItemForm(BootstrapMixin, forms.Form):
    topic = forms.CharField(label=_("what"), max_length=200)
    audience = forms.CharField(label=_("audience"), max_length=200)
    frequency = forms.ChoiceField(label=_("frequency"), choices=Frequency.choices)
    timing = forms.CharField(label=_("when"), max_length=200, required=False)
    channel = forms.ChoiceField(label=_("channel"), choices=Channel.choices)
    owner = forms.ModelChoiceField(label=_("owner"), queryset=User.objects.none())
    next_due = forms.DateField(label=_("next due"), required=False, widget=DateInput())
    notes = forms.CharField(
        label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_people()


class CommunicationItemEditForm(CommunicationItemForm):
    is_active = forms.BooleanField(label=_("active"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class CommunicationRecordForm(BootstrapMixin, forms.Form):
    held_on = forms.DateField(label=_("held on"), widget=DateInput())
    summary = forms.CharField(label=_("summary"), widget=forms.Textarea(attrs={"rows": 4}))
    files = MultipleFileField(label=_("attachments"), required=False)
