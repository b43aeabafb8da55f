"""Demo records of evaluation: internal audit (9.2).

One audit cycle: the programme of the year (default lines, the service desk owning incident
and request management, the infrastructure team availability and continuity, risk ratings
with their reasons), approved; one audit of the service desk and service level management
held about two months ago by the internal auditor, its checklist answered, three findings
(a minor nonconformity that opened a nonconformity record and has its action planned, a
closed observation, and an opportunity for improvement proposed to the improvement
register), and the report issued.

The auditor qualification is the competence the support demo requires of the internal
auditor role (or "Internal auditing", created here, when that demo is absent). The demo
auditor's certificate has lapsed since (the support demo shows that): the audit was held
while it was valid. Idempotent: nothing is created when the programme of that year exists.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from serviceloop.conformity.models import Clause
from serviceloop.core.models import Team, User
from serviceloop.evaluation import auditors_audits as auditors
from serviceloop.evaluation.checklists_audits import checklist_item_answer
from serviceloop.evaluation.findings_audits import finding_create, finding_transition
from serviceloop.evaluation.models import AuditProgramme
from serviceloop.evaluation.services_audits import (
    audit_create,
    audit_transition,
    line_update,
    programme_create,
    programme_transition,
)

DAY = datetime.timedelta(days=1)
HELD_DAYS_AGO = 60
COMPETENCE = "内部审核 Internal auditing"

# clause: (team name prefix, risk, why)
LINES = {
    "8.6.1": ("一线服务台", "high", "事件量最大，上季度 2 次 SLA 违约。Most tickets; two SLA breaches."),
    "8.6.2": ("一线服务台", "medium", ""),
    "8.5.1": ("", "high", "变更失败是主要中断原因。Failed changes cause most outages."),
    "8.7.1": ("二线运维", "medium", ""),
    "8.7.2": ("二线运维", "medium", ""),
    "8.7.3": ("二线运维", "high", "勒索软件风险 RSK 登记在册。Ransomware risk registered."),
    "4": ("", "low", "环境稳定，去年已审核。Stable context, audited last year."),
    "5": ("", "low", ""),
}  # fmt: skip

ANSWERS = {
    "8.6.1": ("nonconforming", "抽查 10 张 P1/P2 事件，2 起重大事件无回顾记录。"
              "10 P1/P2 incidents sampled; 2 major incidents have no review.",
              ["INC-2026-000123", "INC-2026-000140"]),
    "8.6.2": ("conforming", "请求按目录履行，审批记录完整。Requests fulfilled per catalogue.",
              ["REQ-2026-000210"]),
    "8.3.3": ("observation", "SLA 报告按月发送，但客户签收记录不全。"
              "Monthly SLA reports sent; customer sign-off not always kept.", []),
}  # fmt: skip


def _people() -> dict[str, User]:
    return {u.username: u for u in User.objects.filter(is_active=True)}


def _team(prefix: str) -> Team | None:
    if not prefix:
        return None
    return Team.objects.filter(organisation__kind="provider", name__startswith=prefix).first()


def _qualification(owner, auditor, held) -> None:
    """The qualifying competence, and the auditor's record of it when he has none."""
    from serviceloop.support.models import Competence, PersonCompetence
    from serviceloop.support.services_competence import competence_create, person_competence_set

    rule = auditors.qualification_rule()
    competence = rule.competence
    if competence is None:
        competence = Competence.objects.filter(name=COMPETENCE).first() or competence_create(
            actor=owner, name=COMPETENCE, category="审核 Audit",
            description="按 ISO/IEC 20000-1 策划和实施内部审核。Plan and run internal audits.",
        )  # fmt: skip
        auditors.audit_settings_update(actor=owner, competence=competence, minimum_level=3)
    if not PersonCompetence.objects.filter(person=auditor, competence=competence).exists():
        person_competence_set(
            actor=owner, person=auditor, competence=competence, level=3,
            evidence="内审员培训及 2 次见习审核 Internal auditor course, two audits shadowed",
            certificate="IA-20000-301", assessed_on=held - 200 * DAY,
            expires_on=held + 700 * DAY,
        )  # fmt: skip


def demo_records(write=print) -> int:
    people = _people()
    owner, auditor, lead = people.get("owner"), people.get("auditor"), people.get("lead")
    if owner is None or auditor is None or lead is None:
        write("no owner, auditor or team lead: internal audit demo skipped")
        return 0
    if not Clause.objects.exists():
        write("no clause model: internal audit demo skipped")
        return 0
    today = timezone.localdate()
    held = today - HELD_DAYS_AGO * DAY
    if AuditProgramme.objects.filter(year=held.year).exists():
        return 0
    with transaction.atomic():
        created = _cycle(owner, auditor, lead, held, today, people, write)
    if created:
        write(f"{created} internal audit records")
    return created


