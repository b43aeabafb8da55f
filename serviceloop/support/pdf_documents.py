"""Controlled PDF copies of document versions (WeasyPrint, Noto CJK fonts for Chinese).

Every page carries a footer with the reference, the version, its status and effective date,
the "uncontrolled when printed" note and "page x of y". A version that is not in force is
marked as such across the top of its first page, so a printed draft is never taken for the
document in force.
"""

from serviceloop.core.pdf import (  # noqa: F401
    PDF_TYPE,
    PdfUnavailable,
    css_string,
    page_counter_content,
    render_pdf,
)
from serviceloop.support.models import DocumentVersion, VersionStatus


def version_pdf(version: DocumentVersion) -> bytes:
    """The PDF of one version, in the active language."""
    document = version.document
    history = document.versions.filter(number__lte=version.number).select_related(
        "author", "approved_by"
    )
    return render_pdf(
        "support/document_pdf.html",
        {
            "document": document,
            "version": version,
            "history": history,
            "in_force": version.status == VersionStatus.EFFECTIVE,
        },
    )


def pdf_filename(version: DocumentVersion) -> str:
    return f"{version.document.reference}-v{version.number}.pdf"
