"""Demo records of the documents part: our starter set of five documents in Chinese and
English (an SLA template, the incident handling manual, the information security policy, the
change procedure, an internal audit checklist template), all in force; the security policy in
its second version (the first kept as obsolete), a revision of the change procedure in review,
and a read-and-acknowledge campaign on the policy that half the people have answered.

Idempotent: a document whose title exists is left alone, and the campaign is started only
when the policy has none. Written through the document services with the clock set back.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from serviceloop.core.models import Team, User
from serviceloop.core.roles import Role
from serviceloop.support import services_document_campaigns as campaign_services
from serviceloop.support import services_document_versions as version_services
from serviceloop.support import services_documents as services
from serviceloop.support.models import Document

DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class StarterDocument:
    title: str
    kind: str
    clauses: str
    body: str
    age_days: int = 200
    review_interval_months: int = 12


SLA_TEMPLATE = StarterDocument(
    "服务级别协议模板 Service level agreement template",
    "form_template",
    "8.3.3",
    """<h2>1 服务与范围 Service and scope</h2>
<p>服务名称、服务内容、不包含的内容、服务的用户范围。</p>
<p>Name the service, what it includes and excludes, and who may use it.</p>
<h2>2 服务时间 Service hours</h2>
<p>支持时间（例如：工作日 9:00–18:00，法定节假日及调休按国家安排）；7×24 值守的范围。</p>
<p>Support hours (e.g. working days 9:00–18:00, public holidays and make-up workdays as
announced); what is covered around the clock.</p>
<h2>3 服务目标 Service targets</h2>
<table><thead><tr><th>优先级 Priority</th><th>首次响应 First response</th><th>解决 Resolution</th></tr></thead>
<tbody><tr><td>P1</td><td>15 分钟 min</td><td>4 小时 h</td></tr>
<tr><td>P2</td><td>30 分钟 min</td><td>8 小时 h</td></tr>
<tr><td>P3</td><td>2 小时 h</td><td>3 个工作日 working days</td></tr>
<tr><td>P4</td><td>4 小时 h</td><td>5 个工作日 working days</td></tr></tbody></table>
<p>可用性目标（例如每月 99.5%），计划内维护不计入中断。Availability target (e.g. 99.5 % a
month); announced maintenance does not count as an outage.</p>
<h2>4 双方职责 Responsibilities</h2>
<p>服务方：按目标响应和解决，按月报告。客户：指定联系人，及时提供信息和确认解决。</p>
<p>Provider: respond and resolve within the targets, report monthly. Customer: name contacts,
give information promptly, confirm resolutions.</p>
<h2>5 报告与评审 Reporting and review</h2>
<p>每月服务报告；每季度服务评审会议；协议每年评审一次。Monthly service report; quarterly
service review; the agreement is reviewed every year.</p>""",
    age_days=260,
)

INCIDENT_MANUAL = StarterDocument(
    "服务事件处理手册 Incident handling manual",
    "procedure",
    "8.6.1",
    """<h2>1 目的 Purpose</h2>
<p>尽快恢复服务，减少对业务的影响。Restore the service as fast as possible and limit the
harm to the business.</p>
<h2>2 步骤 Steps</h2>
<ol><li>记录：每个事件都建工单，写明现象、影响范围和联系人。Record every incident as a ticket:
symptom, who is affected, contact.</li>
<li>分类与定级：按影响和紧急度确定优先级（P1–P4）。Categorise and set the priority from impact
and urgency.</li>
<li>诊断：先查知识库和已知错误；15 分钟内无进展则升级到二线。Diagnose: search the knowledge base
and known errors first; escalate to second line after 15 minutes without progress.</li>
<li>解决与恢复：记录解决方法；需要变更时走变更程序。Resolve and restore; record the fix; a fix that
needs a change follows the change procedure.</li>
<li>关闭：与用户确认后关闭。Close once the user confirms.</li></ol>
<h2>3 重大事件 Major incidents</h2>
<p>P1 事件立即通知值班经理，每 60 分钟向客户通报进展，事后 5 个工作日内完成复盘。Tell the duty
manager at once, update customers every 60 minutes, hold a review within 5 working days.</p>""",
    age_days=240,
)

SECURITY_POLICY = StarterDocument(
    "信息安全方针 Information security policy",
    "policy",
    "5.2, 8.7.3",
    """<h2>方针 Policy</h2>
