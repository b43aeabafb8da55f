"""Demo objectives: five service management objectives bound to figures computed from the
demo records (tickets, knowledge use, complaints, changes). One is past its due date,
so its final status (achieved or missed) shows. Idempotent: found by title."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from serviceloop.core.models import User
from serviceloop.planning.models import Objective
from serviceloop.planning.services_objectives import objective_create

# (title, figure, target, owner, due in days, kpi code, plan)
OBJECTIVES = (
    ("首次响应 SLA 达成率不低于 95%", "desk.first_response_within_sla.90d", "95", "lead", 120,
     "first_response_within_sla_pct",
     "服务台排班覆盖高峰时段；新人上岗前完成首次响应培训；每周复盘超时工单。"),
    ("工单解决 SLA 达成率不低于 90%", "desk.resolution_within_sla.90d", "90", "lead", 180,
     "resolution_within_sla_pct",
     "二线团队设置升级阈值；已知错误库覆盖前十类事件；每月评审。"),
    ("每月用知识库解决的工单不少于 10 张", "support.knowledge_use.30d", "10", "lead", 150,
     "knowledge_reuse_rate", "坐席解决工单时引用知识文章；每月评审使用最多和从未使用的文章。"),
    ("90 天内客户投诉不超过 3 起", "relationship.complaints.90d", "3", "owner", 150,
     "complaint_rate", "投诉根因分析纳入问题管理；季度客户评审会上通报改进。"),
    ("变更成功率不低于 95%", "transition.change_success_rate.90d", "95", "admin", -15,
     "change_success_rate", "CAB 审核回退计划；标准变更模板化；失败变更必须复盘。"),
)  # fmt: skip


def demo_records(write=print) -> int:
    people = {u.username: u for u in User.objects.filter(username__in=["owner", "lead", "admin"])}
    owner = people.get("owner")
    if owner is None:
        return 0
    today = timezone.localdate()
    existing = set(Objective.objects.values_list("title", flat=True))
    created = 0
    with transaction.atomic():
        for title, figure, target, who, days, kpi, plan in OBJECTIVES:
            if title in existing:
                continue
            objective_create(
                actor=owner, title=title, figure=figure, target=Decimal(target),
                owner=people.get(who, owner), due_on=today + datetime.timedelta(days=days),
                kpi_code=kpi, plan=plan,
            )  # fmt: skip
            created += 1
    if created:
        write(f"{created} objectives")
    return created
