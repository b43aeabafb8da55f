"""Demo records of improvement: nonconformities, corrective and preventive actions (10.1).

Seven nonconformities, one at each stage: new, contained, analysed (fishbone), actions in
progress (five whys), verification pending on a KPI condition (the action was done ten days
ago: no complete month has passed yet), closed effective (verified with evidence by the
auditor), and reopened (the auditor found the action not effective). One preventive action
comes from a risk. Idempotent: found by title; written through the services, so every step
has its audit row."""

import datetime

from django.db import transaction
from django.utils import timezone

from serviceloop.core.models import User
from serviceloop.evaluation.models import KpiDefinition
from serviceloop.improvement.models import Action, Nonconformity
from serviceloop.improvement.services_actions_nonconformities import (
    action_create,
    action_transition,
    action_verify,
)
from serviceloop.improvement.services_nonconformities import (
    nonconformity_analyse,
    nonconformity_contain,
    nonconformity_raise,
    preventive_action_raise,
)

# (stage, title, source, source reference, severity, clauses, owner, description)
NONCONFORMITIES = (
    ("open", "服务目录未列出新上线的云备份服务", "internal_audit", "AUD-2026-F03", "minor",
     ("8.2.4",), "owner", "内审发现：云备份服务 3 月上线，但服务目录仍为旧版本。"),
    ("contained", "变更未经 CAB 批准即实施", "internal_audit", "AUD-2026-F01", "major",
     ("8.5.1.2",), "lead", "CHG 记录显示 2 项正常变更在 CAB 批准前已实施。"),
    ("analysed", "客户投诉工单长时间无人响应", "complaint", "CMP-2026-000004", "minor",
     ("8.3.4", "8.6.1"), "lead", "华东物流投诉：P3 工单 3 天无人响应。"),
    ("actions", "同一类网络中断本季度重复发生 4 次", "problem", "PRB-2026-000002", "major",
     ("8.6.3",), "lead", "核心交换机端口抖动导致的中断反复出现。"),
    ("verifying", "首次响应 SLA 达成率连续两月低于目标", "kpi", "response-within-sla", "major",
     ("8.3.3", "9.1"), "lead", "KPI 月度值 86%、88%，目标 95%。"),
    ("closed", "备份恢复测试记录缺失", "external_audit", "CERT-2025-NC2", "minor",
     ("8.7.2",), "admin", "认证审核发现：去年下半年无恢复测试记录。"),
    ("reopened", "知识库文章长期未复核", "management_review", "MR-2026-01", "minor",
     ("7.5.3",), "owner", "管理评审指出：30% 的知识库文章超过一年未复核。"),
)  # fmt: skip


def _days(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


def _stage(nc: Nonconformity, stage: str, people: dict) -> None:
    owner, auditor = people["owner"], people.get("auditor", people["owner"])
    nc_owner = nc.owner or owner
    if stage == "open":
        return
    nc = nonconformity_contain(
        actor=owner,
        nonconformity=nc,
        containment="已临时处理并通知相关方。",
        contained_on=_days(20),
    )
    if stage == "contained":
        return
    if stage == "analysed":
        nonconformity_analyse(
            actor=owner, nonconformity=nc, method="fishbone",
            fishbone={"people": ["值班人员不清楚分派规则"], "process": ["P3 工单无升级规则"],
                      "technology": ["队列视图不显示等待时长"], "measurement": ["未监控响应超时"]},
            root_cause="P3 工单缺少超时升级规则，等待时长不可见。",
        )  # fmt: skip
        return
    nc = nonconformity_analyse(
        actor=owner, nonconformity=nc, method="five_whys",
        whys=[{"why": "为什么问题反复出现？", "answer": "每次只做了临时修复。"},
              {"why": "为什么只做临时修复？", "answer": "没有问题管理的根因分析。"},
              {"why": "为什么没有根因分析？", "answer": "问题管理流程未规定分析时限。"}],
        root_cause="问题管理流程未要求在规定时限内完成根因分析。",
    )  # fmt: skip
    kpi = KpiDefinition.objects.filter(code="response-within-sla").first()
    manual = {"verification_method": "manual", "verification_plan": "抽查下一季度的记录。"}
    if stage == "verifying" and kpi is not None:
        verification = {
            "verification_method": "kpi", "kpi": kpi, "kpi_comparator": ">=",
            "kpi_threshold": 95, "kpi_periods": 3,
            "verification_plan": "连续三个月达成率不低于 95% 视为有效。",
        }  # fmt: skip
    else:
        verification = manual
    action = action_create(
        actor=owner, nonconformity=nc, title="修订流程并培训相关人员", owner=nc_owner,
        due_on=_days(-30), **verification,
    )  # fmt: skip
    if stage == "actions":
        action_transition(actor=owner, action=action, target="in_progress")
        return
    action_transition(
        actor=owner, action=action, target="done", note="流程已修订，培训已完成。",
        done_on=_days(10 if stage == "verifying" else 40),
    )  # fmt: skip
    if stage in ("closed", "reopened"):
        effective = stage == "closed"
        action_verify(
            actor=auditor, action=Action.objects.get(pk=action.pk), effective=effective,
            note="抽查 10 条记录全部符合。" if effective else "抽查发现仍有 4 篇文章未复核。",
            evidence_note="抽查记录见内审工作底稿。", evidence_link="https://wiki.example.cn/audit/2026",
        )  # fmt: skip


def demo_records(write=print) -> int:
    people = {
        u.username: u
        for u in User.objects.filter(username__in=["owner", "lead", "admin", "auditor", "agent"])
    }
    if "owner" not in people:
        return 0
    existing = set(Nonconformity.objects.values_list("title", flat=True))
    created = 0
    with transaction.atomic():
        for stage, title, source, reference, severity, clauses, who, text in NONCONFORMITIES:
            if title in existing:
                continue
            nc = nonconformity_raise(
                people["owner"], title=title, source=source, source_reference=reference,
                severity=severity, clause_numbers=clauses, owner=people.get(who),
                description=text, due_on=_days(-45 if stage != "contained" else 5),
            )  # fmt: skip
            _stage(nc, stage, people)
            created += 1
        title = "统一监控平台上线前压测告警规则"
        if not Action.objects.filter(title=title).exists():
            preventive_action_raise(
                people["owner"], title=title, source="risk", source_reference="RSK: 统一监控",
                owner=people.get("lead"), due_on=_days(-60),
                description="防止告警风暴导致工单洪峰。",
            )  # fmt: skip
            created += 1
    if created:
        write(f"{created} nonconformities and preventive actions")
    return created