<p>我们保护客户数据和服务的保密性、完整性和可用性，遵守法律法规和合同要求。We protect the
confidentiality, integrity and availability of our customers' data and services, and meet the
law and our contracts.</p>
<ul><li>最小权限：只授予工作所需的访问权限，每季度复核。Least privilege: access only as the work
needs it, reviewed every quarter.</li>
<li>账号：个人账号，不共享密码，管理员账号启用多因素认证。Personal accounts, no shared passwords,
multi-factor authentication for administrators.</li>
<li>事件：发现安全事件立即报告服务台。Report a security incident to the service desk at once.</li>
<li>供应商：接触客户数据的供应商须签署保密协议。Suppliers who handle customer data sign a
confidentiality agreement.</li></ul>
<p>违反本方针按公司制度处理。Breaches are handled under the company's rules.</p>""",
    age_days=380,
)

SECURITY_POLICY_V2 = SECURITY_POLICY.body.replace(
    "</ul>",
    "<li>远程办公：只通过公司 VPN 访问内部系统。Remote work: internal systems only through "
    "the company VPN.</li></ul>",
)

CHANGE_PROCEDURE = StarterDocument(
    "变更管理程序 Change management procedure",
    "procedure",
    "8.5.1",
    """<h2>1 变更类型 Kinds of change</h2>
<p>标准变更：预先批准、风险低、步骤固定。普通变更：需评估并经变更咨询委员会（CAB）批准。紧急变更：
为恢复服务，由值班经理批准，事后补审。Standard: pre-approved, low risk, fixed steps. Normal:
assessed and approved by the CAB. Emergency: to restore service, approved by the duty manager,
reviewed afterwards.</p>
<h2>2 流程 Flow</h2>
<ol><li>提出变更申请：目的、范围、风险、回退方案。Raise a request: purpose, scope, risk,
back-out plan.</li>
<li>评估：影响的服务和配置项、停机时间。Assess: services and CIs affected, downtime.</li>
<li>批准与排期：避开业务高峰，提前通知客户。Approve and schedule outside business peaks;
tell customers in advance.</li>
<li>实施与验证；失败则回退。Implement and verify; back out if it fails.</li>
<li>评审并关闭。Review and close.</li></ol>""",
    age_days=220,
)

AUDIT_CHECKLIST = StarterDocument(
    "内部审核检查表模板 Internal audit checklist template",
    "form_template",
    "9.2",
    """<p>审核编号、过程、审核员、日期。Audit reference, process, auditor, date.</p>
<table><thead><tr><th>条款 Clause</th><th>检查内容 What to check</th><th>证据 Evidence</th>
<th>结论 Finding</th></tr></thead><tbody>
<tr><td>7.5</td><td>文件经批准、在用版本可获得、作废版本已标识。Documents approved, the current
version available, obsolete ones marked.</td><td></td><td></td></tr>
<tr><td>8.6.1</td><td>抽查 10 张事件单：记录完整、优先级正确、按时解决。Sample 10 incidents:
complete, right priority, resolved in time.</td><td></td><td></td></tr>
<tr><td>8.5.1</td><td>抽查 5 个变更：有评估、有批准、有回退方案。Sample 5 changes: assessed,
approved, with a back-out plan.</td><td></td><td></td></tr>
<tr><td>7.2</td><td>岗位能力要求已定义，培训有记录。Competence defined per role, training
recorded.</td><td></td><td></td></tr></tbody></table>
<p>结论：符合 / 轻微不符合 / 严重不符合 / 观察项。Finding: conforms / minor nonconformity /
major nonconformity / observation.</p>""",
    age_days=200,
    review_interval_months=24,
)

STARTER_SET = (SLA_TEMPLATE, INCIDENT_MANUAL, SECURITY_POLICY, CHANGE_PROCEDURE, AUDIT_CHECKLIST)


