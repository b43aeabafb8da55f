"""Forms of the clause screens. They parse input; the queries decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from serviceloop.core.forms import BootstrapMixin

TOP_LEVELS = ("4", "5", "6", "7", "8", "9", "10")


class ClauseFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    top = forms.ChoiceField(
        label=_("Clause"),
        required=False,
        choices=[("", _("All clauses"))] + [(n, n) for n in TOP_LEVELS],
    )
