"""The shapes every supplier screen shares: a filtered list with its CSV/XLSX export, a
new/edit form page, and a small form posted from a detail page. The views in
``views_suppliers`` and ``views_suppliers_records`` pass their form, query and service."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.translation import gettext as _

from serviceloop.core.exports import export_format, export_response
from serviceloop.core.views.helpers import apply_service_errors, paginate
from serviceloop.relationship.permissions_suppliers import staff_only, supplier_role


def flash_errors(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def flash_form_errors(request, form) -> None:
    for errors in form.errors.values():
        for message in errors:
            messages.error(request, message)


def form_page(request, form, title, cancel_url):
    return render(
        request,
        "relationship/supplier_form.html",
        {"form": form, "title": title, "cancel_url": cancel_url},
    )


def changed_fields(form) -> dict:
    """The cleaned values of the fields the user changed (an edit passes only those on)."""
    return {k: v for k, v in form.cleaned_data.items() if k in form.changed_data}


def filtered_list_page(
    request, filter_form_class, rows_for, *, export_name, columns, template, context=None
):
    """A staff-only list: ``rows_for(filters)`` gives the rows for the filter form's valid
    values; ``?format=csv|xlsx`` exports them with ``columns``, otherwise one page of them
    renders with the form, ``can_write`` and ``context``."""
    staff_only(request.user)
    form = filter_form_class(request.GET or None)
    rows = rows_for(form.cleaned_data if form.is_valid() else {})
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, export_name, columns, rows)
    page_context = {
        "form": form,
        "page": paginate(request, rows),
        "can_write": supplier_role(request.user) is not None,
        **(context or {}),
    }
    return render(request, template, page_context)


def record_form_page(request, form, *, save, saved, done, title, cancel_url):
    """A new or edit page: a valid POST calls ``save(cleaned_data)`` (a service call; its
    ValidationError lands in the form and nothing is written), then flashes ``saved`` (a
    text, or a function of the saved record) and returns ``done(record)`` (a redirect)."""
    if request.method == "POST" and form.is_valid():
        try:
            record = save(form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, saved(record) if callable(saved) else saved)
            return done(record)
    return form_page(request, form, title, cancel_url)


def posted_form_apply(request, form, *, save, saved, invalid=None) -> None:
    """A small form posted from a detail page (which the view redirects back to): a valid
    one calls ``save(cleaned_data)``; the form's errors (or ``invalid``, when given) and
    the service's are flashed, success flashes ``saved``."""
    if not form.is_valid():
        if invalid is None:
            flash_form_errors(request, form)
        else:
            messages.error(request, invalid)
        return
    try:
        save(form.cleaned_data)
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, saved)


def status_move_apply(request, form, move) -> None:
    """A posted status change (``move(cleaned_data)`` calls the transition service)."""
    posted_form_apply(
        request,
        form,
        save=move,
        saved=_("Status changed."),
        invalid=_("Choose a valid next status."),
    )
