"""The planning demo: a completed gap analysis and a half-done plan from its top gaps."""

from django.utils import timezone

from serviceloop.core.demo import demo_load
from serviceloop.core.models import User
from serviceloop.planning import demo, queries_assessments, queries_plan
from serviceloop.planning.models import Assessment, ItemStatus, Milestone, PlanItem


def test_the_demo_is_a_completed_analysis_and_a_half_done_plan_created_once(db):
    demo_load(write=lambda line: None)

    created = demo.demo_records(write=lambda line: None)
    again = demo.demo_records(write=lambda line: None)

    assert created > 0 and again == 0
    [assessment] = Assessment.objects.all()
    assert assessment.status == "completed"
    answers = queries_assessments.answers_of(assessment)
    results = queries_assessments.assessment_results(answers)
    assert results.unanswered == 0 and results.not_applicable == 1
    assert {gap.clause.number for gap in results.gaps[:2]} == {"9.2", "9.3"}  # maturity 0, ×1.5
    items = list(queries_plan.items_for_list(User.objects.get(username="owner")))
    assert len(items) == len(demo.PLAN)
    assert {item.status for item in items} == set(ItemStatus.values)
    assert all(item.source_answer.assessment == assessment for item in items)
    progress = queries_plan.plan_progress(items, timezone.localdate())
    assert 20 < progress.overall.progress < 80
    assert progress.overall.overdue >= 1
    assert (
        PlanItem.objects.get(source_answer__clause__number="5.2.1").depends_on.get().status
        == "done"
    )
    assert Milestone.objects.count() == len(demo.MILESTONES)
    assert Milestone.objects.filter(achieved_on__isnull=False).count() == 1
