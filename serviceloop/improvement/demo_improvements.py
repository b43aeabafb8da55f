"""Demo records of improvement: the continual improvement register (10.2).

Eight opportunities from every kind of source, at every stage: two suggestions waiting for a
decision, one rejected, accepted and in-progress ones (one past its target date), one
implemented and one closed with its measured benefit and a KPI compared before and after.
Written through the services; idempotent (found by title)."""

import datetime

from django.db import transaction
from django.utils import timezone

from serviceloop.core.models import User
from serviceloop.evaluation.models import KpiDefinition
from serviceloop.improvement.models import Improvement, ImprovementStatus
from serviceloop.improvement.services_improvements import (
    improvement_measure,
    improvement_propose,
    improvement_transition,
)

S = ImprovementStatus
# (title, source, source reference, description, benefit, rating, effort, suggested by,
#  owner, target in days, status, KPI code)
IMPROVEMENTS = (
    ("知识库文章增加截图 Add screenshots to knowledge articles", "staff_suggestion", "",
     "常见请求的知识库文章只有文字，用户看不懂设置步骤。", "减少重复来电，自助解决率提高。",
     2, "S", "agent", None, None, S.PROPOSED, ""),
    ("夜间值班交接模板 Night shift handover template", "retrospective", "RETRO-2026-03",
     "夜班交接靠口头，早班经常不知道未结事件的进展。", "交接信息不丢失，首次响应更快。",
     2, "S", "lead", None, None, S.PROPOSED, ""),
    ("客户满意度回访电话 Satisfaction call-backs", "customer_feedback", "CSAT 2026Q1",
     "对满意度低于 3 分的工单电话回访。", "及时挽回不满意客户。", 3, "M", "owner", "lead", 30,
     S.ACCEPTED, "csat-average"),
    ("监控告警自动生成工单 Alerts open tickets automatically", "kpi", "response-within-sla",
     "Zabbix 告警通过 webhook 直接生成事件工单。", "故障发现时间缩短，首次响应达标率提高。",
     3, "M", "owner", "lead", -7, S.IN_PROGRESS, "response-within-sla"),
    ("变更评审清单电子化 Digital CAB checklist", "audit", "IA-2026-01",
     "内审发现 CAB 纸质清单填写不全。", "变更记录完整，审核证据可查。", 2, "M", "auditor",
     "owner", 45, S.IN_PROGRESS, "change-success-rate"),
    ("统一密码自助重置 Self-service password reset", "management_review", "MR-2026-01",
     "管理评审决定上线密码自助重置门户。", "密码类工单减少一半。", 3, "L", "owner", "admin",
     -20, S.IMPLEMENTED, "resolution-rate"),
    ("服务台排班优化 Service desk rota", "kpi", "first-response-median",
     "按来电高峰调整排班，午间增加一人。", "高峰时段首次响应更快。", 3, "S", "owner", "lead",
     -60, S.BENEFIT_MEASURED, "response-within-sla"),
    ("打印机集中采购 Central printer purchasing", "staff_suggestion", "",
     "各部门自行购买打印机，型号杂乱。", "备件统一。", 1, "L", "agent", None, None,
     S.REJECTED, ""),
)  # fmt: skip


def demo_records(write=print) -> int:
    people = {u.username: u for u in User.objects.filter(is_active=True)}
    owner = people.get("owner")
    if owner is None:
        return 0
    today = timezone.localdate()
    existing = set(Improvement.objects.values_list("title", flat=True))
    kpis = {k.code: k for k in KpiDefinition.objects.all()}
    created = 0
    with transaction.atomic():
        for (title, source, reference, description, benefit, rating, effort, by, who, days,
             status, kpi_code) in IMPROVEMENTS:  # fmt: skip
            if title in existing:
                continue
            improvement = improvement_propose(
                people.get(by, owner), title=title, source=source, source_reference=reference,
                description=description, benefit=benefit, benefit_rating=rating, effort=effort,
                target_on=today + datetime.timedelta(days=days) if days is not None else None,
                kpi=kpis.get(kpi_code),
            )  # fmt: skip
            created += 1
            _advance(improvement, status, owner, people.get(who or "", owner), today)
    if created:
        write(f"{created} improvements")
    return created


def _advance(improvement, status, manager, assignee, today) -> None:
    def move(target, **kwargs):
        return improvement_transition(
            actor=manager,
            improvement=Improvement.objects.get(pk=improvement.pk),
            target=target,
            **kwargs,
        )

    if status == S.PROPOSED:
        return
    if status == S.REJECTED:
        move(S.REJECTED, note="收益太小，各部门已有维保合同。")
        return
    move(S.ACCEPTED, owner=assignee)
    if status == S.ACCEPTED:
        return
    move(S.IN_PROGRESS)
    if status == S.IN_PROGRESS:
        return
    move(S.IMPLEMENTED, today=today - datetime.timedelta(days=75))
    if status == S.IMPLEMENTED:
        return
    current = Improvement.objects.get(pk=improvement.pk)
    improvement_measure(
        actor=manager,
        improvement=current,
        measured_benefit="午间高峰首次响应中位数由 42 分钟降到 18 分钟。",
        measured_figure=18,
        measured_unit="min",
        measured_on=today,
    )
