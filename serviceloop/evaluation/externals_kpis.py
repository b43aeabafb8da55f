"""Registered KPI functions of the shipped library that the filter language cannot say:
complaints per 1,000 tickets (two record sets), change success and emergency change ratio
(the transition app's own definitions), policy acknowledgement rate (the support app's), and
record completeness (closed tickets and closed problems together).

Each reuses the owning app's query where it exposes one and computes the value from the
counts unrounded; each is a few aggregate queries whatever the number of records.
"""

from __future__ import annotations

from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.evaluation.sources_kpis import (
    RecordSection,
    complete_flag,
    external_register,
    part_of,
)


def _percent(numerator, denominator):
    return numerator * 100 / denominator if denominator else None


def _organisation_names(keys) -> dict:
    from serviceloop.core.models import Organisation

    return dict(
        Organisation.objects.filter(pk__in=[k for k in keys if k]).values_list("pk", "name")
    )


# --- Complaints per 1,000 tickets ------------------------------------------------------------


def _tickets_created(start, end):
    from serviceloop.desk.models import Ticket

    return Ticket.objects.filter(created_at__gte=start, created_at__lt=end)


def _complaints_breakdown(start, end, by):
    from serviceloop.relationship.models import Complaint

    complaints = dict(
        Complaint.objects.filter(received_at__gte=start, received_at__lt=end)
        .order_by()
        .values_list("organisation")
        .annotate(n=Count("pk"))
    )
    tickets = dict(
        _tickets_created(start, end).order_by().values_list("organisation").annotate(n=Count("pk"))
    )
    names = _organisation_names(set(complaints) | set(tickets))
    rows = []
    for key in set(complaints) | set(tickets):
        n, total = complaints.get(key, 0), tickets.get(key, 0)
        rows.append((key, names.get(key, key), n * 1000 / total if total else None, n, total))
    return rows


def _complaints_records(start, end, slice_, part):
    from serviceloop.relationship.models import Complaint

    organisation = slice_.get("organisation")
    if part == "numerator":
        rows = Complaint.objects.filter(received_at__gte=start, received_at__lt=end)
        label = _("Complaints received")
    else:
        rows, label = _tickets_created(start, end), _("Tickets created")
    if organisation is not None:
        rows = rows.filter(organisation=organisation)
    return [RecordSection(label, rows)]


@external_register(
    "relationship.complaints_per_1000_tickets",
    slices=("organisation",),
    breakdown=_complaints_breakdown,
    records=_complaints_records,
)
def complaints_per_1000(start, end, slice_):
    """Complaints received in the period (any status) per 1,000 tickets created in it."""
    from serviceloop.relationship.queries_complaints import complaint_count

    organisation = slice_.get("organisation")
    complaints = complaint_count(start, end, organisation=organisation)
    tickets = _tickets_created(start, end)
    if organisation is not None:
        tickets = tickets.filter(organisation=organisation)
    total = tickets.count()
    return (complaints * 1000 / total if total else None), complaints, total


# --- Changes -----------------------------------------------------------------------------------


def _changes():
    from serviceloop.transition.models import ChangeRequest

    return ChangeRequest.objects


def _change_success_records(start, end, slice_, part):
    # The sets of transition.queries.change_success_rate (it exposes only the counts).
    from serviceloop.transition.models import ChangeOutcome

    ended = _changes().filter(
        outcome__in=[ChangeOutcome.IMPLEMENTED, ChangeOutcome.FAILED, ChangeOutcome.BACKED_OUT],
        actual_end__gte=start,
        actual_end__lt=end,
    )
    successful = Q(outcome=ChangeOutcome.IMPLEMENTED) & ~Q(review_success=False)
    return [RecordSection(_("Changes implemented"), part_of(part, ended, successful))]


@external_register("transition.change_success_rate", records=_change_success_records)
def change_success(start, end, slice_):
    from serviceloop.transition.queries import change_success_rate

    ratio = change_success_rate(start, end)
    return _percent(ratio.numerator, ratio.denominator), ratio.numerator, ratio.denominator


