"""Demo records of planning (discovered by ``serviceloop demo``): a completed gap analysis of
the demo provider against clauses 4–10, with realistic answers and gaps, and a half-done
implementation plan drawn from its top gaps, with the milestones to certification.

Idempotent: the gap analysis is found by its title, the plan items by the answers they close,
the milestones by their titles. Needs the demo people (``core.demo.demo_load``); dates are
relative to today, so the demo always looks current. Text in zh-Hans, as the demo provider
writes it.
"""

import datetime

from django.db import transaction
from django.utils import timezone, translation

from serviceloop.conformity.services_clauses import clauses_load
from serviceloop.core.models import User
from serviceloop.planning import demo_management, queries_assessments
from serviceloop.planning.models import (
    Assessment,
    AssessmentStatus,
    ItemStatus,
    Milestone,
    MilestoneKind,
    PlanItem,
)
from serviceloop.planning.services_assessments import (
    answer_update,
    assessment_create,
    assessment_transition,
)
from serviceloop.planning.services_plan import (
    milestone_achieve,
    milestone_create,
    plan_item_progress,
    plan_item_transition,
    plan_item_update,
    plan_items_from_gaps,
)

TITLE = "2026 年度 ISO/IEC 20000-1 差距分析 Gap analysis"
NA = None  # marks a "not applicable" answer below

