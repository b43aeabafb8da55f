"""Background jobs of evaluation: service reports (9.4)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

__all__ = ["service_report_build", "service_reports_due"]


@db_task(retries=1, retry_delay=60)
def service_report_build(report_id: int) -> str:
    """Build one queued report (snapshot, PDF, XLSX) and e-mail it when asked; queued by
    ``report_request`` after its commit. A report that is not queued any more is left as it
    is, so a retried or duplicated job changes nothing. Returns the report's status."""
    from serviceloop.evaluation.build_reports import report_build

    return report_build(report_id).status


@db_periodic_task(crontab(hour="6", minute="15"))
@lock_task("evaluation-service-reports")
def service_reports_due() -> int:
    """Daily: build and e-mail the previous month's or quarter's report of every scheduled
    template whose day of generation has come (once per period; see
    ``build_reports.reports_generate_due``). Returns how many were built."""
    from serviceloop.evaluation.build_reports import reports_generate_due

    return len(reports_generate_due())
