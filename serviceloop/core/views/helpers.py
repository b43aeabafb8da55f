"""Small pieces shared by the core views."""

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator


def apply_service_errors(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form that collected the input."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


def paginate(request, queryset, per_page: int = 50):
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))