def _people() -> dict[str, User | None]:
    by_name = {u.username: u for u in User.objects.filter(is_active=True)}

    def first(role):
        return User.objects.filter(is_active=True, role=role).order_by("pk").first()

    return {
        "owner": by_name.get("owner") or first(Role.SYSTEM_OWNER),
        "top": by_name.get("ceo") or first(Role.TOP_MANAGEMENT),
        "lead": by_name.get("lead") or first(Role.TEAM_LEAD),
        "agent": by_name.get("agent") or first(Role.AGENT),
        "auditor": by_name.get("auditor") or first(Role.AUDITOR),
    }


def _write(spec: StarterDocument, people, now) -> Document:
    owner, top = people["owner"], people["top"]
    start = now - datetime.timedelta(days=spec.age_days)
    document = services.document_create(
        actor=owner,
        title=spec.title,
        kind=spec.kind,
        clauses=spec.clauses,
        review_interval_months=spec.review_interval_months,
        body=spec.body,
        change_summary="首版 First issue",
        approvers=[top],
        now=start,
    )
    version = document.current_version
    version_services.version_transition(
        actor=owner, version=version, target="in_review", now=start + DAY
    )
    version_services.version_approve(actor=top, version=version, now=start + 2 * DAY)
    document.refresh_from_db()
    return document


def _revise(document: Document, people, *, body, summary, at, approve: bool, reviewers=()):
    owner, top = people["owner"], people["top"]
    version = version_services.version_create(
        actor=owner,
        document=document,
        body=body,
        change_summary=summary,
        reviewers=list(reviewers),
        now=at,
    )
    version_services.version_transition(
        actor=owner, version=version, target="in_review", now=at + DAY
    )
    if approve:
        version_services.version_approve(actor=top, version=version, now=at + 2 * DAY)
    return version


def demo_records(write=print) -> int:
    """Create what is missing of the documents demo; returns the number of records created
    (documents and campaigns)."""
    people = _people()
    if people["owner"] is None or people["top"] is None:
        write("no management-system owner or top management: documents demo skipped")
        return 0
    now = timezone.now()
    existing = set(Document.objects.values_list("title", flat=True))
    created = 0
    for spec in STARTER_SET:
        if spec.title in existing:
            continue
        document = _write(spec, people, now)
        created += 1
        if spec is SECURITY_POLICY:
            _revise(
                document,
                people,
                body=SECURITY_POLICY_V2,
                summary="增加远程办公要求 Remote work rule added",
                at=now - 60 * DAY,
                approve=True,
            )
        elif spec is CHANGE_PROCEDURE and people["lead"] is not None:
            _revise(
                document,
                people,
                body=spec.body.replace(
                    "<li>评审并关闭。",
                    "<li>更新配置管理数据库。Update the CMDB.</li><li>评审并关闭。",
                ),
                summary="增加 CMDB 更新步骤 CMDB update step",
                at=now - 3 * DAY,
                approve=False,
                reviewers=[people["lead"]],
            )
    if created:
        write(f"{created} starter documents")
    created += _campaign(people, now, write)
    return created


def _campaign(people, now, write) -> int:
    policy = Document.objects.filter(title=SECURITY_POLICY.title).first()
    if policy is None or policy.effective_version is None or policy.campaigns.exists():
        return 0
    desk = Team.objects.filter(name__startswith="一线服务台").first()
    start = now - 20 * DAY
    campaign = campaign_services.campaign_create(
        actor=people["owner"],
        version=policy.effective_version,
        deadline=timezone.localdate(now) + 10 * DAY,
        teams=[desk] if desk else [],
        roles=[Role.AUDITOR, Role.TOP_MANAGEMENT, Role.PROVIDER_ADMIN],
        people=[p for p in (people["lead"], people["agent"]) if p],
        title="请阅读信息安全方针第 2 版 Please read the security policy, version 2",
        message="新增远程办公要求。Adds the remote-work rule.",
        now=start,
    )
    rows = list(campaign.acknowledgements.select_related("person").order_by("person__username"))
    for index, row in enumerate(rows[: len(rows) // 2]):
        campaign_services.acknowledgement_give(
            actor=row.person, campaign=campaign, now=start + (index + 1) * DAY
        )
    write(f"campaign {campaign.reference}: {len(rows) // 2} of {len(rows)} acknowledged")
    return 1
