"""The customer screens: accounts (with contacts and services in use), the customer's own
relationship page, relationship reviews and their actions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.core.models import Organisation
from serviceloop.core.views.helpers import apply_service_errors, paginate
from serviceloop.relationship import queries_agreements, queries_customers
from serviceloop.relationship import services_customers as services
from serviceloop.relationship.forms_customers import (
    AccountCreateForm,
    AccountEditForm,
    AccountFilterForm,
    ActionFilterForm,
    ActionForm,
    ActionMoveForm,
    ContactEditForm,
    ContactForm,
    ReviewEditForm,
    ReviewFilterForm,
    ReviewForm,
)
from serviceloop.relationship.models import (
    REVIEW_ACTION_TRANSITIONS,
    CustomerAccount,
    Survey,
    SurveyStatus,
)
from serviceloop.relationship.permissions_customers import (
    can_write_relationship,
    get_account_for,
    get_contact_for,
    get_review_action_for,
    get_review_for,
    is_staff,
    require_relationship_writer,
)

ACCOUNT_COLUMNS = [
    Column(_l("Customer"), "organisation.name"),
    Column(_l("Short name"), "organisation.short_name"),
    Column(_l("Account manager"), "account_manager"),
    Column(_l("Contacts"), "contact_count"),
    Column(_l("Reviews"), "review_count"),
    Column(_l("Open actions"), "open_action_count"),
    Column(_l("Updated"), "updated_at"),
]
REVIEW_COLUMNS = [
    Column(_l("Reference"), "reference"),
    Column(_l("Customer"), "account.organisation.name"),
    Column(_l("Date"), "held_on"),
    Column(_l("Title"), "title"),
    Column(_l("Participants"), lambda r: "; ".join(r.participant_list)),
    Column(_l("Actions"), "action_count"),
    Column(_l("Open actions"), "open_action_count"),
]
ACTION_COLUMNS = [
    Column(_l("Review"), "review.reference"),
    Column(_l("Customer"), "review.account.organisation.name"),
    Column(_l("Action"), "title"),
    Column(_l("Owner"), "owner"),
    Column(_l("Due date"), "due_on"),
    Column(_l("Status"), "get_status_display"),
    Column(_l("Done"), "done_at"),
]


def _form_errors_to_messages(request, form) -> None:
    for errors in form.errors.values():
        for message in errors:
            messages.error(request, message)


def _error_messages(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# --- Accounts ------------------------------------------------------------------------------


@login_required
def customer_list(request):
    if not is_staff(request.user):
        raise Http404
    form = AccountFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    accounts = queries_customers.accounts_for_list(
        request.user, manager=filters.get("manager"), q=filters.get("q", "")
    )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "customers", ACCOUNT_COLUMNS, accounts)
    page = paginate(request, accounts)
    primary = queries_customers.primary_contacts(page.object_list)
    for account in page.object_list:
        account.primary_contact = primary.get(account.pk)
    without_account = (
        Organisation.objects.customers()
        .filter(is_active=True)
        .exclude(pk__in=CustomerAccount.objects.values("organisation"))
        .order_by("name")
    )
    context = {
        "form": form,
        "page": page,
        "without_account": without_account,
        "can_write": can_write_relationship(request.user),
    }
    return render(request, "relationship/customer_list.html", context)


@login_required
def customer_new(request):
    require_relationship_writer(request.user)
    initial = {"organisation": request.GET.get("organisation")}
    form = AccountCreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.customer_account_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Customer account opened."))
            return redirect("customer_detail", pk=account.pk)
    return render(
        request,
        "relationship/customer_form.html",
        {"form": form, "title": _("New customer account")},
    )


def _relationship_context(request, organisation, account):
    """What the account page shows of one customer: services in use, agreements the user
    may read, reviews with actions, surveys."""
    user = request.user
    today = timezone.localdate()
    from serviceloop.portfolio.models import Service

    # Staff see every entitled service with its status; a customer the live ones only.
    services_in_use = Service.objects.visible_to(user).filter(customers=organisation)
    services_in_use = services_in_use.order_by("name")
    agreements = queries_agreements.agreements_for_list(user, customer=organisation)
    reviews = queries_customers.reviews_for_list(user, account=account) if account else []
    actions = (
        queries_customers.actions_for_list(user, account=account, status="open") if account else []
    )
    surveys = Survey.objects.visible_to(user).exclude(status=SurveyStatus.DRAFT)
    surveys = [
        s for s in surveys.prefetch_related("customers") if s.is_addressed_to(organisation.pk)
    ]
    return {
        "organisation": organisation,
        "account": account,
        "services_in_use": services_in_use,
        "agreements": agreements,
        "reviews": reviews,
        "open_actions": actions,
        "surveys": surveys,
        "today": today,
        "is_staff": is_staff(user),
        "can_write": can_write_relationship(user),
        "contacts": account.contacts.select_related("user").order_by(
            "-is_active", "-is_primary", "name"
        )
        if account
        else [],
    }


@login_required
def customer_detail(request, pk):
    account = get_account_for(request.user, pk)
    context = _relationship_context(request, account.organisation, account)
    return render(request, "relationship/customer_detail.html", context)


@login_required
def customer_mine(request):
    """A customer's own relationship page: his organisation's account, agreements, reviews
    and surveys (the page exists even before the provider opened an account record)."""
    if is_staff(request.user):
        return redirect("customer_list")
    if request.user.organisation_id is None:
        raise Http404
    organisation = Organisation.objects.get(pk=request.user.organisation_id)
    account = CustomerAccount.objects.visible_to(request.user).filter(organisation=organisation)
    context = _relationship_context(request, organisation, account.first())
    return render(request, "relationship/customer_detail.html", context)


@login_required
def customer_edit(request, pk):
    account = get_account_for(request.user, pk, write=True)
    initial = {
        "account_manager": account.account_manager_id,
        "notes": account.notes,
        "version": account.version,
    }
    form = AccountEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        expected = data.pop("version", None)
        try:
            services.customer_account_update(
                actor=request.user, account=account, expected_version=expected, **data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("customer_detail", pk=account.pk)
    return render(
        request,
        "relationship/customer_form.html",
        {"form": form, "title": _("Edit %s") % account, "account": account},
    )


# --- Contacts ------------------------------------------------------------------------------


@login_required
def customer_contact_new(request, pk):
    account = get_account_for(request.user, pk, write=True)
    form = ContactForm(request.POST or None, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_contact_create(
                actor=request.user, account=account, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Contact added."))
            return redirect("customer_detail", pk=account.pk)
    return render(
        request,
        "relationship/customer_form.html",
        {"form": form, "title": _("New contact at %s") % account, "account": account},
    )


@login_required
def customer_contact_edit(request, pk):
    contact = get_contact_for(request.user, pk, write=True)
    account = contact.account
    initial = {
        "name": contact.name,
        "role": contact.role,
        "email": contact.email,
        "phone": contact.phone,
        "is_primary": contact.is_primary,
        "user": contact.user_id,
        "is_active": contact.is_active,
    }
    form = ContactEditForm(request.POST or None, initial=initial, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_contact_update(
                actor=request.user, contact=contact, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("customer_detail", pk=account.pk)
    return render(
        request,
        "relationship/customer_form.html",
        {"form": form, "title": _("Edit %s") % contact.name, "account": account},
    )


# --- Reviews -------------------------------------------------------------------------------


@login_required
def customer_review_list(request):
    form = ReviewFilterForm(request.GET or None, user=request.user)
    filters = form.cleaned_data if form.is_valid() else {}
    reviews = queries_customers.reviews_for_list(
        request.user,
        account=filters.get("account"),
        q=filters.get("q", ""),
        date_from=filters.get("date_from"),
        date_until=filters.get("date_until"),
    )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "customer-reviews", REVIEW_COLUMNS, reviews)
    context = {
        "form": form,
        "page": paginate(request, reviews),
        "can_write": can_write_relationship(request.user),
    }
    return render(request, "relationship/review_list.html", context)


@login_required
def customer_review_new(request, pk):
    account = get_account_for(request.user, pk, write=True)
    form = ReviewForm(
        request.POST or None,
        initial={"held_on": timezone.localdate(), "title": _("Service review")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            review = services.review_create(
                actor=request.user, account=account, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Review %s recorded.") % review.reference)
            return redirect("customer_review_detail", reference=review.reference)
    return render(
        request,
        "relationship/review_form.html",
        {"form": form, "title": _("New review with %s") % account, "account": account},
    )


@login_required
def customer_review_detail(request, reference):
    review = get_review_for(request.user, reference)
    can_write = can_write_relationship(request.user)
    today = timezone.localdate()
    actions = list(review.actions.select_related("owner", "done_by").order_by("due_on", "pk"))
    for action in actions:
        roles = services.review_action_roles(request.user, action)
        action.moves = [
            m for m in REVIEW_ACTION_TRANSITIONS if m.source == action.status and m.who & roles
        ]
        action.overdue = action.is_overdue(today)
    context = {
        "review": review,
        "account": review.account,
        "actions": actions,
        "can_write": can_write,
        "action_form": ActionForm(account=review.account) if can_write else None,
        "is_staff": is_staff(request.user),
    }
    return render(request, "relationship/review_detail.html", context)


@login_required
def customer_review_edit(request, reference):
    review = get_review_for(request.user, reference, write=True)
    initial = {
        "title": review.title,
        "held_on": review.held_on,
        "participants": review.participants,
        "minutes": review.minutes,
        "version": review.version,
    }
    form = ReviewEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        expected = data.pop("version", None)
        try:
            services.review_update(
                actor=request.user, review=review, expected_version=expected, **data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("customer_review_detail", reference=review.reference)
    return render(
        request,
        "relationship/review_form.html",
        {"form": form, "title": _("Edit %s") % review.reference, "account": review.account},
    )


@login_required
@require_POST
def customer_review_action_add(request, reference):
    review = get_review_for(request.user, reference, write=True)
    form = ActionForm(request.POST, account=review.account)
    if form.is_valid():
        try:
            services.review_action_add(actor=request.user, review=review, **form.cleaned_data)
        except ValidationError as error:
            _error_messages(request, error)
        else:
            messages.success(request, _("Action added."))
    else:
        _form_errors_to_messages(request, form)
    return redirect("customer_review_detail", reference=review.reference)


@login_required
def customer_review_action_edit(request, pk):
    action = get_review_action_for(request.user, pk, write=True)
    review = action.review
    initial = {"title": action.title, "owner": action.owner_id, "due_on": action.due_on}
    form = ActionForm(request.POST or None, initial=initial, account=review.account)
    if request.method == "POST" and form.is_valid():
        try:
            services.review_action_update(actor=request.user, action=action, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("customer_review_detail", reference=review.reference)
    return render(
        request,
        "relationship/review_form.html",
        {"form": form, "title": _("Edit action"), "account": review.account},
    )


@login_required
@require_POST
def customer_review_action_move(request, pk):
    action = get_review_action_for(request.user, pk)
    form = ActionMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid status."))
    else:
        try:
            services.review_action_transition(
                actor=request.user, action=action, target=form.cleaned_data["target"]
            )
        except ValidationError as error:
            _error_messages(request, error)
        else:
            messages.success(request, _("Status changed."))
    return redirect("customer_review_detail", reference=action.review.reference)


@login_required
def customer_review_action_list(request):
    form = ActionFilterForm(request.GET or None, user=request.user)
    filters = form.cleaned_data if form.is_valid() else {}
    today = timezone.localdate()
    actions = queries_customers.actions_for_list(
        request.user,
        account=filters.get("account"),
        status=filters.get("status", ""),
        overdue_on=today if filters.get("overdue") else None,
    )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "customer-review-actions", ACTION_COLUMNS, actions)
    page = paginate(request, actions)
    for action in page.object_list:
        action.overdue = action.is_overdue(today)
    return render(request, "relationship/review_action_list.html", {"form": form, "page": page})
