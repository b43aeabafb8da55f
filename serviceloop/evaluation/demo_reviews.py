"""Demo management reviews: one held about a month ago (pack generated in Chinese, decisions
and actions on several inputs, minutes approved by the chair, some actions done, one
cancelled, the others open, one of them overdue), and the next one planned, covering the
time since. Idempotent: found by title."""

import datetime

from django.db import transaction
from django.utils import timezone

from serviceloop.core.models import User
from serviceloop.evaluation.models import InputCode, ManagementReview, ReviewInput
from serviceloop.evaluation.services_actions_reviews import review_action_transition
from serviceloop.evaluation.services_reviews import (
    review_action_add,
    review_create,
    review_decision_record,
    review_input_enter,
    review_minutes_update,
    review_pack_generate,
    review_transition,
)

PAST_TITLE = "2026 上半年管理评审 Management review H1"
NEXT_TITLE = "2026 下半年管理评审 Management review H2"

MARKET = (
    "客户对 7×24 远程支持的需求增加；两家竞争对手推出按需计费的桌面服务。"
    "《数据安全法》配套的行业指引发布，需复核数据分类和备份保留期。"
)
# (input, decision, [(action, owner, due in days from the meeting, closed as, note)])
DECISIONS = (
    (InputCode.KPIS, "首次响应 SLA 达成率低于 95% 的目标：服务台排班增加午间值守。",
     [("调整服务台排班，12:00–13:30 至少两人在岗", "lead", 14, "done",
       "新排班自下月 1 日起执行，午间响应时间恢复正常。"),
      ("每周复核首次响应 SLA 趋势，连续两周低于目标时上报", "lead", 60, "", "")]),
    (InputCode.CUSTOMER_FEEDBACK, "客户满意度总体稳定；针对投诉集中的打印服务进行专项改进。",
     [("分析近三个月打印相关投诉和工单，提出改进方案", "owner", 21, "done",
       "方案已提交：统一驱动版本并建立知识库文章。"),
      ("与华东物流召开服务回顾会，确认改进效果", "admin", 20, "", "")]),
    (InputCode.RISKS, "机房 UPS 老化风险需在本财年内处置，预算优先保障。",
     [("完成 UPS 电池组更换的采购申请", "admin", 30, "", "")]),
    (InputCode.MARKET, "评估按需计费的桌面服务方案，下次管理评审汇报。",
     [("调研按需计费模式并测算成本", "owner", 45, "cancelled",
       "并入年度服务目录评审，不单独跟踪。")]),
)  # fmt: skip
CONCLUSIONS = (
    "服务管理体系总体适宜、充分、有效。首次响应 SLA 需改进；客户满意度稳定。"
    "资源：批准服务台午间值守和 UPS 更换预算。"
)


def _users() -> dict:
    wanted = ["owner", "ceo", "admin", "lead", "auditor"]
    return {u.username: u for u in User.objects.filter(username__in=wanted, is_active=True)}


def _past_review(people: dict, today: datetime.date) -> ManagementReview:
    owner, ceo = people["owner"], people["ceo"]
    held = today - datetime.timedelta(days=30)
    at = timezone.make_aware(datetime.datetime.combine(held, datetime.time(9, 30)))
    review = review_create(
        actor=owner,
        title=PAST_TITLE,
        period_start=held - datetime.timedelta(days=181),
        period_end=held - datetime.timedelta(days=1),
        scheduled_on=held,
        chair=ceo,
        attendees=[p for name, p in people.items() if name != "ceo"],
        location="总部 3 楼会议室",
        now=at,
    )
    market = ReviewInput.objects.get(review=review, code=InputCode.MARKET)
    review_input_enter(actor=owner, review_input=market, text=MARKET)
    review = review_pack_generate(actor=owner, review=review, language="zh-hans", now=at)
    review = review_transition(actor=ceo, review=review, target="in_meeting", now=at)
    closing = []
    for code, text, actions in DECISIONS:
        review_input = ReviewInput.objects.get(review=review, code=code)
        decision = review_decision_record(actor=ceo, review_input=review_input, text=text, now=at)
        for description, who, days, closed_as, note in actions:
            action = review_action_add(
                actor=ceo,
                review_input=review_input,
                decision=decision,
                description=description,
                owner=people.get(who, owner),
                due_on=held + datetime.timedelta(days=days),
                now=at,
            )
            if closed_as:
                closing.append((action, closed_as, note, days))
    review = review_minutes_update(actor=ceo, review=review, summary=CONCLUSIONS)
    review = review_transition(actor=ceo, review=review, target="minutes_draft", now=at)
    review = review_transition(actor=ceo, review=review, target="approved", now=at)
    for action, closed_as, note, days in closing:
        when = at + datetime.timedelta(days=min(days, 25))
        actor = action.owner if closed_as == "done" else ceo
        review_action_transition(actor=actor, action=action, target=closed_as, note=note, now=when)
    return review


def demo_records(write=print) -> int:
    people = _users()
    if "owner" not in people or "ceo" not in people:
        return 0
    today = timezone.localdate()
    created = 0
    existing = set(ManagementReview.objects.values_list("title", flat=True))
    with transaction.atomic():
        if PAST_TITLE not in existing:
            past = _past_review(people, today)
            created += 1
        else:
            past = ManagementReview.objects.get(title=PAST_TITLE)
        if NEXT_TITLE not in existing:
            review_create(
                actor=people["owner"],
                title=NEXT_TITLE,
                period_start=past.period_end + datetime.timedelta(days=1),
                period_end=today + datetime.timedelta(days=60),
                scheduled_on=today + datetime.timedelta(days=70),
                chair=people["ceo"],
                attendees=[p for name, p in people.items() if name != "ceo"],
                location="总部 3 楼会议室",
            )
            created += 1
    if created:
        write(f"{created} management reviews")
    return created
