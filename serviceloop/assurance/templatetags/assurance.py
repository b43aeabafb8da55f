"""Template filters of the assurance screens."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def seconds_duration(seconds) -> str:
    """Whole seconds as days, hours, minutes and seconds ("1 d 2 h 03 min 05 s"), exact."""
    try:
        seconds = int(seconds)
    except (TypeError, ValueError):
        return "—"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return _("%(d)s d %(h)s h %(m)02d min") % {"d": days, "h": hours, "m": minutes}
    if hours:
        return _("%(h)s h %(m)02d min %(s)02d s") % {"h": hours, "m": minutes, "s": secs}
    if minutes:
        return _("%(m)s min %(s)02d s") % {"m": minutes, "s": secs}
    return _("%(s)s s") % {"s": secs}


@register.simple_tag
def met_badge(met) -> str:
    """A target met, missed, or without a target."""
    if met is None:
        return format_html('<span class="badge text-bg-light">{}</span>', _("no target"))
    if met:
        return format_html('<span class="badge text-bg-success">{}</span>', _("met"))
    return format_html('<span class="badge text-bg-danger">{}</span>', _("missed"))


LEVEL_CLASSES = {
    "low": "text-bg-success",
    "medium": "text-bg-warning",
    "high": "text-bg-danger",
    "critical": "text-bg-dark",
}


@register.simple_tag
def level_badge(level, label) -> str:
    return format_html(
        '<span class="badge {}">{}</span>', LEVEL_CLASSES.get(level, "text-bg-light"), label
    )
