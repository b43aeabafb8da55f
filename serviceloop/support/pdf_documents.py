"""Controlled PDF copies of document versions (WeasyPrint, Noto CJK fonts for Chinese).

Every page carries a footer with the reference, the version, its status and effective date,
the "uncontrolled when printed" note and "page x of y". A version that is not in force is
marked as such across the top of its first page, so a printed draft is never taken for the
document in force.
"""

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.support.models import DocumentVersion, VersionStatus

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


def version_pdf(version: DocumentVersion) -> bytes:
    """The PDF of one version, in the active language."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: Pango/HarfBuzz libraries missing
        raise PdfUnavailable(str(exc)) from exc
    document = version.document
    history = document.versions.filter(number__lte=version.number).select_related(
        "author", "approved_by"
    )
    html = render_to_string(
        "support/document_pdf.html",
        {
            "document": document,
            "version": version,
            "history": history,
            "in_force": version.status == VersionStatus.EFFECTIVE,
            "page_counter": page_counter_content(),
            "generated_at": timezone.localtime(),
        },
    )
    return HTML(string=html).write_pdf()


def pdf_filename(version: DocumentVersion) -> str:
    return f"{version.document.reference}-v{version.number}.pdf"
