"""Models of demand: capacity plans and measurements (8.4.3), demand records (8.4.2),
budgets and cost lines (8.4.1)."""

from serviceloop.demand.models.budgets import Budget, CostCategory, CostLine, CostSource
from serviceloop.demand.models.capacity import (
    ActionStatus,
    AlertAction,
    AlertTrigger,
    CapacityAction,
    CapacityAlert,
    CapacityPlan,
    Direction,
    Measurement,
    MeasurementSource,
)
from serviceloop.demand.models.demand import DemandRecord
from serviceloop.demand.periods import PeriodKind

__all__ = [
    "ActionStatus",
    "AlertAction",
    "AlertTrigger",
    "Budget",
    "CapacityAction",
    "CapacityAlert",
    "CapacityPlan",
    "CostCategory",
    "CostLine",
    "CostSource",
    "DemandRecord",
    "Direction",
    "Measurement",
    "MeasurementSource",
    "PeriodKind",
]
