"""PDF rendering shared by every app (WeasyPrint, Noto CJK fonts for Chinese).

``render_pdf(template, context)`` renders a Django template to PDF bytes, adding
``generated_at`` (local time) and ``page_counter`` (the CSS ``content`` of "page x of y" in
the active language) to the context. Templates set ``font-family: "Noto Sans CJK SC"`` on the
body *and* on every ``@page`` margin box (margin boxes do not inherit the body font).
``PdfUnavailable`` is raised when WeasyPrint or its system libraries are missing; views turn
it into a clear message instead of a 500.
"""

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

PDF_TYPE = "application/pdf"


class PdfUnavailable(RuntimeError):
    """WeasyPrint (or its system libraries) is not installed."""


def css_string(text: str) -> str:
    """``text`` as a CSS string literal (for ``content:`` of a page margin box)."""
    escaped = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", " ")
        .replace("<", "\\3c ")  # never "</style>" inside the style element
    )
    return f'"{escaped}"'


def page_counter_content() -> str:
    """The CSS ``content`` value of "page x of y" in the active language."""
    text = _("Page %(page)s of %(pages)s")
    parts = []
    rest = text
    while rest:
        positions = [
            (rest.find(token), token, counter)
            for token, counter in (("%(page)s", "counter(page)"), ("%(pages)s", "counter(pages)"))
            if token in rest
        ]
        if not positions:
            parts.append(css_string(rest))
            break
        index, token, counter = min(positions)
        if index:
            parts.append(css_string(rest[:index]))
        parts.append(counter)
        rest = rest[index + len(token) :]
    return " ".join(parts)


def html_to_pdf(html: str) -> bytes:
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: Pango/HarfBuzz libraries missing
        raise PdfUnavailable(str(exc)) from exc
    return HTML(string=html).write_pdf()


def render_pdf(template: str, context: dict) -> bytes:
    """The PDF of ``template`` rendered with ``context`` in the active language."""
    html = render_to_string(
        template,
        {
            "generated_at": timezone.localtime(),
            "page_counter": page_counter_content(),
            **context,
        },
    )
    return html_to_pdf(html)
