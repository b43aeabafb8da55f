"""Named reads of the gap analysis: lists, the questionnaire, and the results.

Results (documented on the results page too):

- **Group averages.** Answers are grouped by clause group: 4, 5, 6, 7, each of 8.1 … 8.7,
  9 and 10. A group's average maturity is the plain mean of the maturities answered in it;
  "not applicable" and unanswered clauses are left out (they neither raise nor lower it).
  The overall average is the mean over all answered clauses (not the mean of the groups).
- **Ranked gaps.** A gap is an applicable, answered clause below maturity 3 ("defined":
  documented, approved and followed — what a certification audit expects to find). Each gap
  scores ``(5 − maturity) × weight``, where the weight is 1.5 for clauses a certification audit
  checks first and 1 for the rest (see ``planning.questions``). Gaps are listed by score,
  highest first; ties go to the lower maturity, then to clause order.
"""

from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Prefetch, Q
from django.urls import NoReverseMatch, reverse

from serviceloop.conformity.models import Clause, clause_group_number
from serviceloop.planning.models import Assessment, AssessmentAnswer
from serviceloop.planning.questions import question_for, weight_for

GAP_BELOW = 3  # maturity under "defined" is a gap
MAX_MATURITY = 5
TWO_PLACES = Decimal("0.01")


def _mean(values: list[int]) -> Decimal | None:
    if not values:
        return None
    return (Decimal(sum(values)) / Decimal(len(values))).quantize(TWO_PLACES, ROUND_HALF_UP)


def assessments_for_list(user, *, status: str = "", q: str = ""):
    assessments = Assessment.objects.visible_to(user).select_related("assessor")
    if status:
        assessments = assessments.filter(status=status)
    if q:
        assessments = assessments.filter(Q(reference__icontains=q) | Q(title__icontains=q))
    return assessments.annotate(
        answered=Count(
            "answers",
            filter=Q(answers__maturity__isnull=False) | Q(answers__not_applicable=True),
        ),
        answer_count=Count("answers"),
    ).order_by("-assessed_on", "-pk")


def answers_of(assessment: Assessment) -> list[AssessmentAnswer]:
    """The assessment's answers in clause order, with their clause (one query)."""
    return list(
        assessment.answers.select_related("clause", "updated_by")
        .prefetch_related(Prefetch("plan_items"))
        .order_by("clause__position")
    )


@dataclass
class GroupResult:
    number: str
    clause: Clause | None
    average: Decimal | None = None
    answered: int = 0
    not_applicable: int = 0
    unanswered: int = 0
    maturities: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.answered + self.not_applicable + self.unanswered

    @property
    def title(self) -> str:
        return self.clause.title if self.clause else self.number


def group_results(answers: list[AssessmentAnswer]) -> list[GroupResult]:
    """One result per clause group present in ``answers``, in clause order."""
    groups: OrderedDict[str, GroupResult] = OrderedDict()
    for answer in sorted(answers, key=lambda a: a.clause.position):
        number = clause_group_number(answer.clause.number)
        group = groups.setdefault(number, GroupResult(number, None))
        if answer.not_applicable:
            group.not_applicable += 1
        elif answer.maturity is None:
            group.unanswered += 1
        else:
            group.answered += 1
            group.maturities.append(answer.maturity)
    clauses = {c.number: c for c in Clause.objects.filter(number__in=list(groups))}
    for group in groups.values():
        group.clause = clauses.get(group.number)
        group.average = _mean(group.maturities)
    return list(groups.values())


def overall_average(answers: list[AssessmentAnswer]) -> Decimal | None:
    return _mean([a.maturity for a in answers if not a.not_applicable and a.maturity is not None])


@dataclass(frozen=True)
class Gap:
    rank: int
    answer: AssessmentAnswer
    weight: Decimal
    score: Decimal

    @property
    def clause(self) -> Clause:
        return self.answer.clause

    @property
    def maturity(self) -> int:
        return self.answer.maturity


def gap_score(maturity: int, weight: Decimal) -> Decimal:
    return (Decimal(MAX_MATURITY - maturity) * weight).quantize(TWO_PLACES, ROUND_HALF_UP)