# clause: (maturity or NA, current practice, gap, evidence references)
ANSWERS: dict[str, tuple] = {
    "4.1": (
        2,
        "2025 年做过一次 SWOT 分析，保存在共享盘。",
        "环境分析未形成定期评审机制，去年以来新增的云业务未纳入。",
        ["https://wiki.example.cn/isms/context-2025"],
    ),
    "4.2": (
        2,
        "主要客户的需求体现在合同和 SLA 中。",
        "没有统一的相关方登记表，监管方和供方的要求未识别。",
        [],
    ),
    "4.3": (
        1,
        "口头约定范围为“面向外部客户的 IT 运维服务”。",
        "没有经批准的范围说明，未写明覆盖的服务、地点和排除项。",
        [],
    ),
    "4.4": (
        2,
        "服务台、变更、问题等过程在运行，各有负责人。",
        "缺少过程地图和过程之间的接口说明。",
        ["质量手册 QM-01 草稿 v0.3"],
    ),
    "5.1": (
        2,
        "总经理在月度经营会上听取服务汇报。",
        "最高管理者对体系的承诺没有书面记录，未参加过管理评审。",
        [],
    ),
    "5.2.1": (
        1,
        "有一份 2019 年的 IT 服务方针，未更新。",
        "方针需重新制定并由总经理批准，写明对持续改进的承诺。",
        ["POL-IT-2019"],
    ),
    "5.2.2": (1, "方针放在内网，但员工普遍不知道。", "未开展方针宣贯，也无阅读确认记录。", []),
    "5.3": (3, "ServiceLoop 中维护了角色和团队，RACI 表已在 2025 年更新。", "", ["RACI-2025.xlsx"]),
    "6.1": (
        1,
        "项目层面有风险清单，体系层面没有。",
        "需要建立服务管理风险和机遇登记表，明确负责人和应对措施。",
        [],
    ),
    "6.2.1": (1, "有 SLA 达成率等运营指标。", "没有服务管理目标，指标与方针没有关联。", []),
    "6.2.2": (1, "", "目标缺少实施计划（做什么、谁负责、何时完成）。", []),
    "6.3": (2, "本次差距分析后开始编制实施计划。", "计划尚未覆盖资源和预算。", []),
    "7.1": (3, "年度预算中包含服务台人员和工具费用。", "", ["2026 年度 IT 预算"]),
    "7.2": (2, "有培训记录，但没有能力矩阵。", "需要按角色定义能力要求并评估差距。", []),
    "7.3": (2, "新员工入职有服务台培训。", "老员工对体系和自身贡献缺乏了解。", []),
    "7.4": (
        2,
        "每周运维例会，重大事件通过企业微信群通报。",
        "没有沟通计划，对客户的沟通靠个人习惯。",
        [],
    ),
    "7.5.1": (2, "主要程序有文档。", "成文信息清单不全，部分表单无编号。", []),
    "7.5.2": (2, "新文档由团队负责人审核。", "文件没有统一的版本和批准记录。", []),
    "7.5.3": (1, "文件放在共享盘，任何人可改。", "缺少访问控制、变更历史和作废版本的处理。", []),
    "7.5.4": (
        3,
        "服务目录和 SLA 在 ServiceLoop 中受控。",
        "",
        ["https://serviceloop.example.cn/agreements/"],
    ),
    "7.6": (3, "知识库在用，坐席解决工单时会引用文章。", "部分文章超过一年未评审。", []),
    "8.1": (2, "运维有值班制度和操作手册。", "外包的机房运维未纳入运行控制。", []),
    "8.2.1": (3, "每月向客户发送服务报告。", "", []),
    "8.2.2": (2, "新服务上线前有技术评审。", "未系统地策划新服务的预算和风险。", []),
    "8.2.3": (2, "主要供方已识别。", "客户作为供方的情况未识别和控制。", []),
    "8.2.4": (3, "服务目录在 ServiceLoop 中维护，列明客户和服务时间。", "", []),
    "8.2.5": (2, "资产台账由行政维护，Excel 表。", "软件许可证未纳入资产管理。", []),
    "8.2.6": (2, "CMDB 覆盖核心网络和服务器。", "配置项关系不完整，一年未核对。", []),
    "8.3.1": (3, "客户和联系人在 ServiceLoop 中维护。", "", []),
    "8.3.2": (3, "每季度与主要客户开服务评审会，投诉有登记。", "满意度调查回收率低。", []),
    "8.3.3": (
        3,
        "两个主要客户签有 SLA，月报中对照目标。",
        "新上线的服务尚无 SLA。",
        ["SLA-2026-000001"],
    ),
    "8.3.4.1": (3, "外部供方均签有合同，年度评审一次。", "", []),
    "8.3.4.2": (NA, "", "", []),
    "8.4.1": (2, "有部门预算，无按服务的核算。", "成本无法分摊到服务。", []),
    "8.4.2": (1, "", "未做需求预测，高峰期临时扩容。", []),
    "8.4.3": (2, "监控系统有容量告警。", "没有容量计划，阈值未评审。", []),
    "8.5.1.1": (
        2,
        "有变更管理制度（2021 版）。",
        "未规定哪些配置项受变更控制，重大变更判定标准缺失。",
        [],
    ),
    "8.5.1.2": (3, "变更通过工单提出并分类。", "", []),
    "8.5.1.3": (2, "变更经 CAB 审批。", "实施后回顾不做，失败变更没有分析。", []),
    "8.5.2.1": (2, "", "新服务的验收准则不明确。", []),
    "8.5.2.2": (2, "有设计文档。", "设计未对照需求逐项验证。", []),
    "8.5.2.3": (2, "上线前做功能测试。", "缺少正式的验收记录。", []),
    "8.5.3": (2, "发布有计划和回退方案。", "失败发布没有记录和分析。", []),
    "8.6.1": (
        4,
        "所有事件在 ServiceLoop 中记录，SLA 自动计时，重大事件有回顾。",
        "",
        ["https://serviceloop.example.cn/desk/"],
    ),
    "8.6.2": (4, "服务请求按请求目录受理，需要时走审批。", "", []),
    "8.6.3": (3, "重复事件会自动提示问题，已知错误库在用。", "部分问题缺少根本原因分析。", []),
    "8.7.1": (3, "主要服务有可用性目标，月报中报告。", "", []),
    "8.7.2": (1, "有机房断电应急预案。", "服务连续性计划不完整，从未演练。", []),
    "8.7.3.1": (2, "有信息安全管理制度。", "未按服务管理范围更新并重新宣贯。", []),
    "8.7.3.2": (2, "防火墙、备份等控制在运行。", "没有信息安全风险评估和控制清单。", []),
    "8.7.3.3": (2, "安全事件作为普通事件处理。", "安全事件未单独分类和复盘。", []),
    "9.1": (2, "服务台 KPI 每月统计。", "测量未覆盖体系层面，缺少分析和结论。", []),
    "9.2": (0, "", "从未开展内部审核，没有审核方案和合格的内审员。", []),
    "9.3": (0, "", "从未召开管理评审。", []),
    "9.4": (3, "每月向客户和管理层发服务报告。", "", []),
    "10.1": (1, "重大事件后有整改。", "不符合项和纠正措施没有统一登记，未验证有效性。", []),
    "10.2": (2, "运维团队有改进建议清单。", "改进未排优先级，也未跟踪到结果。", []),
}
NA_JUSTIFICATION = {
    "8.3.4.2": "本组织没有内部供方，也没有客户充当供方：所有供方均为外部供方，按 8.3.4.1 管理。"
}
SUMMARY = (
    "为 2026 年认证审核做准备的首次差距分析。运行过程（事件、请求、服务级别）基础较好；"
    "体系层面的要素（范围、方针、风险、目标、内部审核、管理评审、纠正措施）明显不足，是实施计划的重点。"
)

