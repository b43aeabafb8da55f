"""Forms of the knowledge screens. They parse input; the knowledge services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from serviceloop.core.forms import BootstrapMixin
from serviceloop.core.models import User
from serviceloop.core.roles import ROLE_CAPABILITIES, Capability
from serviceloop.portfolio.models import Service
from serviceloop.support.models import ArticleStatus, Audience, KnowledgeCategory

WRITER_CAPABILITIES = {Capability.OPERATE, Capability.LEAD, Capability.MANAGE_SYSTEM}


def writer_roles() -> list[str]:
    return [role for role, caps in ROLE_CAPABILITIES.items() if caps & WRITER_CAPABILITIES]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class ArticleFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("Search"), max_length=200, required=False)
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("any status")), *ArticleStatus.choices], required=False
    )
    audience = forms.ChoiceField(
        label=_("Audience"), choices=[("", _("any audience")), *Audience.choices], required=False
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=KnowledgeCategory.objects.all(),
        required=False,
        empty_label=_("any category"),
    )
    service = forms.ModelChoiceField(
        label=_("Service"),
        queryset=Service.objects.order_by("name"),
        required=False,
        empty_label=_("any service"),
    )
    overdue = forms.BooleanField(label=_("Review overdue"), required=False)


class ArticleForm(BootstrapMixin, forms.Form):
    """Writing or editing an article. The text is HTML (sanitised when stored) or plain text
    (its paragraphs kept)."""

    title = forms.CharField(label=_("title"), max_length=200)
    body = forms.CharField(
        label=_("text"),
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_(
            "Plain text, or HTML (headings, lists, tables, links, code); scripts and styles "
            "are removed."
        ),
    )
    change_note = forms.CharField(label=_("what changed"), max_length=300, required=False)
    audience = forms.ChoiceField(label=_("audience"), choices=Audience.choices)
    owner = forms.ModelChoiceField(label=_("owner"), queryset=User.objects.none())
    review_due = forms.DateField(label=_("next review"), widget=DateInput())
    categories = forms.ModelMultipleChoiceField(
        label=_("categories"),
        queryset=KnowledgeCategory.objects.filter(is_active=True),
        required=False,
    )
    services = forms.ModelMultipleChoiceField(
        label=_("services"),
        queryset=Service.objects.order_by("name"),
        required=False,
        help_text=_("Customers see an article naming services only if they use one of them."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(
            is_active=True, role__in=writer_roles()
        ).order_by("display_name", "username")


class ArticleTransitionForm(forms.Form):
    target = forms.ChoiceField(choices=ArticleStatus.choices)
    version = forms.IntegerField(required=False)


class ReviewedForm(BootstrapMixin, forms.Form):
    next_review = forms.DateField(label=_("next review"), required=False, widget=DateInput())


class FeedbackForm(BootstrapMixin, forms.Form):
    helpful = forms.TypedChoiceField(
        label=_("Was this helpful?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("comment (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["helpful"].widget.attrs["class"] = "form-check-input"


class ArticleLinkForm(BootstrapMixin, forms.Form):
    """From the article page: link a ticket or a problem by its reference."""

    reference = forms.CharField(label=_("ticket or problem reference"), max_length=32)
    used_to_resolve = forms.BooleanField(label=_("used to resolve it"), required=False)

    def clean_reference(self):
        return self.cleaned_data["reference"].strip().upper()


class TicketArticleLinkForm(forms.Form):
    """From the ticket page: link an article by its reference."""

    article = forms.CharField(max_length=32)
    used_to_resolve = forms.BooleanField(required=False)

    def clean_article(self):
        return self.cleaned_data["article"].strip().upper()


class LinkUsedForm(forms.Form):
    used = forms.BooleanField(required=False)
    back = forms.ChoiceField(
        choices=[("ticket", "ticket"), ("problem", "problem"), ("article", "article")]
    )


class KnowledgeSearchForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("Search"), max_length=200, required=False)


class CategoryForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("name"), max_length=120)
    description = forms.CharField(
        label=_("description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)
