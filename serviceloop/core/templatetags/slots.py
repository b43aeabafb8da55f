"""``{% slot "name" [part ...] %}``: render every panel registered for the slot (see
``serviceloop.core.slots``) with the current context."""

from django import template
from django.conf import settings
from django.utils.safestring import mark_safe

from serviceloop.core.slots import log, slot_name, slot_panels

register = template.Library()


@register.simple_tag(takes_context=True)
def slot(context, *parts):
    name = slot_name(*parts)
    if not name:
        return ""
    engine = context.template.engine if context.template is not None else None
    html = []
    for panel in slot_panels(name):
        try:
            extra = {}
            if panel.context is not None:
                extra = panel.context(context)
                if extra is None:
                    continue
            if engine is None:
                from django.template.loader import get_template

                chosen = get_template(panel.template).template
            else:
                chosen = engine.get_template(panel.template)
            with context.push(**extra):
                html.append(chosen.render(context))
        except Exception:
            if settings.DEBUG:
                raise
            log.exception("slot %s: the panel %s failed", name, panel.template)
    return mark_safe("".join(html))  # noqa: S308 - rendered templates, escaped by the engine
