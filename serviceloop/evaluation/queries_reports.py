"""Named reads of service reports (9.4): the report list, the template list, the versions
of one period. Each list is one query (its relations joined), visible rows only."""

from django.db.models import Count, Max, Q

from serviceloop.evaluation.models import ReportTemplate, ServiceReport


def reports_for_list(user, *, organisation=None, status="", period_kind="", q="", template=None):
    """The reports ``user`` may see, newest period first, filtered."""
    reports = ServiceReport.objects.visible_to(user).select_related(
        "template", "organisation", "service", "requested_by"
    )
    if organisation is not None:
        reports = reports.filter(organisation=organisation)
    if status:
        reports = reports.filter(status=status)
    if period_kind:
        reports = reports.filter(period_kind=period_kind)
    if template is not None:
        reports = reports.filter(template=template)
    if q:
        reports = reports.filter(
            Q(reference__icontains=q)
            | Q(period_label__icontains=q)
            | Q(template__name__icontains=q)
        )
    return reports.order_by("-period_start", "-version", "-pk")


def templates_for_list(user):
    """The templates ``user`` may see, with their report count and latest period."""
    return (
        ReportTemplate.objects.visible_to(user)
        .select_related("organisation", "service")
        .annotate(report_count=Count("reports"), latest_period=Max("reports__period_start"))
        .order_by("name", "pk")
    )


def versions_of(report: ServiceReport, user):
    """Every version of ``report``'s template and period that ``user`` may see, newest first."""
    return (
        ServiceReport.objects.visible_to(user)
        .filter(template_id=report.template_id, period_start=report.period_start)
        .order_by("-version")
    )
