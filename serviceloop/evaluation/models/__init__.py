"""Models of evaluation: KPI definitions (a formula over recorded work, never a typed-in
figure) and the values stored for past periods (snapshots)."""

from serviceloop.evaluation.models.kpis import *  # noqa: F403