def _cycle(owner, auditor, lead, held, today, people, write) -> int:
    _qualification(owner, auditor, held)
    lead_auditor = next(
        (p for p in (auditor, owner) if auditors.qualification_of(p, held).qualified), None
    )
    if lead_auditor is None:
        write("nobody qualified to audit: internal audit demo skipped")
        return 0
    programme = programme_create(
        actor=owner, year=held.year,
        objectives="覆盖体系全部条款；高风险过程每半年审核一次。"
                   "Cover every clause; audit high-risk processes twice a year.",
    )  # fmt: skip
    lines = {line.clause.number: line for line in programme.lines.select_related("clause")}
    for number, (team, risk, why) in LINES.items():
        if number in lines:
            line_update(actor=owner, line=lines[number], owner_team=_team(team), risk=risk,
                        risk_note=why)  # fmt: skip
    programme = programme_transition(actor=owner, programme=programme, target="approved")
    audit = audit_create(
        actor=auditor, programme=programme,
        title="服务台与服务级别审核 Service desk and service level audit",
        lines=[lines[n] for n in ("8.6.1", "8.6.2", "8.3.3") if n in lines],
        planned_start=held, planned_end=held + DAY, lead_auditor=lead_auditor,
        scope="一线服务台的事件和请求处理；SLA 监控与报告。Incident and request handling; SLA "
              "monitoring and reporting.",
        objectives="确认过程符合 ISO/IEC 20000-1 及本组织程序。Confirm conformity to the "
                   "standard and our procedures.",
        auditees="一线服务台 Service Desk; 服务级别经理 Service level manager",
        agenda="09:00 首次会议 Opening · 09:30 事件管理 Incidents · 13:30 请求 Requests · "
               "15:00 SLA · 16:30 末次会议 Closing",
    )  # fmt: skip
    audit = audit_transition(actor=auditor, audit=audit, target="in_progress", today=held)
    items = {item.clause.number: item for item in audit.checklist.select_related("clause")}
    for number, item in items.items():
        result, notes, links = ANSWERS.get(number, ("conforming", "", []))
        checklist_item_answer(actor=auditor, item=item, result=result, notes=notes,
                              evidence_links=links)  # fmt: skip
    clauses = {c.number: c for c in Clause.objects.filter(number__in=["8.6.1", "8.3.3", "8.6.2"])}
    nc = finding_create(
        actor=auditor, audit=audit, kind="minor_nc",
        title="重大事件未按程序回顾 Major incidents not reviewed",
        description="INC-2026-000123、INC-2026-000140 为重大事件，无回顾记录（程序 SD-03 第 5 条）。"
                    "Two major incidents have no review as procedure SD-03 §5 requires.",
        clauses=[clauses["8.6.1"]], checklist_item=items.get("8.6.1"), owner=lead,
        due_on=today + 20 * DAY,
    )  # fmt: skip
    observation = finding_create(
        actor=auditor, audit=audit, kind="observation",
        title="SLA 报告客户签收记录不全 SLA report sign-off not always kept",
        clauses=[clauses["8.3.3"]], checklist_item=items.get("8.3.3"), owner=people.get("owner"),
        due_on=today + 10 * DAY,
    )  # fmt: skip
    finding_create(
        actor=auditor, audit=audit, kind="ofi",
        title="重大事件回顾模板 A template for major incident reviews",
        description="在工单中内置回顾模板，结束重大事件时自动提示。Built-in review template.",
        clauses=[clauses["8.6.1"]], owner=lead,
    )  # fmt: skip
    audit_transition(
        actor=auditor, audit=audit, target="reported", today=held + DAY,
        conclusion="服务台过程总体有效；1 项轻微不符合，1 项观察，1 项改进机会。"
                   "The desk processes are effective overall: one minor nonconformity, one "
                   "observation, one opportunity for improvement.",
    )  # fmt: skip
    finding_transition(
        actor=lead, finding=nc, target="action_planned",
        action_plan="补做两起重大事件回顾；在 SD-03 中加入关闭前回顾检查点。"
                    "Review both incidents; add a review checkpoint before closing (SD-03).",
    )  # fmt: skip
    finding_transition(
        actor=auditor, finding=observation, target="closed",
        note="已告知服务级别经理。Passed to the service level manager.",
    )  # fmt: skip
    return 2 + len(items) + 3  # programme, audit, answers, findings
