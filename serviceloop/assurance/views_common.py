"""What the assurance screens do the same way: read a list's filter form, show a service's
refusal as messages, carry out a small posted form (a lifecycle move, a list of people, a
date) through one service call, the page showing the outcome after the redirect, and a
record's form page (``form_page``)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import render

from serviceloop.assurance.forms import MoveForm
from serviceloop.assurance.permissions import staff_only
from serviceloop.core.views.helpers import apply_service_errors


def list_filters(request, form_class) -> tuple:
    """``(form, filters)`` of a staff list: the filter form bound to the query string, and
    its cleaned values (none when it is empty or invalid). 404 for anyone but staff."""
    staff_only(request.user)
    form = form_class(request.GET or None)
    return form, (form.cleaned_data if form.is_valid() else {})


def messages_from(request, error: ValidationError) -> None:
    """A service's refusal as error messages (each of its texts, translated already)."""
    for message in error.messages:
        messages.error(request, message)


def posted_call(request, form, call, success: str) -> bool:
    """When ``form`` is valid, ``call(cleaned_data)``: its refusal as error messages, else
    ``success`` as a message. An invalid form does nothing. True when the call succeeded."""
    if not form.is_valid():
        return False
    try:
        call(form.cleaned_data)
    except ValidationError as error:
        messages_from(request, error)
        return False
    messages.success(request, success)
    return True


def posted_move(request, transition, success: str) -> bool:
    """The lifecycle move a ``MoveForm`` posts: ``transition(target=, note=,
    expected_version=)`` (the version the page was read at, when it sent one)."""
    return posted_call(
        request,
        MoveForm(request.POST),
        lambda data: transition(
            target=data["target"],
            note=data["note"],
            expected_version=request.POST.get("version") or None,
        ),
        success,
    )


def form_page(request, form, save, *, title, success, done, intro=""):
    """A record's form page (``core/form_page.html``). On a valid POST, ``save(cleaned_data)``
    makes the service call and returns the record: a refusal shows on the form, else the
    message ``success`` (text, or ``success(record)``) and the response ``done(record)``
    (the redirect). Otherwise the page with the form (and its errors)."""
    if request.method == "POST" and form.is_valid():
        try:
            record = save(form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, success(record) if callable(success) else success)
            return done(record)
    context = {"form": form, "title": title}
    if intro:
        context["intro"] = intro
    return render(request, "core/form_page.html", context)
