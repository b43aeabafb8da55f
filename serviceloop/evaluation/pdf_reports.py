"""A service report as a PDF, drawn from its data snapshot only (``present_reports``), in the
report's language (zh-hans or en): ``core.pdf.render_pdf`` (WeasyPrint, Noto Sans CJK for
Chinese), its charts inline SVG (``core.svg_charts``)."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation

from serviceloop.core.pdf import (  # noqa: F401 (re-exported: views catch it)
    PDF_TYPE,
    PdfUnavailable,
    page_counter_content,
    render_pdf,
)
from serviceloop.evaluation.present_reports import report_sections_view, scope_text

PDF_TEMPLATE = "evaluation/pdf/report_service.html"

__all__ = [
    "PDF_TYPE",
    "PdfUnavailable",
    "report_document_context",
    "report_document_html",
    "report_pdf",
]


def report_document_context(report) -> dict:
    """The PDF template's context (call inside ``translation.override(report.language)``)."""
    snapshot = report.snapshot
    return {
        "report": report,
        "snapshot": snapshot,
        "period": snapshot.get("period", {}),
        "scope": scope_text(snapshot),
        "sections": report_sections_view(snapshot, charts=True),
    }


def report_document_html(report) -> str:
    """The HTML the PDF is printed from (what ``render_pdf`` renders)."""
    from django.utils import timezone

    with translation.override(report.language):
        return render_to_string(
            PDF_TEMPLATE,
            {
                "generated_at": timezone.localtime(),
                "page_counter": page_counter_content(),
                **report_document_context(report),
            },
        )


def report_pdf(report) -> bytes:
    """The PDF bytes of ``report`` (its snapshot set); PdfUnavailable without WeasyPrint."""
    with translation.override(report.language):
        return render_pdf(PDF_TEMPLATE, report_document_context(report))
