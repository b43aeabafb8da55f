"""The shipped KPI library, as data. ``kpi_library_load()`` creates the definitions that do
not exist yet (by ``code``) and never changes one an organisation has edited: idempotent,
safe to call from a data migration and from ``demo_load``. It validates nothing: an entry
naming a function another part registers later loads all the same (and evaluates as "not
available" until then)."""

from django.db import transaction

from serviceloop.evaluation.models import Aggregate, Direction, KpiDefinition

TICKET_SLICES = ["organisation", "service", "priority", "team", "kind"]
RESPONDED = {"__or__": [{"response_met_at__isnull": False}, {"response_breached": True}]}
RESOLVED_SLA = {"__or__": [{"resolution_met_at__isnull": False}, {"resolution_breached": True}]}

LIBRARY = [
    {
        "code": "response-within-sla",
        "name_en": "First response within SLA",
        "name_zh": "SLA 内首次响应率",
        "description": "Tickets created in the period whose first-response clock has ended "
        "(met or breached): the share met within the SLA (business time).",
        "aggregate": Aggregate.RATIO_OF_COUNTS,
        "source": "desk.tickets",
        "denominator_filter": RESPONDED,
        "numerator_filter": {"response_breached": False, "response_met_at__isnull": False},
        "unit": "%",
        "target": 95,
        "warning": 90,
    },
    {
        "code": "first-response-median",
        "name_en": "Median first response time",
        "name_zh": "首次响应时间中位数",
        "description": "Wall-clock time from creation to first response, tickets created in "
        "the period (tickets store no elapsed business time).",
        "aggregate": Aggregate.PERCENTILE_DURATION,
        "source": "desk.tickets",
        "denominator_filter": {"first_response_at__isnull": False},
        "start_field": "created_at",
        "end_field": "first_response_at",
        "percentile": 50,
        "unit": "minutes",
        "direction": Direction.LOWER,
        "target": 60,
        "warning": 120,
    },
    {
        "code": "first-response-p90",
        "name_en": "90th percentile first response time",
        "name_zh": "首次响应时间 P90",
        "description": "Wall-clock, as the median.",
        "aggregate": Aggregate.PERCENTILE_DURATION,
        "source": "desk.tickets",
        "denominator_filter": {"first_response_at__isnull": False},
        "start_field": "created_at",
        "end_field": "first_response_at",
        "percentile": 90,
        "unit": "minutes",
        "direction": Direction.LOWER,
        "target": 240,
        "warning": 480,
    },
    {
        "code": "resolution-within-sla",
        "name_en": "Resolution within SLA",
        "name_zh": "SLA 内解决率",
        "description": "Tickets resolved in the period with a resolution target: the share "
        "resolved within it.",
        "aggregate": Aggregate.RATIO_OF_COUNTS,
        "source": "desk.tickets.resolved",
        "denominator_filter": RESOLVED_SLA,
        "numerator_filter": {"resolution_breached": False},
        "unit": "%",
        "target": 90,
        "warning": 85,
    },
    {
        "code": "resolution-rate",
        "name_en": "Resolution rate",
        "name_zh": "工单解决率",
        "description": "Tickets created in the period (not cancelled) that are resolved or closed.",
        "aggregate": Aggregate.RATIO_OF_COUNTS,
        "source": "desk.tickets",
        "denominator_filter": {"status__ne": "cancelled"},
        "numerator_filter": {"resolved_at__isnull": False},
        "unit": "%",
        "target": 90,
        "warning": 80,
    },
    {
        "code": "mean-time-to-resolve",
        "name_en": "Mean time to resolve",
        "name_zh": "平均解决时间",
        "description": "Wall-clock hours from creation to resolution, tickets resolved in "
        "the period.",
        "aggregate": Aggregate.AVG_DURATION,
        "source": "desk.tickets.resolved",
        "start_field": "created_at",
        "end_field": "resolved_at",
        "unit": "hours",
        "direction": Direction.LOWER,
        "target": 24,
        "warning": 48,
    },
    {
        "code": "csat-average",
        "name_en": "Average customer satisfaction",
        "name_zh": "平均客户满意度",
        "description": "Average rating (1–5) of the tickets rated in the period.",
        "aggregate": Aggregate.AVERAGE,
        "source": "desk.tickets.rated",
        "denominator_filter": {"csat_score__isnull": False},
        "value_field": "csat_score",
        "unit": "score",
        "target": 4.5,
        "warning": 4,
    },
    {
        "code": "csat-satisfied",
        "name_en": "Satisfied customers (rating ≥ 4)",
        "name_zh": "客户满意率（≥4 分）",
        "description": "Share of the ratings given in the period that are 4 or 5.",
        "aggregate": Aggregate.RATIO_OF_COUNTS,
        "source": "desk.tickets.rated",
        "denominator_filter": {"csat_score__isnull": False},
        "numerator_filter": {"csat_score__gte": 4},
        "unit": "%",
        "target": 90,
        "warning": 80,
    },
    {
        "code": "positive-rating-rate",
        "name_en": "Positive rating rate",
        "name_zh": "好评率",
        "description": "Of the ratings given in the period that take a side, the positive "
        "ones: ratings 4–5 over ratings 1, 2, 4 and 5 (neutral 3s left out, unlike "
        '"satisfied customers", which counts them as not satisfied).',
        "aggregate": Aggregate.RATIO_OF_COUNTS,
        "source": "desk.tickets.rated",
        "denominator_filter": {"csat_score__in": [1, 2, 4, 5]},
        "numerator_filter": {"csat_score__gte": 4},
        "unit": "%",
        "target": 95,
        "warning": 90,
    },
    {
        "code": "first-contact-resolution",
        "name_en": "First-contact resolution",
        "name_zh": "首次接触解决率",
        "description": "Tickets resolved in the period, never reopened, where the provider "
        "answered the customer at most once up to the resolution (the resolution note "
        "counts as an answer: resolved with the first response, or by the system).",
        "aggregate": Aggregate.RATIO_OF_COUNTS,
        "source": "desk.tickets.resolved",
        "numerator_filter": {"first_contact": True},
        "unit": "%",
        "target": 70,
        "warning": 60,
    },
    {
        "code": "complaints-per-1000",
        "name_en": "Complaints per 1,000 tickets",
        "name_zh": "每千张工单投诉数",
        "description": "Complaints received in the period per 1,000 tickets created in it.",
        "aggregate": Aggregate.EXTERNAL,
        "external": "relationship.complaints_per_1000_tickets",
        "slices": ["organisation"],
        "unit": "per_1000",
        "direction": Direction.LOWER,
        "target": 5,
        "warning": 10,
    },
    {
        "code": "reopen-rate",
        "name_en": "Reopen rate",
        "name_zh": "工单重开率",
        "description": "Tickets resolved in the period that had been reopened (a status "
        "change out of Resolved or Closed back to an open status).",
        "aggregate": Aggregate.RATIO_OF_COUNTS,
        "source": "desk.tickets.resolved",
        "numerator_filter": {"reopened": True},
        "unit": "%",
        "direction": Direction.LOWER,
        "target": 5,
        "warning": 10,
    },
    {
        "code": "change-success-rate",
        "name_en": "Change success rate",
        "name_zh": "变更成功率",
        "aggregate": Aggregate.EXTERNAL,
        "external": "transition.change_success_rate",
        "slices": [],
        "unit": "%",
        "target": 95,
        "warning": 90,
    },
    {
        "code": "emergency-change-ratio",
        "name_en": "Emergency change ratio",
        "name_zh": "紧急变更占比",
        "aggregate": Aggregate.EXTERNAL,
        "external": "transition.emergency_change_ratio",
        "slices": [],
        "unit": "%",
        "direction": Direction.LOWER,
        "target": 10,
        "warning": 20,
    },
    {
        "code": "policy-acknowledgement-rate",
        "name_en": "Policy acknowledgement rate",
        "name_zh": "制度签阅率",
        "description": "Acknowledgements given by the deadline, of campaigns whose deadline "
        "fell in the period.",
        "aggregate": Aggregate.EXTERNAL,
        "external": "support.acknowledgement_rate",
        "slices": [],
        "unit": "%",
        "target": 95,
        "warning": 85,
    },
    {
        "code": "availability-pct",
        "name_en": "Service availability",
        "name_zh": "服务可用率",
        "description": "Uptime over agreed service time of the live services, from the "
        "recorded outages and each service's service hours (announced planned maintenance "
        "excluded), as the availability report computes it. By customer: the services it is "
        "entitled to and the outages that affected it.",
        "aggregate": Aggregate.AVAILABILITY_PCT,
        "source": "assurance.outages",
        "slices": ["organisation", "service"],
        "unit": "%",
        "target": 99.5,
        "warning": 99,
    },
    {
        "code": "record-completeness",
        "name_en": "Record completeness",
        "name_zh": "记录完整率",
        "description": "Complete records among those closed in the period: tickets with "
        "category, service and resolution (and a post-incident review for a major incident), "
        "problems with their root cause. By customer: its tickets only.",
        "aggregate": Aggregate.EXTERNAL,
        "external": "evaluation.record_completeness",
        "slices": ["organisation"],
        "unit": "%",
        "target": 98,
        "warning": 95,
    },
    {
        "code": "audit-findings-closed-on-time",
        "name_en": "Audit findings closed on time",
        "name_zh": "审核发现按期关闭率",
        "description": "Computed by the internal audit part from the audit findings.",
        "aggregate": Aggregate.EXTERNAL,
        "external": "evaluation.audit_findings_closed_on_time",
        "slices": [],
        "unit": "%",
        "target": 90,
        "warning": 80,
    },
    {
        "code": "corrective-actions-effective",
        "name_en": "Corrective actions effective",
        "name_zh": "纠正措施有效率",
        "description": "Computed by the improvement part from the verified corrective actions.",
        "aggregate": Aggregate.EXTERNAL,
        "external": "improvement.corrective_actions_effective",
        "slices": [],
        "unit": "%",
        "target": 90,
        "warning": 80,
    },
]


def kpi_library_load(model=None) -> int:
    """Create the shipped KPIs missing by code; returns how many were created. A data
    migration passes its historical model: ``kpi_library_load(apps.get_model("evaluation",
    "KpiDefinition"))``."""
    model = model or KpiDefinition
    created = 0
    with transaction.atomic():
        for entry in LIBRARY:
            data = {"slices": TICKET_SLICES, **entry}
            code = data.pop("code")
            _definition, new = model.objects.get_or_create(code=code, defaults=data)
            created += new
    return created


def kpi_library_migrate(apps, schema_editor) -> None:
    """The body of a data migration (``RunPython(kpi_library_migrate, RunPython.noop)``):
    add the shipped KPIs an existing database lacks, with the migration's historical model."""
    kpi_library_load(apps.get_model("evaluation", "KpiDefinition"))
