"""Who may read and change service reports (9.4), used by views and API alike.

- Provider staff read report templates and reports; report managers (MANAGE_SYSTEM or
  LEAD) create and edit templates, queue a generation and send a report; other staff asking
  to write get 403.
- A customer manager (ORG_WIDE) reads the generated reports of his own organisation (list,
  page, PDF and XLSX); templates, queued and failed reports, other organisations' reports
  and everything for customer users without ORG_WIDE do not exist for them (404).
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from serviceloop.core.permissions import user_can
from serviceloop.core.roles import Capability
from serviceloop.evaluation.models import ReportTemplate, ServiceReport


def is_staff(user) -> bool:
    return user_can(user, Capability.STAFF)


def can_manage_reports(user) -> bool:
    """May create and edit templates, queue a generation, send a report."""
    return is_staff(user) and (
        user_can(user, Capability.MANAGE_SYSTEM) or user_can(user, Capability.LEAD)
    )


def may_read_reports(user) -> bool:
    return is_staff(user) or user_can(user, Capability.ORG_WIDE)


def require_reader(user) -> None:
    if not may_read_reports(user):
        raise Http404


def require_manager(user) -> None:
    """404 to non-staff (the screens do not exist for them), 403 to other staff."""
    if not is_staff(user):
        raise Http404
    if not can_manage_reports(user):
        raise PermissionDenied


def get_template_for(user, pk, *, write: bool = False) -> ReportTemplate:
    if not is_staff(user):
        raise Http404
    try:
        template = (
            ReportTemplate.objects.visible_to(user)
            .select_related("organisation", "service")
            .get(pk=pk)
        )
    except (ReportTemplate.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if write and not can_manage_reports(user):
        raise PermissionDenied
    return template


def get_report_for(user, reference: str, *, write: bool = False) -> ServiceReport:
    try:
        report = (
            ServiceReport.objects.visible_to(user)
            .select_related("template", "organisation", "service", "requested_by")
            .get(reference=reference)
        )
    except (ServiceReport.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if write and not can_manage_reports(user):
        raise PermissionDenied
    return report