def ranked_gaps(answers: list[AssessmentAnswer]) -> list[Gap]:
    """The gaps (applicable answers below maturity 3), highest weighted score first."""
    candidates = [
        a
        for a in answers
        if not a.not_applicable and a.maturity is not None and a.maturity < GAP_BELOW
    ]
    scored = [(gap_score(a.maturity, weight_for(a.clause.number)), a) for a in candidates]
    scored.sort(key=lambda pair: (-pair[0], pair[1].maturity, pair[1].clause.position))
    return [
        Gap(rank, answer, weight_for(answer.clause.number), score)
        for rank, (score, answer) in enumerate(scored, start=1)
    ]


@dataclass(frozen=True)
class Results:
    groups: list[GroupResult]
    overall: Decimal | None
    gaps: list[Gap]
    answered: int
    not_applicable: int
    unanswered: int

    def chart_data(self) -> dict:
        """What the radar and bar charts draw (passed to the page with json_script)."""
        return {
            "groups": [
                {
                    "number": g.number,
                    "title": g.title,
                    "average": float(g.average) if g.average is not None else None,
                }
                for g in self.groups
            ],
            "max": MAX_MATURITY,
            "target": GAP_BELOW,
        }


def assessment_results(answers: list[AssessmentAnswer]) -> Results:
    return Results(
        groups=group_results(answers),
        overall=overall_average(answers),
        gaps=ranked_gaps(answers),
        answered=sum(1 for a in answers if not a.not_applicable and a.maturity is not None),
        not_applicable=sum(1 for a in answers if a.not_applicable),
        unanswered=sum(1 for a in answers if not a.is_answered),
    )


# --- The questionnaire ---------------------------------------------------------------------

RECORD_LINKS = (
    (r"^(INC|REQ)-\d{4}-\d+$", "ticket_detail"),
    (r"^PRB-\d{4}-\d+$", "problem_detail"),
    (r"^KB-\d{4}-\d+$", "knowledge_detail"),
    (r"^GAP-\d{4}-\d+$", "assessment_detail"),
    (r"^PLN-\d{4}-\d+$", "plan_item_detail"),
)


def evidence_link_targets(links: list[str]) -> list[dict]:
    """Each evidence reference with the address it opens, if any: http(s) addresses open
    themselves, ServiceLoop references (INC-…, PRB-…, GAP-…) open their record, other text
    stays text. Nothing else is ever made a link."""
    import re

    targets = []
    for text in links or []:
        href = ""
        if re.match(r"^https?://", text, re.IGNORECASE):
            href = text
        else:
            for pattern, url_name in RECORD_LINKS:
                if re.match(pattern, text):
                    try:
                        href = reverse(url_name, args=[text])
                    except NoReverseMatch:
                        href = ""
                    break
        targets.append({"text": text, "href": href, "external": href.startswith("http")})
    return targets


@dataclass
class QuestionRow:
    answer: AssessmentAnswer
    question: str
    weight: Decimal
    evidence: list
    links: list


@dataclass
class QuestionGroup:
    number: str
    clause: Clause | None
    evidence: list
    rows: list[QuestionRow]


def questionnaire(answers: list[AssessmentAnswer], evidence: dict) -> list[QuestionGroup]:
    """The answers grouped as in the results, each with its question, weight, the live
    evidence registered for its clause, and its evidence links; each group with the evidence
    registered for the group's clause (e.g. 8.2)."""
    groups: OrderedDict[str, QuestionGroup] = OrderedDict()
    for answer in answers:
        number = clause_group_number(answer.clause.number)
        group = groups.setdefault(number, QuestionGroup(number, None, evidence.get(number, []), []))
        question = question_for(answer.clause.number)
        group.rows.append(
            QuestionRow(
                answer=answer,
                question=question.text if question else "",
                weight=weight_for(answer.clause.number),
                evidence=evidence.get(answer.clause.number, [])
                if number != answer.clause.number
                else [],
                links=evidence_link_targets(answer.evidence_links),
            )
        )
    clauses = {c.number: c for c in Clause.objects.filter(number__in=list(groups))}
    for group in groups.values():
        group.clause = clauses.get(group.number)
    return list(groups.values())
