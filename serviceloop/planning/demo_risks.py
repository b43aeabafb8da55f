"""Demo risk register: seven risks and three opportunities on the default 5×5 matrix, linked
to services, configuration items and objectives; some are being treated or monitored, one
is closed, two are past their review date (so the overdue flag and reminder show).
Idempotent: found by title."""

import datetime

from django.db import transaction
from django.utils import timezone

from serviceloop.core.models import User
from serviceloop.planning.models import Objective, Risk, RiskStatus
from serviceloop.planning.services_risks import risk_create, risk_transition
from serviceloop.portfolio.models import ConfigurationItem, Service

# (kind, title, L, I, treatment, plan, owner, review in days, status, services, CI names,
#  objective titles)
RISKS = (
    ("risk", "核心交换机单点故障导致全网中断", 2, 5, "reduce",
     "sw-core-01/02 双机热备改造；季度切换演练。", "lead", 30, RiskStatus.TREATING,
     ("network",), ("sw-core-01", "sw-core-02"), ()),
    ("risk", "服务台骨干流失导致响应超时", 4, 3, "reduce",
     "编写值班手册；知识库覆盖常见请求；关键岗位 AB 角。", "lead", -5, RiskStatus.TREATING,
     ("desktop",), (), ("首次响应 SLA 达成率不低于 95%",)),
    ("risk", "勒索软件加密数据库服务器", 2, 5, "reduce",
     "离线备份每日校验；终端 EDR 全覆盖；补丁 7 天内安装。", "admin", 45, RiskStatus.MONITORING,
     ("erp",), ("db-srv-01 数据库服务器", "backup-srv-01"), ()),
    ("risk", "云资源供应商涨价超出预算", 3, 2, "transfer",
     "签三年框架协议锁定价格。", "admin", 90, RiskStatus.IDENTIFIED, ("cloud",), (), ()),
    ("risk", "机房 UPS 老化", 3, 4, "reduce", "更换 UPS 电池组，纳入年度预算。", "admin", -20,
     RiskStatus.TREATING, ("network", "erp"), ("ups-a01",), ()),
    ("risk", "变更未经测试直接上线", 3, 3, "avoid",
     "所有正常变更必须附测试记录，CAB 核对。", "owner", 60, RiskStatus.MONITORING, (), (),
     ("变更成功率不低于 95%",)),
    ("risk", "旧 OA 系统无人维护", 2, 2, "accept", "", "owner", 120, RiskStatus.CLOSED,
     ("legacy-oa",), (), ()),
    ("opportunity", "统一监控平台提升故障发现速度", 4, 4, "exploit",
     "选型并部署统一监控，告警自动生成工单。", "lead", 60, RiskStatus.TREATING,
     ("network", "cloud"), (), ("工单解决 SLA 达成率不低于 90%",)),
    ("opportunity", "客户自助门户降低服务台负荷", 3, 3, "enhance",
     "推广门户和知识库，请求类工单自助提交。", "owner", 90, RiskStatus.IDENTIFIED, ("desktop",),
     (), ("每月用知识库解决的工单不少于 10 张",)),
    ("opportunity", "获得 ISO/IEC 20000-1 认证赢得新客户", 3, 4, "enhance",
     "按实施计划推进，年内通过认证审核。", "owner", 120, RiskStatus.IDENTIFIED, (), (), ()),
)  # fmt: skip


def demo_records(write=print) -> int:
    people = {u.username: u for u in User.objects.filter(username__in=["owner", "lead", "admin"])}
    owner = people.get("owner")
    if owner is None:
        return 0
    today = timezone.localdate()
    existing = set(Risk.objects.values_list("title", flat=True))
    created = 0
    with transaction.atomic():
        for (kind, title, likelihood, impact, treatment, plan, who, days, status, services,
             items, objectives) in RISKS:  # fmt: skip
            if title in existing:
                continue
            risk = risk_create(
                actor=owner, kind=kind, title=title, likelihood=likelihood, impact=impact,
                treatment=treatment, treatment_plan=plan, owner=people.get(who, owner),
                review_on=today + datetime.timedelta(days=days),
                services=list(Service.objects.filter(code__in=services)),
                configuration_items=list(ConfigurationItem.objects.filter(name__in=items)),
                objectives=list(Objective.objects.filter(title__in=objectives)),
            )  # fmt: skip
            if status == RiskStatus.CLOSED:
                risk_transition(
                    actor=owner, risk=risk, target=status, note="系统已停用，风险不再存在。"
                )
            elif status == RiskStatus.MONITORING:
                risk_transition(actor=owner, risk=risk, target=RiskStatus.TREATING)
                risk_transition(actor=owner, risk=Risk.objects.get(pk=risk.pk), target=status)
            elif status == RiskStatus.TREATING:
                risk_transition(actor=owner, risk=risk, target=status)
            created += 1
    if created:
        write(f"{created} risks and opportunities")
    return created
