"""Forms of the customer, review and survey screens. They parse input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from serviceloop.core.forms import BootstrapMixin
from serviceloop.core.models import Organisation, OrganisationKind, User
from serviceloop.core.roles import ROLE_CAPABILITIES, Capability
from serviceloop.relationship.models import (
    SCORE_MAX,
    SCORE_MIN,
    ActionStatus,
    CustomerAccount,
    CustomerContact,
    SurveyStatus,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def relationship_staff():
    """Active staff who may keep customer records: who may manage an account."""
    roles = [
        role
        for role, caps in ROLE_CAPABILITIES.items()
        if Capability.STAFF in caps
        and (Capability.OPERATE in caps or Capability.MANAGE_SYSTEM in caps)
    ]
    return User.objects.filter(is_active=True, role__in=roles).order_by("display_name", "username")


def services_queryset():
    from serviceloop.portfolio.models import Service

    return Service.objects.order_by("name")


class AccountCreateForm(BootstrapMixin, forms.Form):
    organisation = forms.ModelChoiceField(label=_("customer"), queryset=Organisation.objects.none())
    account_manager = forms.ModelChoiceField(
        label=_("account manager"), queryset=User.objects.none(), required=False
    )
    notes = forms.CharField(
        label=_("internal notes"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = (
            Organisation.objects.filter(kind=OrganisationKind.CUSTOMER, is_active=True)
            .exclude(pk__in=CustomerAccount.objects.values("organisation"))
            .order_by("name")
        )
        self.fields["account_manager"].queryset = relationship_staff()


class AccountEditForm(BootstrapMixin, forms.Form):
    account_manager = forms.ModelChoiceField(
        label=_("account manager"), queryset=User.objects.none(), required=False
    )
    notes = forms.CharField(
        label=_("internal notes"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account_manager"].queryset = relationship_staff()


class AccountFilterForm(BootstrapMixin, forms.Form):
    manager = forms.ModelChoiceField(
        label=_("account manager"), queryset=User.objects.none(), required=False
    )
    q = forms.CharField(label=_("search"), required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = relationship_staff()


class ContactForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("name"), max_length=150)
    role = forms.CharField(label=_("role"), max_length=120, required=False)
    email = forms.EmailField(label=_("e-mail"), required=False)
    phone = forms.CharField(label=_("phone"), max_length=40, required=False)
    is_primary = forms.BooleanField(label=_("primary contact"), required=False)
    user = forms.ModelChoiceField(
        label=_("user account"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args, account: CustomerAccount, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(
            organisation=account.organisation_id, is_active=True
        ).order_by("display_name", "username")


class ContactEditForm(ContactForm):
    is_active = forms.BooleanField(label=_("active"), required=False)


class ReviewForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    held_on = forms.DateField(label=_("date"), widget=DATE)
    participants = forms.CharField(
        label=_("participants"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("One per line."),
    )
    minutes = forms.CharField(
        label=_("minutes"),
        widget=forms.Textarea(attrs={"rows": 10}),
        required=False,
        help_text=_("Plain text, or simple HTML (headings, lists, tables, links)."),
    )


class ReviewEditForm(ReviewForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ReviewFilterForm(BootstrapMixin, forms.Form):
    account = forms.ModelChoiceField(
        label=_("customer"), queryset=CustomerAccount.objects.none(), required=False
    )
    date_from = forms.DateField(label=_("from"), widget=DATE, required=False)
    date_until = forms.DateField(label=_("until"), widget=DATE, required=False)
    q = forms.CharField(label=_("search"), required=False, max_length=100)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = CustomerAccount.objects.visible_to(user).select_related(
            "organisation"
        )


class ActionForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("action"), max_length=300)
    owner = forms.ModelChoiceField(label=_("owner"), queryset=User.objects.none())
    due_on = forms.DateField(label=_("due date"), widget=DATE)

    def __init__(self, *args, account: CustomerAccount, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = (
            relationship_staff()
            | User.objects.filter(organisation=account.organisation_id, is_active=True)
        ).order_by("display_name", "username")


class ActionFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("status"), choices=[("", _("any"))] + ActionStatus.choices, required=False
    )
    overdue = forms.BooleanField(label=_("overdue only"), required=False)
    account = forms.ModelChoiceField(
        label=_("customer"), queryset=CustomerAccount.objects.none(), required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = CustomerAccount.objects.visible_to(user).select_related(
            "organisation"
        )


class ActionMoveForm(forms.Form):
    target = forms.ChoiceField(choices=ActionStatus.choices)


# --- Surveys -------------------------------------------------------------------------------


class SurveyForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    period_start = forms.DateField(label=_("period from"), widget=DATE)
    period_end = forms.DateField(label=_("period until"), widget=DATE)
    intro = forms.CharField(
        label=_("introduction"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    per_service = forms.BooleanField(
        label=_("answered per service"),
        required=False,
        help_text=_("Each contact answers once for each service the customer uses."),
    )
    services = forms.ModelMultipleChoiceField(
        label=_("services"),
        queryset=None,
        required=False,
        help_text=_("Empty: every service the customer uses."),
    )
    customers = forms.ModelMultipleChoiceField(
        label=_("customers"),
        queryset=Organisation.objects.none(),
        required=False,
        help_text=_("Empty: every customer."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["services"].queryset = services_queryset()
        self.fields["customers"].queryset = Organisation.objects.customers().order_by("name")


class SurveyCreateForm(SurveyForm):
    questions = forms.CharField(
        label=_("questions"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text=_("One question per line; each is answered on a scale from 1 to 5."),
    )

    def clean_questions(self):
        return [
            line.strip() for line in self.cleaned_data["questions"].splitlines() if line.strip()
        ]


class SurveyEditForm(SurveyForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class SurveyFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("status"), choices=[("", _("any"))] + SurveyStatus.choices, required=False
    )
    q = forms.CharField(label=_("search"), required=False, max_length=100)


class QuestionForm(BootstrapMixin, forms.Form):
    text = forms.CharField(label=_("question"), max_length=300)


class SurveyMoveForm(forms.Form):
    target = forms.ChoiceField(choices=SurveyStatus.choices)


SCORE_CHOICES = [(n, str(n)) for n in range(SCORE_MIN, SCORE_MAX + 1)]


class ContactChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} · {obj.account.organisation}"


class SurveyAnswerForm(BootstrapMixin, forms.Form):
    """One field per question (1–5), the comment; for staff, the contact who answered; for a
    per-service survey, the service."""

    comment = forms.CharField(
        label=_("comment"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, survey, questions, contacts=None, services=None, **kwargs):
        super().__init__(*args, **kwargs)
        if contacts is not None:
            self.fields["contact"] = ContactChoiceField(
                label=_("contact"),
                queryset=contacts,
                widget=forms.Select(attrs={"class": "form-select"}),
            )
        if survey.per_service:
            self.fields["service"] = forms.ModelChoiceField(
                label=_("service"),
                queryset=services,
                widget=forms.Select(attrs={"class": "form-select"}),
            )
        for question in questions:
            self.fields[f"q_{question.pk}"] = forms.TypedChoiceField(
                label=question.text,
                choices=SCORE_CHOICES,
                coerce=int,
                widget=forms.RadioSelect(),
            )
        self.order_fields(["contact", "service", *[f"q_{q.pk}" for q in questions], "comment"])
        self.questions = questions

    def question_fields(self):
        return [self[f"q_{q.pk}"] for q in self.questions]

    def scores(self) -> dict:
        return {q.pk: self.cleaned_data[f"q_{q.pk}"] for q in self.questions}


def contacts_for_survey(survey):
    """Active contacts of the customers a survey is addressed to."""
    contacts = CustomerContact.objects.filter(is_active=True).select_related(
        "account__organisation"
    )
    customer_ids = list(survey.customers.values_list("pk", flat=True))
    if customer_ids:
        contacts = contacts.filter(account__organisation__in=customer_ids)
    return contacts.order_by("account__organisation__name", "name")