# Plan items from the top gaps: clause → (owner, start offset, due offset, final state,
# percent, dependencies)
PLAN = {
    "9.3": ("ceo", 30, 100, ItemStatus.NOT_STARTED, 0, ["9.2", "6.2.1"]),
    "9.2": ("auditor", 20, 80, ItemStatus.IN_PROGRESS, 40, ["7.5.3"]),
    "4.3": ("owner", 0, 20, ItemStatus.DONE, 100, []),
    "5.2.1": ("owner", 0, 25, ItemStatus.DONE, 100, ["4.3"]),
    "6.1": ("owner", 10, 45, ItemStatus.IN_PROGRESS, 60, []),
    "6.2.1": ("owner", 25, 40, ItemStatus.IN_PROGRESS, 30, ["5.2.1"]),
    "10.1": ("lead", 15, 50, ItemStatus.BLOCKED, 20, []),
    "7.5.3": ("admin", 5, 35, ItemStatus.DONE, 100, []),
    "8.7.2": ("lead", 40, 110, ItemStatus.NOT_STARTED, 0, []),
    "5.2.2": ("owner", 30, 55, ItemStatus.NOT_STARTED, 0, ["5.2.1"]),
}
# clause → (title, resources, budget in CNY or None)
PLAN_DETAILS = {
    "9.3": ("召开首次管理评审", "总经理、各过程负责人半天会议", None),
    "9.2": ("建立内部审核方案并完成首轮内审", "2 名内审员培训取证；外部顾问 3 人天", "18000"),
    "4.3": ("编制并批准服务管理体系范围说明", "体系负责人 2 人天", None),
    "5.2.1": ("修订服务管理方针并由总经理批准", "体系负责人 1 人天", None),
    "6.1": ("建立服务管理风险和机遇登记表", "各过程负责人参加 2 次研讨会", None),
    "6.2.1": ("制定可测量的服务管理目标", "体系负责人、服务台主管", None),
    "10.1": ("建立不符合项和纠正措施登记流程", "在 ServiceLoop 中配置；培训 1 次", None),
    "7.5.3": ("文件集中受控：权限、版本和作废管理", "文档库迁移 5 人天", "6000"),
    "8.7.2": ("编写服务连续性计划并完成首次演练", "机房供应商配合；演练半天", "25000"),
    "5.2.2": ("方针宣贯与阅读确认", "全员培训 1 小时", None),
}
BLOCKED_REASON = "等待集团质量部确定统一的不符合项分级标准。"
MILESTONES = (
    ("差距分析完成 Gap analysis completed", MilestoneKind.OTHER, 0, True),
    ("第一次内部审核完成 First internal audit done", MilestoneKind.INTERNAL_AUDIT, 85, False),
    ("管理评审召开 Management review held", MilestoneKind.MANAGEMENT_REVIEW, 105, False),
    ("认证审核第一阶段 Certification audit stage 1", MilestoneKind.STAGE_ONE, 130, False),
    ("认证审核 Certification audit", MilestoneKind.CERTIFICATION_AUDIT, 160, False),
)
ASSESSED_DAYS_AGO = 60


def demo_records(write=print) -> int:
    """Create the missing planning demo records; returns the number of records created."""
    clauses_load()
    people = {
        u.username: u
        for u in User.objects.filter(username__in=["owner", "admin", "lead", "auditor", "ceo"])
    }
    owner = people.get("owner")
    if owner is None:
        write("no demo staff: planning demo skipped")
        return 0
    with translation.override("zh-hans"):
        created = 0
        assessment = Assessment.objects.filter(title=TITLE).first()
        if assessment is None:
            assessment = _assessment(owner)
            created += 1
            write(f"gap analysis {assessment.reference}")
        created += _plan(assessment, owner, people, write)
        created += _milestones(assessment, owner, write)
        created += demo_management.demo_records(write)  # clauses 4-6 and tailoring
    return created