def _emergency_records(start, end, slice_, part):
    from serviceloop.transition.models import ChangeType

    submitted = _changes().filter(submitted_at__gte=start, submitted_at__lt=end)
    emergency = Q(change_type=ChangeType.EMERGENCY)
    return [RecordSection(_("Changes submitted"), part_of(part, submitted, emergency))]


@external_register("transition.emergency_change_ratio", records=_emergency_records)
def emergency_changes(start, end, slice_):
    from serviceloop.transition.queries import emergency_change_ratio

    ratio = emergency_change_ratio(start, end)
    return _percent(ratio.numerator, ratio.denominator), ratio.numerator, ratio.denominator


# --- Policy acknowledgements ---------------------------------------------------------------------


def _acknowledgement_records(start, end, slice_, part):
    # The sets of support.queries_documents.acknowledgement_rate: campaigns whose deadline
    # (a date) falls in the period; on time = acknowledged by the deadline's date in TIME_ZONE.
    from serviceloop.support.models import Acknowledgement

    first, after = timezone.localdate(start), timezone.localdate(end)
    asked = Acknowledgement.objects.filter(
        campaign__deadline__gte=first, campaign__deadline__lt=after
    ).select_related("campaign", "person")
    day = TruncDate("acknowledged_at", tzinfo=timezone.get_default_timezone())
    on_time = Q(acknowledged_at__isnull=False) & Q(LessThanOrEqual(day, F("campaign__deadline")))
    return [RecordSection(_("Acknowledgements asked"), part_of(part, asked, on_time))]


@external_register("support.acknowledgement_rate", records=_acknowledgement_records)
def acknowledgements(start, end, slice_):
    """On-time acknowledgements per acknowledgement asked, of campaigns whose deadline fell
    in the period (``support.queries_documents.acknowledgement_rate``)."""
    from serviceloop.support.queries_documents import acknowledgement_rate

    rate = acknowledgement_rate(start, end)
    return _percent(rate.on_time, rate.asked), rate.on_time, rate.asked


# --- Record completeness -------------------------------------------------------------------------


def _tickets_closed(start, end, organisation=None):
    from serviceloop.desk.models import Ticket

    rows = Ticket.objects.filter(closed_at__gte=start, closed_at__lt=end)
    return rows if organisation is None else rows.filter(organisation=organisation)


def _problems_closed(start, end):
    from serviceloop.desk.models import Problem

    return Problem.objects.filter(closed_at__gte=start, closed_at__lt=end)


ROOT_CAUSE = ~Q(root_cause="")


def _completeness_breakdown(start, end, by):
    rows = (
        _tickets_closed(start, end)
        .order_by()
        .values_list("organisation")
        .annotate(n=Count("pk"), complete=Count("pk", filter=complete_flag()))
    )
    figures = list(rows)
    names = _organisation_names([key for key, _n, _c in figures])
    return [
        (key, names.get(key, key), _percent(complete, n), complete, n)
        for key, n, complete in figures
    ]


def _completeness_records(start, end, slice_, part):
    organisation = slice_.get("organisation")
    sections = [
        RecordSection(
            _("Tickets closed"),
            part_of(part, _tickets_closed(start, end, organisation), complete_flag()),
        )
    ]
    if organisation is None:
        sections.append(
            RecordSection(
                _("Problems closed"), part_of(part, _problems_closed(start, end), ROOT_CAUSE)
            )
        )
    return sections


@external_register(
    "evaluation.record_completeness",
    slices=("organisation",),
    breakdown=_completeness_breakdown,
    records=_completeness_records,
)
def record_completeness(start, end, slice_):
    """Complete records per record closed in the period: tickets closed (category, service
    and resolution filled in; a major incident also has its post-incident review) and
    problems closed (root cause recorded). By customer: that customer's tickets only
    (problems belong to no customer)."""
    organisation = slice_.get("organisation")
    tickets = _tickets_closed(start, end, organisation).aggregate(
        n=Count("pk"), complete=Count("pk", filter=complete_flag())
    )
    n, complete = tickets["n"], tickets["complete"]
    if organisation is None:
        problems = _problems_closed(start, end).aggregate(
            n=Count("pk"), complete=Count("pk", filter=ROOT_CAUSE)
        )
        n, complete = n + problems["n"], complete + problems["complete"]
    return _percent(complete, n), complete, n
