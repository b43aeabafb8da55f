"""Demo context and leadership: internal and external issues, interested parties, an
approved scope statement and policy (with its communication), and the RACI matrix.

Idempotent: issues and parties are found by their titles and names, the scope and the
policy by an approved version existing, the matrix by having any cell. Text in zh-Hans, as
the demo provider writes it; dates relative to today.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from serviceloop.core.models import Organisation, User
from serviceloop.core.roles import Role
from serviceloop.planning.models import (
    ContextIssue,
    InterestedParty,
    PolicyVersion,
    RaciAssignment,
    ScopeStatement,
    VersionStatus,
)
from serviceloop.planning.services_context import (
    issue_create,
    party_create,
    scope_approve,
    scope_draft_create,
    scope_update,
)
from serviceloop.planning.services_leadership import (
    policy_approve,
    policy_communication_record,
    policy_draft_create,
    raci_update,
)
from serviceloop.portfolio.models import Service

# (kind, title, description, impact, owner, review in days)
ISSUES = (
    ("external", "客户业务上云加速", "华东物流计划两年内将核心业务迁移到云上。",
     "云服务的可用性和容量要求提高，需要纳入容量和连续性计划。", "owner", 90),
    ("external", "《数据安全法》与等保 2.0 要求", "监管对个人信息和重要数据的保护要求趋严。",
     "信息安全控制和供方协议需要补充数据保护条款。", "owner", 60),
    ("external", "运维人才市场紧张", "有经验的运维工程师招聘周期超过三个月。",
     "值班覆盖和知识传承存在风险。", "admin", 120),
    ("internal", "服务台人员流动", "去年服务台两名骨干离职。", "新人上手慢，首次响应时间波动。",
     "lead", 45),
    ("internal", "监控工具分散", "网络、服务器和应用各有一套监控，告警无法关联。",
     "事件发现和定位慢，影响可用性指标。", "lead", -10),
    ("internal", "管理层重视认证", "总经理把 ISO/IEC 20000-1 认证列为年度目标。",
     "体系建设资源有保障。", "owner", 180),
)  # fmt: skip

# (name, category, requirements, how addressed, owner, review in days)
PARTIES = (
    ("华东物流 East China Logistics", "customer", "7×24 小时网络和 ERP 可用；重大事件 15 分钟内通报。",
     "SLA 与服务报告；重大事件通报流程。", "owner", 90),
    ("明德大学 Mingde University", "customer", "教学时段桌面支持及时；寒暑假安排变更窗口。",
     "延长支持日历；变更日历与停机窗口。", "owner", 90),
    ("员工 Staff", "staff", "清晰的职责和培训；合理的值班安排。", "RACI 矩阵；能力矩阵和培训计划。",
     "admin", 180),
    ("云资源供应商 Cloud supplier", "supplier", "按合同付款；变更提前通知。",
     "供方管理流程和季度评审。", "lead", 120),
    ("网信与公安部门 Regulators", "regulator", "网络安全等级保护；数据出境合规。",
     "信息安全控制；年度等保测评。", "owner", 60),
    ("股东 Shareholders", "owner", "服务盈利且风险可控。", "预算核算和管理评审。", "owner", 365),
)  # fmt: skip

SCOPE_STATEMENT = (
    "云栈科技的服务管理体系覆盖其从上海数据中心和杭州服务台向外部客户提供的 IT 运维服务："
    "企业网络、企业邮箱、ERP 应用运维、桌面支持、云主机与 VPN 远程接入，"
    "包括服务的策划、设计、转换、交付和改进。"
)
SCOPE_LOCATIONS = ["上海数据中心（浦东）", "杭州服务台（滨江）"]
SCOPE_SERVICES = ("network", "email", "erp", "desktop", "cloud", "vpn")
SCOPE_EXCLUSION = (
    "旧 OA 系统 legacy-oa",
    "该系统已进入退役阶段，只做只读访问支持，不再纳入服务管理体系的范围。",
)

POLICY_TITLE = "服务管理方针 Service management policy"
POLICY_BODY = """
<p>云栈科技致力于为客户提供<strong>可靠、安全、持续改进</strong>的 IT 服务。为此，我们承诺：</p>
<ol>
<li>满足与客户约定的服务级别，及时通报影响客户的事件；</li>
<li>遵守适用的法律法规和合同要求，保护客户数据安全；</li>
<li>以数据为依据设定并评审服务管理目标，每季度向管理层报告；</li>
<li>为员工提供必要的培训和资源，明确每个人在体系中的职责；</li>
<li>持续改进服务管理体系和服务的有效性。</li>
</ol>
<p>本方针由总经理批准，传达给全体员工和相关供方，并每年评审一次。</p>
"""

# process: {role: letters}
OWNER, ADMIN, LEAD, AGENT, AUDITOR, TOP = (
    Role.SYSTEM_OWNER, Role.PROVIDER_ADMIN, Role.TEAM_LEAD, Role.AGENT, Role.AUDITOR,
    Role.TOP_MANAGEMENT,
)  # fmt: skip
RACI = {
    "8.2.2": {OWNER: "A", ADMIN: "R", LEAD: "C", TOP: "I"},
    "8.2.3": {OWNER: "A", ADMIN: "R", LEAD: "C"},
    "8.2.4": {OWNER: "A", ADMIN: "R", LEAD: "C", AGENT: "I"},
    "8.2.5": {ADMIN: "RA", LEAD: "C"},
    "8.2.6": {ADMIN: "A", LEAD: "R", AGENT: "C"},
    "8.3.2": {OWNER: "A", ADMIN: "R", TOP: "I"},
    "8.3.3": {OWNER: "A", LEAD: "R", AGENT: "I", TOP: "I"},
    "8.3.4": {ADMIN: "RA", OWNER: "C"},
    "8.4.1": {ADMIN: "R", TOP: "A", OWNER: "C"},
    "8.4.2": {ADMIN: "A", LEAD: "R"},
    "8.4.3": {ADMIN: "A", LEAD: "R", AGENT: "I"},
    "8.5.1": {OWNER: "A", LEAD: "R", AGENT: "C", ADMIN: "C"},
    "8.5.2": {ADMIN: "A", LEAD: "R", OWNER: "C"},
    "8.5.3": {LEAD: "RA", AGENT: "C"},
    "8.6.1": {LEAD: "A", AGENT: "R", OWNER: "I"},
    "8.6.2": {LEAD: "A", AGENT: "R"},
    "8.6.3": {LEAD: "RA", AGENT: "C", OWNER: "I"},
    "8.7.1": {ADMIN: "A", LEAD: "R"},
    "8.7.2": {ADMIN: "A", LEAD: "R", TOP: "I"},
    "8.7.3": {ADMIN: "RA", OWNER: "C", AUDITOR: "C"},
    "9.1": {OWNER: "RA", LEAD: "C", TOP: "I"},
    "9.2": {OWNER: "A", AUDITOR: "R", LEAD: "C"},
    "9.3": {TOP: "A", OWNER: "R", AUDITOR: "C"},
    "9.4": {OWNER: "A", LEAD: "R", TOP: "I"},
    "10.1": {OWNER: "A", LEAD: "R", AUDITOR: "C"},
    "10.2": {OWNER: "RA", TOP: "C", LEAD: "C"},
}


def demo_records(write=print) -> int:
    people = {
        u.username: u
        for u in User.objects.filter(username__in=["owner", "admin", "lead", "ceo", "agent"])
    }
    owner, ceo = people.get("owner"), people.get("ceo")
    if owner is None or ceo is None:
        return 0
    today = timezone.localdate()
    created = 0
    with transaction.atomic():
        titles = set(ContextIssue.objects.values_list("title", flat=True))
        for kind, title, description, impact, who, days in ISSUES:
            if title in titles:
                continue
            issue_create(
                actor=owner, kind=kind, title=title, description=description, impact=impact,
                owner=people.get(who, owner), review_on=today + datetime.timedelta(days=days),
            )  # fmt: skip
            created += 1
        names = set(InterestedParty.objects.values_list("name", flat=True))
        for name, category, requirements, addressed, who, days in PARTIES:
            if name in names:
                continue
            party_create(
                actor=owner, name=name, category=category, requirements=requirements,
                how_addressed=addressed, owner=people.get(who, owner),
                review_on=today + datetime.timedelta(days=days),
            )  # fmt: skip
            created += 1
        created += _scope(owner, ceo)
        created += _policy(owner, ceo, today)
        if not RaciAssignment.objects.exists():
            cells = {
                (process, role): letters
                for process, roles in RACI.items()
                for role, letters in roles.items()
            }
            created += raci_update(actor=owner, cells=cells)
    if created:
        write(f"{created} context and leadership records")
    return created


def _scope(owner, ceo) -> int:
    services = list(Service.objects.filter(code__in=SCOPE_SERVICES))
    if not services or ScopeStatement.objects.filter(status=VersionStatus.APPROVED).exists():
        return 0  # the services come with the portfolio's demo records
    draft = ScopeStatement.objects.filter(status=VersionStatus.DRAFT).first()
    draft = draft or scope_draft_create(actor=owner)
    exclusions = [
        {"subject": e.subject, "justification": e.justification, "module": e.module}
        for e in draft.exclusions.all()
    ]
    exclusions.append({"subject": SCOPE_EXCLUSION[0], "justification": SCOPE_EXCLUSION[1]})
    draft = scope_update(
        actor=owner,
        scope=draft,
        statement=SCOPE_STATEMENT,
        change_summary="首版范围说明。",
        locations=SCOPE_LOCATIONS,
        services=services,
        customers=list(Organisation.objects.customers()),
        exclusions=exclusions,
    )
    scope_approve(actor=ceo, scope=draft, note="经总经理办公会审议通过。")
    return 1


def _policy(owner, ceo, today) -> int:
    if PolicyVersion.objects.filter(status=VersionStatus.APPROVED).exists():
        return 0
    draft = PolicyVersion.objects.filter(status=VersionStatus.DRAFT).first()
    draft = draft or policy_draft_create(actor=owner, title=POLICY_TITLE, body=POLICY_BODY)
    policy = policy_approve(actor=ceo, policy=draft, note="批准发布。")
    policy_communication_record(
        actor=owner, policy=policy, communicated_on=today, audience="全体员工",
        channel="meeting", note="月度全员大会宣讲，并在内网公布。",
    )  # fmt: skip
    policy_communication_record(
        actor=owner, policy=policy, communicated_on=today, audience="主要供方",
        channel="email", note="随季度供方评审邮件发送。",
    )  # fmt: skip
    return 3
