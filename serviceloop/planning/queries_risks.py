"""Named reads of the risk register (clause 6.1): the matrix in force, the list with its
filters, and the heat map (open risks counted per likelihood × impact cell).
"""

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from serviceloop.planning.models import (
    LEVELS,
    Risk,
    RiskLevel,
    RiskMatrixSetting,
    RiskStatus,
)

# Axis labels per matrix size, lowest first.
LIKELIHOOD_LABELS = {
    3: (_("Unlikely"), _("Possible"), _("Likely")),
    4: (_("Rare"), _("Unlikely"), _("Likely"), _("Almost certain")),
    5: (_("Rare"), _("Unlikely"), _("Possible"), _("Likely"), _("Almost certain")),
}
IMPACT_LABELS = {
    3: (_("Minor"), _("Moderate"), _("Major")),
    4: (_("Minor"), _("Moderate"), _("Major"), _("Severe")),
    5: (_("Negligible"), _("Minor"), _("Moderate"), _("Major"), _("Severe")),
}
LEVEL_COLOURS = {
    RiskLevel.LOW: "#198754",
    RiskLevel.MEDIUM: "#ffc107",
    RiskLevel.HIGH: "#fd7e14",
    RiskLevel.CRITICAL: "#dc3545",
}


def matrix_setting() -> RiskMatrixSetting:
    """The matrix in force (the 5×5 default, unsaved, until one is set)."""
    return RiskMatrixSetting.objects.filter(pk=1).first() or RiskMatrixSetting(pk=1)


def rating_choices(size: int, which: str) -> list[tuple[int, str]]:
    labels = (LIKELIHOOD_LABELS if which == "likelihood" else IMPACT_LABELS)[size]
    return [(n, f"{n} · {label}") for n, label in enumerate(labels, start=1)]


def risks_for_list(
    user,
    *,
    matrix: RiskMatrixSetting | None = None,
    kind="",
    status="",
    level="",
    owner=None,
    overdue_on=None,
    likelihood=None,
    impact=None,
    open_only=False,
    q="",
    spof_finding="",
):
    """The register as the user may see it (staff), filtered; ``level`` by the matrix's score
    ranges, ``overdue_on``: open risks whose review date is before that day, ``spof_finding``:
    the id of the single point of failure they were raised for (ignored unless a number)."""
    risks = Risk.objects.visible_to(user).select_related("owner")
    if kind:
        risks = risks.filter(kind=kind)
    if status:
        risks = risks.filter(status=status)
    if open_only:
        risks = risks.open()
    if level in LEVELS:
        low, high = (matrix or matrix_setting()).score_range(level)
        risks = risks.filter(score__gte=low, score__lte=high)
    if owner is not None:
        risks = risks.filter(owner=owner)
    if overdue_on is not None:
        risks = risks.review_overdue(overdue_on)
    if likelihood:
        risks = risks.filter(likelihood=likelihood)
    if impact:
        risks = risks.filter(impact=impact)
    if str(spof_finding).isdigit():
        risks = risks.filter(spof_finding_id=int(spof_finding))
    q = (q or "").strip()
    if q:
        risks = risks.filter(
            Q(title__icontains=q) | Q(reference__iexact=q) | Q(description__icontains=q)
        )
    return risks.order_by("-score", "reference")


def heatmap_data(user, matrix: RiskMatrixSetting, *, kind: str = "") -> dict:
    """The open risks (or opportunities) per cell, with each cell's level, for the chart and
    the table beside it: ``cells`` = [[impact - 1, likelihood - 1, count, level index]]."""
    risks = Risk.objects.visible_to(user).exclude(status=RiskStatus.CLOSED)
    if kind:
        risks = risks.filter(kind=kind)
    counts = {
        (row["likelihood"], row["impact"]): row["n"]
        for row in risks.values("likelihood", "impact").annotate(n=Count("pk"))
    }
    size = matrix.size
    cells, rows, outside = [], [], 0
    for (likelihood, impact), n in counts.items():
        if likelihood > size or impact > size:
            outside += n
    for likelihood in range(size, 0, -1):
        row = []
        for impact in range(1, size + 1):
            level = matrix.level_of(likelihood * impact)
            n = counts.get((likelihood, impact), 0)
            cells.append([impact - 1, likelihood - 1, n, LEVELS.index(level)])
            row.append({"likelihood": likelihood, "impact": impact, "count": n, "level": level})
        rows.append({"likelihood": likelihood, "cells": row})
    return {
        "size": size,
        "likelihood": [str(label) for label in LIKELIHOOD_LABELS[size]],
        "impact": [str(label) for label in IMPACT_LABELS[size]],
        "levels": [str(RiskLevel(level).label) for level in LEVELS],
        "colours": [LEVEL_COLOURS[level] for level in LEVELS],
        "cells": cells,
        "rows": rows,
        "outside": outside,
        "total": sum(counts.values()),
    }


def level_counts(risks, matrix: RiskMatrixSetting) -> dict[str, int]:
    counts = dict.fromkeys(LEVELS, 0)
    for risk in risks:
        counts[matrix.level_of(risk.score)] += 1
    return counts
