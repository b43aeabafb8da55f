"""Gap analysis results: group averages (N/A and unanswered left out) and the weighted
ranking of gaps, checked against an obviously-correct reference and by hand."""

import random
from decimal import Decimal

import pytest

from serviceloop.planning.queries_assessments import (
    answers_of,
    assessment_results,
    gap_score,
)
from serviceloop.planning.questions import questions, weight_for
from serviceloop.planning.services_assessments import answer_update

GROUPS = ["4", "5", "6", "7", "8.1", "8.2", "8.3", "8.4", "8.5", "8.6", "8.7", "9", "10"]


def reference_group(number: str) -> str:
    top, _, rest = number.partition(".")
    return f"8.{rest.split('.')[0]}" if top == "8" else top


def test_every_assessed_clause_has_a_question_in_both_languages(clauses):
    leaves = {n for n, c in clauses.items() if c.is_leaf}
    assert set(questions()) == leaves
    for question in questions().values():
        assert question.text_en.endswith("?") and question.text_zh.endswith("？")
        assert question.weight in (Decimal("1"), Decimal("1.5"))


def test_group_averages_and_the_overall_mean(people, assessment, answer_all):
    answer_all(
        assessment,
        default=3,
        **{"4.1": 1, "4.2": 2, "4.3": "na", "4.4": None, "9.2": 0, "9.3": 0, "8.6.1": 5},
    )

    results = assessment_results(answers_of(assessment))

    by_group = {g.number: g for g in results.groups}
    assert [g.number for g in results.groups] == GROUPS
    # 4: 1 and 2 answered, 4.3 N/A and 4.4 open are left out
    assert by_group["4"].average == Decimal("1.50")
    assert (by_group["4"].answered, by_group["4"].not_applicable, by_group["4"].unanswered) == (
        2,
        1,
        1,
    )
    assert by_group["9"].average == Decimal("1.50")  # 0, 0, 3, 3
    assert by_group["8.6"].average == Decimal("3.67")  # 5, 3, 3 → 3.666…
    assert by_group["8.1"].average == Decimal("3.00") and by_group["8.1"].clause.number == "8.1"
    assert (results.answered, results.not_applicable, results.unanswered) == (55, 1, 1)
    # overall: the mean of the 55 answered maturities, not of the groups
    total = 1 + 2 + 0 + 0 + 5 + 3 * 50
    assert results.overall == (Decimal(total) / 55).quantize(Decimal("0.01"))


def test_results_agree_with_a_reference_on_random_answers(people, assessment):
    rng = random.Random(20261126)
    chosen = {}
    for row in answers_of(assessment):
        value = rng.choice([0, 1, 2, 3, 4, 5, 5, "na", None])
        chosen[row.clause.number] = value
        if value == "na":
            answer_update(actor=people.owner, answer=row, not_applicable=True, justification="n/a")
        elif value is not None:
            answer_update(actor=people.owner, answer=row, maturity=value)

    results = assessment_results(answers_of(assessment))

    for group in results.groups:
        values = [
            v
            for n, v in chosen.items()
            if reference_group(n) == group.number and isinstance(v, int)
        ]
        expected = round(sum(values) / len(values), 2) if values else None
        assert (float(group.average) if group.average is not None else None) == pytest.approx(
            expected
        )
    gaps = sorted(
        ((5 - v) * float(weight_for(n)), v, clause_order, n)
        for clause_order, (n, v) in enumerate(chosen.items())
        if isinstance(v, int) and v < 3
    )
    gaps.sort(key=lambda g: (-g[0], g[1], g[2]))
    assert [g.clause.number for g in results.gaps] == [g[3] for g in gaps]
    assert [g.rank for g in results.gaps] == list(range(1, len(gaps) + 1))


def test_gaps_rank_by_weighted_score_then_maturity_then_clause_order(
    people, assessment, answer_all
):
    answer_all(
        assessment,
        default=3,
        **{
            "4.1": 1,  # weight 1:   (5-1)×1   = 4.00
            "9.2": 2,  # weight 1.5: (5-2)×1.5 = 4.50
            "7.2": 0,  # weight 1:   (5-0)×1   = 5.00
            "4.3": 2,  # weight 1.5: 4.50, same as 9.2 but earlier in clause order
            "6.1": 3,  # not a gap: maturity 3 is the target
            "8.7.2": 2,  # weight 1: 3.00
            "7.3": "na",  # N/A is never a gap
        },
    )

    gaps = assessment_results(answers_of(assessment)).gaps

    assert [(g.clause.number, g.score) for g in gaps] == [
        ("7.2", Decimal("5.00")),
        ("4.3", Decimal("4.50")),
        ("9.2", Decimal("4.50")),
        ("4.1", Decimal("4.00")),
        ("8.7.2", Decimal("3.00")),
    ]
    assert gap_score(0, Decimal("1.5")) == Decimal("7.50")


def test_chart_data_carries_every_group_with_its_average(people, assessment, answer_all):
    answer_all(assessment, default=2)

    data = assessment_results(answers_of(assessment)).chart_data()

    assert data["max"] == 5 and data["target"] == 3
    assert [g["number"] for g in data["groups"]] == GROUPS
    assert {g["average"] for g in data["groups"]} == {2.0}
