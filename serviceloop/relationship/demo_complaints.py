"""Demo records of the complaints part: eight complaints of the two demo customers, in every
state of the lifecycle (one reopened, one closed without the customer's acceptance, one
that missed its response target), lodged and worked through the services with the clock
set back. Idempotent: nothing is added once a complaint exists."""

import datetime

from django.db import transaction
from django.utils import timezone

from serviceloop.core.models import Organisation, User
from serviceloop.portfolio.models import Service
from serviceloop.relationship.models import Complaint
from serviceloop.relationship.services_complaints import complaint_create, complaint_note_add
from serviceloop.relationship.services_complaints_alerts import complaint_response_alerts_run
from serviceloop.relationship.services_complaints_lifecycle import (
    complaint_acceptance_record,
    complaint_transition,
)

# (days ago, lodged by, channel, severity, subject, description, moves)
# A move: (hours after receipt, actor, target, text). Texts: the response, or a reason.
STORIES = (
    (0.2, "ecl.user", "portal", "high", "夜间仓库系统无人响应 Nobody answered at night",
     "周六夜间 WMS 故障，热线 40 分钟无人接听。The WMS failed on Saturday night and the hotline "
     "did not answer for 40 minutes.", ()),
    (1, "mdu.manager", "phone", "medium", "工程师未按约到场 Engineer did not turn up",
     "约好周二上午到场的工程师没有来，也没有通知。The engineer booked for Tuesday morning "
     "never came and nobody told us.", ((2, "agent", "acknowledged", ""),)),
    (3, "ecl.manager", "email", "high", "月报数据错误 Wrong figures in the monthly report",
     "10 月服务报告的可用性数据与我们的监控不符。The availability in October's service report "
     "does not match our monitoring.", ((1, "agent", "acknowledged", ""),
                                        (3, "lead", "investigating", ""))),
    (6, "mdu.user", "portal", "low", "邮件回复语气生硬 Curt e-mail replies",
     "服务台回复过于简短，没有解释。The desk's replies are curt and explain nothing.",
     ((4, "agent", "investigating", ""),
      (20, "agent", "responded", "已与团队沟通回复规范，并附上解释模板。We have agreed reply "
       "standards with the team and added explanation templates."))),
    (10, "ecl.user", "portal", "medium", "密码重置等待太久 Password reset took too long",
     "一次密码重置等了两天。A password reset took two days.",
     ((2, "agent", "acknowledged", ""),
      (8, "agent", "responded", "审批节点已简化，现在 2 小时内完成。The approval step is "
       "simplified; resets now take under two hours."),
      ("accept", "ecl.user", True, "好的，谢谢。Fine, thanks."))),
    (20, "mdu.manager", "meeting", "high", "变更未提前通知 Change not announced",
     "核心交换机升级未提前通知学校。The core switch upgrade was not announced to the university.",
     ((1, "lead", "investigating", ""),
      (30, "lead", "responded", "今后所有影响校园网的变更提前 5 个工作日通知。Every change "
       "touching the campus network is now announced five working days ahead."),
      ("accept", "mdu.manager", True, "同意。Agreed."), (60, "lead", "closed", ""))),
    (35, "ecl.manager", "email", "medium", "发票重复 Invoice sent twice",
     "9 月发票重复发送并重复扣款。September's invoice was sent and charged twice.",
     ((3, "agent", "investigating", ""),
      (50, "agent", "responded", "已退还重复扣款。The double charge is refunded."),
      ("accept", "agent", False, "客户认为退款太慢，但接受处理结果。The customer finds the "
       "refund slow but takes the outcome."), (80, "lead", "closed", ""))),
    (15, "mdu.user", "portal", "medium", "打印服务反复中断 Printing keeps failing",
     "图书馆打印服务一周内中断三次。Library printing failed three times in a week.",
     ((2, "agent", "investigating", ""),
      (30, "agent", "responded", "已更换打印服务器。The print server is replaced."),
      (40, "mdu.user", "investigating", "周一又中断了。It failed again on Monday."))),
)  # fmt: skip


def demo_records(write=print) -> int:
    """Create the complaints part's demo records if none exist; returns how many."""
    if Complaint.objects.exists():
        return 0
    people = {u.username: u for u in User.objects.filter(is_active=True)}
    if "agent" not in people:
        return 0  # the core demo (people, organisations) is not loaded
    now = timezone.now()
    created = 0
    with transaction.atomic():
        for days_ago, username, channel, severity, subject, description, moves in STORIES:
            person = people.get(username)
            if person is None:
                continue
            received = now - datetime.timedelta(days=days_ago)
            service = Service.objects.visible_to(person).order_by("pk").first()
            if channel == "portal":
                complaint = complaint_create(
                    actor=person,
                    organisation=person.organisation,
                    subject=subject,
                    description=description,
                    severity=severity,
                    service=service,
                    now=received,
                )
            else:  # taken by the desk from another channel
                complaint = complaint_create(
                    actor=people["agent"],
                    organisation=Organisation.objects.get(pk=person.organisation_id),
                    channel=channel,
                    complainant=person,
                    subject=subject,
                    description=description,
                    severity=severity,
                    service=service,
                    owner=people.get("lead"),
                    received_at=received,
                    now=received,
                )
            last = received
            for move in moves:
                if move[0] == "accept":
                    _tag, who, accepted, note = move
                    complaint = complaint_acceptance_record(
                        actor=people[who],
                        complaint=complaint,
                        accepted=accepted,
                        acceptance_date=timezone.localdate(last),
                        note=note,
                        now=last + datetime.timedelta(minutes=30),
                    )
                    continue
                hours, who, target, text = move
                last = min(received + datetime.timedelta(hours=hours), now)
                if target == "investigating" and who == "lead" and complaint.status != "closed":
                    complaint_note_add(
                        actor=people[who],
                        complaint=complaint,
                        body="已调取通话记录与工单历史。Call records and ticket history pulled.",
                        now=last,
                    )
                complaint = complaint_transition(
                    actor=people[who],
                    complaint=complaint,
                    target=target,
                    response=text if target == "responded" else None,
                    reason=text if target == "investigating" and text else "",
                    now=last,
                )
            created += 1
        # what is overdue by now is flagged (and its owner told), as the queue would
        complaint_response_alerts_run(now=now)
    write(f"{created} demo complaints")
    return created
