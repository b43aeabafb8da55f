"""The shipped KPI library, as data. ``kpi_library_load()`` creates the definitions that do
not exist yet (by ``code``) and never changes one an organisation has edited: idempotent,
safe to call from a data migration and from ``demo_load``."""

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
        "change out of Resolved or Closed).",
        "aggregate": Aggregate.RATIO_OF_COUNTS,
        "source": "desk.tickets.resolved",
        "numerator_filter": {
            "events__kind": "status",
            "events__from_value__in": ["resolved", "closed"],
            "events__to_value__in": [
                "new",
                "assigned",
                "in_progress",
                "waiting_customer",
                "waiting_supplier",
            ],
        },
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
