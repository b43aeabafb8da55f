"""The shapes the support screens (documents, knowledge, competence) share: a form page that
saves through a service, a small form posted from a detail page, and form or service errors
flashed as messages."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.translation import gettext as _

from serviceloop.core.views.helpers import apply_service_errors


def data_without(data: dict, *names) -> dict:
    """The cleaned data less the fields the service does not take."""
    return {k: v for k, v in data.items() if k not in names}


def flash_service_errors(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def flash_form_errors(request, form) -> None:
    for errors in form.errors.values():
        for message in errors:
            messages.error(request, message)


def form_page_save(
    request, form, *, save, saved, done, title, template="core/form_page.html", context=None
):
    """A new or edit page: a valid POST calls ``save(cleaned_data)`` (a service call; its
    ValidationError lands in the form, nothing is written), flashes ``saved`` (a text, or a
    function of what ``save`` returned) and returns ``done(record)`` (a redirect). Otherwise
    ``template`` renders with the form, the title and ``context``."""
    if request.method == "POST" and form.is_valid():
        try:
            record = save(form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, saved(record) if callable(saved) else saved)
            return done(record)
    return render(request, template, {"form": form, "title": title, **(context or {})})


def posted_form_apply(request, form, *, save, saved, invalid=None) -> None:
    """A small form posted from a detail page (the view redirects back to it): a valid one
    calls ``save(cleaned_data)``; the form's errors (or ``invalid``, when given) and the
    service's are flashed; success flashes ``saved`` (a text, or a function of what ``save``
    returned)."""
    if not form.is_valid():
        if invalid is None:
            flash_form_errors(request, form)
        else:
            messages.error(request, invalid)
        return
    try:
        record = save(form.cleaned_data)
    except ValidationError as error:
        flash_service_errors(request, error)
    else:
        messages.success(request, saved(record) if callable(saved) else saved)


def status_move_apply(request, form, move) -> None:
    """A posted status change: ``move(cleaned_data)`` calls the transition service."""
    posted_form_apply(
        request,
        form,
        save=move,
        saved=_("Status changed."),
        invalid=_("Choose a valid next status."),
    )
