"""The gap-analysis questions: ServiceLoop's own wording (``data/gap-questions.csv``, columns
``clause,weight,question_en,question_zh``), one per leaf clause of clauses 4–10, and the
weight each clause carries in the ranking of gaps.

Weights: 1.5 for the clauses a certification audit checks first and where a missing element
usually stops certification (scope, policy, risks, objectives, SLAs, change control, incidents,
internal audit, management review, corrective action); 1 for the others.
"""

import csv
import functools
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.utils import translation

QUESTIONS_CSV = Path(__file__).resolve().parent / "data" / "gap-questions.csv"
DEFAULT_WEIGHT = Decimal("1")


@dataclass(frozen=True)
class Question:
    clause: str
    weight: Decimal
    text_en: str
    text_zh: str

    @property
    def text(self) -> str:
        chinese = (translation.get_language() or "").lower().startswith("zh")
        return self.text_zh if chinese and self.text_zh else self.text_en


@functools.cache
def questions() -> dict[str, Question]:
    """``{clause number: Question}``, read once per process."""
    with QUESTIONS_CSV.open(encoding="utf-8-sig", newline="") as handle:
        return {
            row["clause"].strip(): Question(
                row["clause"].strip(),
                Decimal(row["weight"].strip() or "1"),
                row["question_en"].strip(),
                row["question_zh"].strip(),
            )
            for row in csv.DictReader(handle)
        }


def question_for(number: str) -> Question | None:
    return questions().get(number)


def weight_for(number: str) -> Decimal:
    question = questions().get(number)
    return question.weight if question else DEFAULT_WEIGHT
