"""Template filters of the knowledge base."""

from django import template
from django.utils.safestring import mark_safe

from serviceloop.core.sanitise import clean_html

register = template.Library()


@register.filter
def sanitised(html: str) -> str:
    """Stored article HTML, cleaned again as it is shown (it was cleaned when stored; this
    keeps a row written some other way from ever reaching the page unsafe)."""
    return mark_safe(clean_html(html or ""))  # noqa: S308 - nh3 leaves only the safe subset
