"""Demo records of evaluation: service reports (9.4): a monthly report template for the demo
customer 华东物流 East China Logistics (in Chinese, every section, e-mailed to its contacts on
the 3rd of each month) and the report of the last complete month, generated (not sent).
Idempotent: the template is found by name, the report by its period."""

from django.utils import timezone

from serviceloop.core.models import Organisation, User
from serviceloop.evaluation.build_reports import report_build
from serviceloop.evaluation.figures_reports import previous_report_period, zone_of
from serviceloop.evaluation.library import kpi_library_load
from serviceloop.evaluation.models import ReportTemplate, ServiceReport
from serviceloop.evaluation.services_reports import report_create, template_create

CUSTOMER = "华东物流 East China Logistics"
NAME = "华东物流月度服务报告 ECL monthly service report"
COMMENTARY = (
    "本月服务总体平稳。VPN 连接问题已纳入问题管理，预计下月完成根因整改。\n"
    "Service was stable overall this month; the recurring VPN trouble is being handled as a "
    "problem, with the fix expected next month."
)


def demo_records(write=print) -> int:
    organisation = Organisation.objects.filter(name=CUSTOMER).first()
    owner = User.objects.filter(username="owner").first()
    if organisation is None or owner is None:
        return 0
    kpi_library_load()
    created = 0
    template = ReportTemplate.objects.filter(name=NAME).first()
    if template is None:
        template = template_create(
            actor=owner,
            name=NAME,
            organisation=organisation,
            period="month",
            language="zh-hans",
            send_to_contacts=True,
            schedule_enabled=True,
            generation_day=3,
            commentary=COMMENTARY,
        )
        created += 1
        write(f"report template {template.name}")
    zone = zone_of(organisation)
    period = previous_report_period(template.period, timezone.now().astimezone(zone).date(), zone)
    if not ServiceReport.objects.filter(template=template, period_start=period.start).exists():
        report = report_create(
            actor=owner, template=template, period=period, commentary=template.commentary,
            send=False,
        )  # fmt: skip
        report = report_build(report.pk)
        created += 1
        write(f"service report {report.reference} {report.period_label} ({report.status})")
    return created
