"""Change risk: likelihood × impact → risk level, declared as data.

Both scales run 1–3; their product (1, 2, 3, 4, 6 or 9) falls in one band: 1–2 low,
3–4 medium, 6–9 high. So "likely × minor" (3) is medium and "possible × significant" (4)
is medium too, while anything major that is not rare is high.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class Likelihood(models.IntegerChoices):
    RARE = 1, _("Rare")
    POSSIBLE = 2, _("Possible")
    LIKELY = 3, _("Likely")


class ChangeImpact(models.IntegerChoices):
    MINOR = 1, _("Minor")
    SIGNIFICANT = 2, _("Significant")
    MAJOR = 3, _("Major")


# (upper bound of the score, level), in ascending order
RISK_BANDS: tuple[tuple[int, str], ...] = (
    (2, RiskLevel.LOW),
    (4, RiskLevel.MEDIUM),
    (9, RiskLevel.HIGH),
)
RISK_ORDER = {RiskLevel.LOW: 1, RiskLevel.MEDIUM: 2, RiskLevel.HIGH: 3}


def risk_score(likelihood: int, impact: int) -> int:
    return int(likelihood) * int(impact)


def risk_level_for(likelihood: int, impact: int) -> str:
    """The risk level of a likelihood and an impact (each 1–3); ValueError outside them."""
    if likelihood not in Likelihood.values or impact not in ChangeImpact.values:
        raise ValueError("likelihood and impact run from 1 to 3")
    score = risk_score(likelihood, impact)
    for bound, level in RISK_BANDS:
        if score <= bound:
            return level
    raise AssertionError("unreachable: the bands cover every score")


def risk_matrix() -> list[dict]:
    """The whole matrix, row per likelihood (highest first), for the screens and the JS."""
    return [
        {
            "likelihood": likelihood,
            "label": label,
            "cells": [
                {
                    "impact": impact,
                    "level": risk_level_for(likelihood, impact),
                    "level_label": RiskLevel(risk_level_for(likelihood, impact)).label,
                }
                for impact in ChangeImpact.values
            ],
        }
        for likelihood, label in reversed(Likelihood.choices)
    ]
