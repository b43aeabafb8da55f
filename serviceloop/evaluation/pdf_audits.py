"""The audit report as PDF (WeasyPrint, Noto CJK fonts for Chinese), in the active language:
the plan (scope, criteria, dates, team with each auditor's qualification), the lines audited,
the summary of results and findings, the conclusion, every finding with its clauses and
action, and the checklist with the answers and the evidence behind them."""

from serviceloop.core.pdf import PDF_TYPE, PdfUnavailable, render_pdf  # noqa: F401
from serviceloop.evaluation.auditors_audits import qualification_of, qualification_rule
from serviceloop.evaluation.models import Audit, AuditStatus, FindingKind
from serviceloop.evaluation.queries_audits import audit_lines, result_counts


def report_context(audit: Audit) -> dict:
    rule = qualification_rule()
    team = [audit.lead_auditor, *audit.auditors.order_by("username")]
    findings = list(
        audit.findings.select_related("owner", "checklist_item__clause")
        .prefetch_related("clauses")
        .order_by("reference")
    )
    counts = dict.fromkeys(FindingKind.values, 0)
    for finding in findings:
        counts[finding.kind] += 1
    checklist = list(audit.checklist.select_related("clause", "checked_by"))
    return {
        "audit": audit,
        "programme": audit.programme,
        "lines": audit_lines(audit),
        "team": [
            {
                "person": person,
                "is_lead": person.pk == audit.lead_auditor_id,
                "qualification": qualification_of(person, audit.planned_start, rule=rule),
            }
            for person in team
        ],
        "rule": rule,
        "findings": findings,
        "finding_counts": [(FindingKind(kind).label, n) for kind, n in counts.items()],
        "checklist": checklist,
        "results": result_counts(audit),
        "is_draft": audit.status not in (AuditStatus.REPORTED, AuditStatus.CLOSED),
    }


def audit_report_pdf(audit: Audit) -> bytes:
    """The report of ``audit`` as PDF bytes; raises PdfUnavailable without WeasyPrint."""
    return render_pdf("evaluation/pdf/audit_report.html", report_context(audit))


def pdf_filename(audit: Audit) -> str:
    return f"{audit.reference}-report.pdf"
