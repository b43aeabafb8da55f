"""Template filters of the service desk."""

from django import template

from serviceloop.desk.lifecycle import Status

register = template.Library()


@register.filter
def status_label(value: str) -> str:
    """A status code from the history (``in_progress``) as the user reads it."""
    try:
        return Status(value).label
    except ValueError:
        return value


@register.filter
def business_duration(seconds) -> str:
    """Business seconds as hours and minutes ("2 h 05 min"), for SLA figures."""
    from django.utils.translation import gettext as _

    try:
        minutes = int(seconds) // 60
    except (TypeError, ValueError):
        return ""
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("%(h)s h %(m)02d min") % {"h": hours, "m": minutes}
    return _("%(m)s min") % {"m": minutes}