def _assessment(owner) -> Assessment:
    today = timezone.localdate()
    with transaction.atomic():
        assessment = assessment_create(
            actor=owner,
            title=TITLE,
            assessed_on=today - datetime.timedelta(days=ASSESSED_DAYS_AGO),
            assessor=owner,
            summary=SUMMARY,
            copy_previous=False,
        )
        for answer in assessment.answers.select_related("clause"):
            spec = ANSWERS.get(answer.clause.number)
            if spec is None:
                continue
            maturity, practice, gap, evidence = spec
            answer_update(
                actor=owner,
                answer=answer,
                maturity=maturity,
                not_applicable=maturity is NA,
                justification=NA_JUSTIFICATION.get(answer.clause.number, ""),
                current_practice=practice,
                gap=gap,
                evidence_links=evidence,
            )
        if not assessment.answers.filter(maturity__isnull=True, not_applicable=False).exists():
            assessment = assessment_transition(
                actor=owner, assessment=assessment, target=AssessmentStatus.COMPLETED
            )
    return assessment


def _plan(assessment, owner, people, write) -> int:
    answers = {a.clause.number: a for a in queries_assessments.answers_of(assessment)}
    wanted = [n for n in PLAN if n in answers and not answers[n].plan_items.exists()]
    if not wanted:
        return 0
    start = assessment.assessed_on + datetime.timedelta(days=5)
    items = {}
    with transaction.atomic():
        for number in wanted:
            person, begin, due, _state, _percent, _deps = PLAN[number]
            [item] = plan_items_from_gaps(
                actor=owner,
                answers=[answers[number]],
                owner=people.get(person) or owner,
                start_on=start + datetime.timedelta(days=begin),
                due_on=start + datetime.timedelta(days=due),
            )
            items[number] = item
        by_clause = {
            item.source_answer.clause.number: item
            for item in PlanItem.objects.filter(
                source_answer__assessment=assessment
            ).select_related("source_answer__clause")
        }
        for number, item in items.items():
            title, resources, budget = PLAN_DETAILS[number]
            deps = [by_clause[d] for d in PLAN[number][5] if d in by_clause]
            plan_item_update(
                actor=owner,
                item=item,
                title=title,
                resources=resources,
                budget=budget,
                depends_on=deps,
            )
        # Finish in dependency order: the dependencies of a done item are done first.
        order = sorted(items, key=lambda n: 0 if not PLAN[n][5] else 1)
        for number in order:
            item = PlanItem.objects.get(pk=items[number].pk)
            _person, _begin, due, state, percent, _deps = PLAN[number]
            if state == ItemStatus.DONE:
                plan_item_progress(
                    actor=owner, item=item, percent=80, note="主要内容已完成，待审批。"
                )
                plan_item_transition(
                    actor=owner,
                    item=PlanItem.objects.get(pk=item.pk),
                    target=ItemStatus.DONE,
                    today=start + datetime.timedelta(days=due - 2),
                )
            elif state == ItemStatus.IN_PROGRESS:
                plan_item_progress(actor=owner, item=item, percent=percent, note="按计划推进中。")
            elif state == ItemStatus.BLOCKED:
                plan_item_progress(actor=owner, item=item, percent=percent)
                plan_item_transition(
                    actor=owner,
                    item=PlanItem.objects.get(pk=item.pk),
                    target=ItemStatus.BLOCKED,
                    reason=BLOCKED_REASON,
                )
    write(f"{len(items)} implementation plan items")
    return len(items)


def _milestones(assessment, owner, write) -> int:
    existing = set(Milestone.objects.values_list("title", flat=True))
    audit_items = list(PlanItem.objects.filter(source_answer__clause__number__in=["9.2", "7.5.3"]))
    created = 0
    for title, kind, offset, achieved in MILESTONES:
        if title in existing:
            continue
        due = assessment.assessed_on + datetime.timedelta(days=offset)
        milestone = milestone_create(
            actor=owner,
            title=title,
            kind=kind,
            due_on=due,
            items=audit_items if kind == MilestoneKind.INTERNAL_AUDIT else [],
        )
        if achieved:
            milestone_achieve(actor=owner, milestone=milestone, achieved_on=due)
        created += 1
    if created:
        write(f"{created} plan milestones")
    return created
