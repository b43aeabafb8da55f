"""The management review as a PDF, in the review's language (zh-hans or en, chosen when the
pack was generated): the input pack before the meeting; from the meeting on, the same pack
with the decisions and actions recorded on each input and the conclusions (the minutes)."""

from django.utils import translation

from serviceloop.core.pdf import PDF_TYPE, PdfUnavailable, render_pdf
from serviceloop.evaluation.models import ManagementReview, ReviewStatus
from serviceloop.evaluation.queries_reviews import review_sections

__all__ = ["PDF_TYPE", "PdfUnavailable", "review_pdf", "review_pdf_filename"]


def is_minutes(review: ManagementReview) -> bool:
    return review.status in (
        ReviewStatus.IN_MEETING,
        ReviewStatus.MINUTES_DRAFT,
        ReviewStatus.APPROVED,
    )


def review_pdf_filename(review: ManagementReview) -> str:
    return f"{review.reference}-{'minutes' if is_minutes(review) else 'pack'}.pdf"


def review_pdf(review: ManagementReview) -> bytes:
    """The PDF bytes (PdfUnavailable without WeasyPrint)."""
    with translation.override(review.language):
        context = {
            "review": review,
            "sections": review_sections(review),
            "attendees": list(review.attendees.order_by("display_name", "username")),
            "minutes": is_minutes(review),
            "approved": review.status == ReviewStatus.APPROVED,
        }
        return render_pdf("evaluation/pdf/review_pack.html", context)
