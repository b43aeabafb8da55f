"""Forms of the leadership screens (policy, its communication, the RACI matrix). They parse
input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from serviceloop.core.forms import BootstrapMixin
from serviceloop.core.roles import PROVIDER_ROLES, Role
from serviceloop.planning.forms import DateInput
from serviceloop.planning.models import PROCESSES, CommunicationChannel

RACI_CHOICES = [
    ("", "—"),
    ("R", _("R · Responsible")),
    ("A", _("A · Accountable")),
    ("RA", _("R+A · Responsible and accountable")),
    ("C", _("C · Consulted")),
    ("I", _("I · Informed")),
]


def raci_roles() -> list[tuple[str, str]]:
    """The provider's roles, in the order of ``Role``: the matrix's columns."""
    return [(value, label) for value, label in Role.choices if value in PROVIDER_ROLES]


class PolicyForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    body = forms.CharField(
        label=_("text"),
        widget=forms.Textarea(attrs={"rows": 14}),
        required=False,
        help_text=_(
            "HTML is allowed (paragraphs, lists, emphasis, links); anything unsafe is removed."
        ),
    )
    change_summary = forms.CharField(
        label=_("what changed"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    @classmethod
    def initial_for(cls, policy) -> dict:
        return {
            "title": policy.title,
            "body": policy.body,
            "change_summary": policy.change_summary,
            "version": policy.version,
        }


class CommunicationForm(BootstrapMixin, forms.Form):
    communicated_on = forms.DateField(label=_("date"), widget=DateInput())
    audience = forms.CharField(label=_("audience"), max_length=200)
    channel = forms.ChoiceField(label=_("channel"), choices=CommunicationChannel.choices)
    note = forms.CharField(label=_("note"), max_length=2000, required=False)


class RaciForm(forms.Form):
    """One select per process and role, named ``cell-<process>-<role>``."""

    def __init__(self, *args, matrix: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        matrix = matrix or {}
        for process in PROCESSES:
            for role, label in raci_roles():
                current = matrix.get((process.code, role), "")
                choices = RACI_CHOICES
                if current and current not in dict(RACI_CHOICES):
                    choices = [*RACI_CHOICES, (current, current)]  # set through the API
                self.fields[self.name_of(process.code, role)] = forms.ChoiceField(
                    choices=choices,
                    required=False,
                    initial=current,
                    widget=forms.Select(
                        attrs={
                            "class": "form-select form-select-sm",
                            "aria-label": f"{process.code} {label}",
                        }
                    ),
                )

    @staticmethod
    def name_of(process: str, role: str) -> str:
        return f"cell-{process}-{role}"

    def cells(self) -> dict:
        return {
            (process.code, role): self.cleaned_data.get(self.name_of(process.code, role), "")
            for process in PROCESSES
            for role, _label in raci_roles()
        }
