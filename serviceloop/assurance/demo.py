"""Demo records of service assurance, written through the same services as in real use:
the security team, availability targets, outages of the live services over the last three
months (the demo's major incidents, changes' maintenance windows, and a few recorded by hand),
a continuity plan with a test per critical service, the starter controls, six security risks,
one confidential security incident, and a single-point-of-failure scan of the CMDB.

Idempotent: each record is looked up first (by title, ticket, change or code) and only what is
missing is created; returns the number of records created.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from serviceloop.assurance import queries
from serviceloop.assurance.lifecycle import PlanStatus
from serviceloop.assurance.models import (
    AvailabilityTarget,
    ContinuityPlan,
    ControlStatus,
    Outage,
    OutageKind,
    SecurityControl,
    SecurityRisk,
)
from serviceloop.assurance.services_availability import (
    outage_create,
    outage_from_change,
    outage_from_incident,
    target_set,
)
from serviceloop.assurance.services_continuity import (
    plan_create,
    plan_test_record,
    plan_transition,
)
from serviceloop.assurance.services_security import security_incident_create
from serviceloop.assurance.services_security_register import (
    control_update,
    controls_seed,
    risk_create,
)
from serviceloop.assurance.services_spof import spof_scan
from serviceloop.core.models import Organisation, OrganisationKind, Team, User
from serviceloop.desk.models import Kind, Ticket
from serviceloop.portfolio.models import ConfigurationItem, Service, ServiceStatus
from serviceloop.transition.models import ChangeRequest

DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)
MINUTE = datetime.timedelta(minutes=1)

TARGETS = {"network": "99.900", "email": "99.500", "erp": "99.000", "cloud": "99.900"}

# (service code, days ago, local start hh:mm:ss, minutes, title); unplanned, recorded by hand
MANUAL_OUTAGES = (
    ("network", 78, "10:12:40", 47, "核心交换机故障切换 Core switch failover flapped"),
    ("email", 64, "09:31:05", 95, "邮件网关证书失效 Mail gateway certificate expired"),
    ("cloud", 51, "02:14:00", 180, "存储阵列控制器重启 SAN controller restart"),
    ("network", 33, "14:05:30", 22, "互联网出口中断 Internet uplink down"),
    ("email", 19, "11:40:00", 38, "邮箱数据库切换 Mailbox database failover"),
    ("cloud", 8, "16:20:15", 65, "虚拟化主机宕机 ESXi host crashed"),
    ("network", 8, "16:35:00", 30, "无线控制器随主机宕机 Wi-Fi controller down with the host"),
)
PLANNED_OUTAGES = (
    ("email", 45, "22:00:00", 120, "邮件服务器补丁 Mail server patching", True),
    ("network", 12, "23:00:00", 90, "防火墙固件升级 Firewall firmware upgrade", False),
)

CRITICAL = ("network", "email", "erp", "cloud")
PLAN_STEPS = (
    (
        "确认故障范围并通知服务台与客户 Confirm the scope; tell the service desk and customers",
        "值班经理 Duty manager",
    ),
    (
        "宣布启动连续性计划并召集恢复小组 Invoke the plan and call the recovery team",
        "计划负责人 Plan owner",
    ),
    (
        "切换到备用站点或备用组件 Fail over to the standby site or component",
        "运维工程师 Operations engineer",
    ),
    (
        "从最近的备份恢复数据并核对 Restore data from the latest backup and check it",
        "数据库管理员 DBA",
    ),
    (
        "验证业务功能并通知客户恢复 Verify the service works; tell customers it is back",
        "服务负责人 Service owner",
    ),
    ("回切并撰写事后报告 Fail back and write the post-incident report", "计划负责人 Plan owner"),
)
PLAN_RTO = {"network": (60, 0), "email": (240, 60), "erp": (480, 240), "cloud": (240, 60)}

RISKS = (
    {
        "title": "管理员账号被盗用 Administrator account takeover",
        "asset": "域管理员账号 Domain admin accounts",
        "threat": "钓鱼窃取凭据 Credential phishing",
        "vulnerability": "管理员账号未启用多因素认证 No MFA on admin accounts",
        "likelihood": 3,
        "impact": 5,
        "treatment": "mitigate",
        "treatment_plan": "所有管理员账号启用 MFA，独立管理员账号。",
        "controls": ("SL-03", "SL-04"),
    },
    {
        "title": "勒索软件加密生产数据 Ransomware encrypts production data",
        "ci": "db-srv-01",
        "asset": "ERP 与邮件归档数据库 ERP and mail archive databases",
        "threat": "勒索软件 Ransomware",
        "vulnerability": "备份与生产同网段 Backups on the production network",
        "likelihood": 2,
        "impact": 5,
        "treatment": "mitigate",
        "treatment_plan": "离线备份与每季度恢复演练。",
        "controls": ("SL-06", "SL-07"),
    },
    {
        "title": "客户数据经邮件外泄 Customer data leaks by e-mail",
        "asset": "客户联系人与合同 Customer contacts and contracts",
        "threat": "误发或恶意外发 Misdirected or malicious mail",
        "vulnerability": "无外发数据防泄漏规则 No outbound DLP rules",
        "likelihood": 3,
        "impact": 3,
        "treatment": "mitigate",
        "treatment_plan": "启用外发邮件 DLP 规则；安全意识培训。",
        "controls": ("SL-12",),
    },
    {
        "title": "机房单路供电 Single power feed to the server room",
        "asset": "机房 A Server room A",
        "threat": "市电中断 Mains power cut",
        "vulnerability": "UPS 仅支撑 15 分钟 UPS lasts 15 minutes",
        "likelihood": 2,
        "impact": 4,
        "treatment": "transfer",
        "treatment_plan": "托管至双路供电的数据中心（合同谈判中）。",
        "controls": ("SL-14",),
    },
    {
        "title": "未修补的 VPN 网关漏洞 Unpatched VPN gateway flaw",
        "asset": "VPN 网关 VPN gateway",
        "threat": "利用已知漏洞 Exploitation of a known flaw",
        "vulnerability": "补丁窗口 60 天 60-day patch window",
        "likelihood": 4,
        "impact": 4,
        "treatment": "mitigate",
        "treatment_plan": "关键补丁 14 天内安装。",
        "controls": ("SL-05",),
    },
    {
        "title": "访客网络嗅探 Sniffing on the guest Wi-Fi",
        "asset": "访客无线网络 Guest Wi-Fi",
        "threat": "窃听 Eavesdropping",
        "vulnerability": "访客网络与办公网络隔离 Guest network is isolated",
        "likelihood": 1,
        "impact": 2,
        "treatment": "accept",
        "treatment_plan": "访客网络已隔离且不承载业务数据，风险可接受。",
        "controls": ("SL-09",),
    },
)
CONTROL_STATES = {
    "SL-01": (ControlStatus.IMPLEMENTED, ""),
    "SL-04": (ControlStatus.PARTIAL, ""),
    "SL-06": (ControlStatus.IMPLEMENTED, ""),
    "SL-07": (ControlStatus.PARTIAL, ""),
    "SL-14": (
        ControlStatus.NOT_APPLICABLE,
        "服务器已托管在第三方数据中心，物理安全由其负责并在合同中约定。",
    ),
}


def _at(days_ago: int, clock: str, now) -> datetime.datetime:
    """Local time ``clock`` on the day ``days_ago`` days before ``now``."""
    zone = timezone.get_default_timezone()
    day = timezone.localtime(now, zone).date() - datetime.timedelta(days=days_ago)
    hour, minute, second = (int(part) for part in clock.split(":"))
    return datetime.datetime.combine(day, datetime.time(hour, minute, second), tzinfo=zone)


def _security_team(admin, people) -> int:
    provider = Organisation.objects.filter(kind=OrganisationKind.PROVIDER).first()
    if (
        provider is None
        or not settings.SECURITY_TEAM
        or Team.objects.filter(organisation=provider, name=settings.SECURITY_TEAM).exists()
    ):
        return 0
    from serviceloop.core.services.organisations import team_create

    team_create(
        actor=None,
        organisation=provider,
        name=settings.SECURITY_TEAM,
        lead=people.get("admin"),
        members=[p for p in (people.get("admin"), people.get("lead")) if p],
        description="处理保密的信息安全事件 Handles confidential security incidents.",
    )
    return 1


def _outages(admin, services, now, write) -> int:
    created = 0
    for ticket in Ticket.objects.filter(kind=Kind.INCIDENT, is_major=True).exclude(
        status="cancelled"
    ):
        service = queries.service_for_ticket(ticket)
        if service is None or Outage.objects.filter(ticket=ticket, service=service).exists():
            continue
        if ticket.created_at < now - 92 * DAY:
            continue
        outage = outage_from_incident(actor=admin, ticket=ticket, service=service, now=now)
        created += 1
        write(f"outage {outage.reference} from {ticket.reference}")
    for code, days, clock, minutes, title in MANUAL_OUTAGES:
        service = services.get(code)
        if service is None or Outage.objects.filter(service=service, title=title).exists():
            continue
        start = _at(days, clock, now)
        outage_create(
            actor=admin,
            service=service,
            title=title,
            start=start,
            end=start + minutes * MINUTE,
            now=now,
        )
        created += 1
    for code, days, clock, minutes, title, announced in PLANNED_OUTAGES:
        service = services.get(code)
        if service is None or Outage.objects.filter(service=service, title=title).exists():
            continue
        start = _at(days, clock, now)
        outage_create(
            actor=admin,
            service=service,
            title=title,
            kind=OutageKind.PLANNED,
            start=start,
            end=start + minutes * MINUTE,
            announced_at=start - 3 * DAY if announced else None,
            now=now,
        )
        created += 1
    changes = (
        ChangeRequest.objects.filter(
            services__status=ServiceStatus.LIVE,
            planned_start__isnull=False,
            planned_start__gte=now - 92 * DAY,
        )
        .distinct()
        .order_by("planned_start")[:3]
    )
    for change in changes:
        for service in change.services.filter(status=ServiceStatus.LIVE):
            if Outage.objects.filter(change=change, service=service).exists():
                continue
            start, end = queries.change_window(change)
            if end is None or start is None:
                continue
            outage_from_change(actor=admin, change=change, service=service, now=now)
            created += 1
    return created


def _plans(admin, people, services, now, write) -> int:
    created = 0
    today = timezone.localdate(now)
    for n, code in enumerate(CRITICAL):
        service = services.get(code)
        if service is None or ContinuityPlan.objects.filter(service=service).exists():
            continue
        rto, rpo = PLAN_RTO[code]
        owner = service.owner or admin
        plan = plan_create(
            actor=admin,
            service=service,
            title=f"{service.name} 连续性计划 continuity plan",
            rto_minutes=rto,
            rpo_minutes=rpo,
            invocation_criteria=(
                "服务完全中断超过 30 分钟且无法在 RTO 内修复，由值班经理决定启动。\n"
                "The service is down for more than 30 minutes and cannot be fixed within the "
                "RTO; the duty manager decides."
            ),
            owner=owner,
            review_on=today + (60 + 30 * n) * DAY,
            test_due_on=today + 90 * DAY,
            steps=PLAN_STEPS,
            contacts=[
                {"name": str(owner), "role": "计划负责人 Plan owner", "phone": "+86 21 5555 0100"},
                {
                    "name": "值班经理 Duty manager",
                    "role": "启动决策 Decides invocation",
                    "phone": "+86 21 5555 0199",
                    "email": "duty@cloudstack.example.cn",
                },
            ],
            now=now,
        )
        plan = plan_transition(actor=admin, plan=plan, target=PlanStatus.ACTIVE, now=now)
        partial = code == "email"
        # the cloud plan was last tested over a year ago: its test shows as overdue
        tested_on = today - (380 if code == "cloud" else 40 + 20 * n) * DAY
        plan_test_record(
            actor=admin,
            plan=plan,
            kind="live" if code == "network" else "tabletop",
            tested_on=tested_on,
            result="partial" if partial else "pass",
            summary=(
                "按步骤演练，联系人清单需要更新。Walked through the steps; the contact list "
                "was out of date."
                if partial
                else "全部步骤按计划完成。Every step worked as planned."
            ),
            participants=[p for p in (owner, people.get("agent")) if p],
            recovery_minutes=rto - 15 if rto > 15 else rto,
            issues=[
                {
                    "description": "联系人电话已过期 Two phone numbers were out of date",
                    "action": "更新联系人清单并每季度核对 Update the list; check it quarterly",
                    "owner": people.get("lead") or admin,
                    "due_on": today + 14 * DAY,
                }
            ]
            if partial
            else [],
            now=now,
        )
        created += 1
        write(f"continuity plan {plan.reference} {service.code}")
    return created


def _security(admin, people, now, write) -> int:
    created = controls_seed(actor=None, now=now)
    if created:
        write(f"{created} starter security controls")
        for code, (status, justification) in CONTROL_STATES.items():
            control = SecurityControl.objects.filter(code=code).first()
            if control is not None:
                control_update(
                    actor=admin,
                    control=control,
                    status=status,
                    justification=justification,
                    owner=people.get("owner") or admin,
                    evidence_links=["https://wiki.cloudstack.example.cn/security/" + code.lower()],
                    now=now,
                )
    owners = [p for p in (people.get("owner"), people.get("admin"), people.get("lead")) if p]
    today = timezone.localdate(now)
    for n, spec in enumerate(RISKS):
        if SecurityRisk.objects.filter(title=spec["title"]).exists():
            continue
        item = ConfigurationItem.objects.filter(name=spec.get("ci", "")).first()
        risk_create(
            actor=admin,
            title=spec["title"],
            configuration_item=item,
            asset=spec["asset"],
            threat=spec["threat"],
            vulnerability=spec["vulnerability"],
            likelihood=spec["likelihood"],
            impact=spec["impact"],
            treatment=spec["treatment"],
            treatment_plan=spec["treatment_plan"],
            owner=owners[n % len(owners)],
            review_on=today + (30 * (n + 1) - 45) * DAY,
            controls=list(SecurityControl.objects.filter(code__in=spec["controls"])),
            now=now,
        )
        created += 1
    title = "可疑登录与邮箱转发规则 Suspicious sign-ins and a mailbox forwarding rule"
    if not Ticket.objects.filter(title=title).exists():
        from serviceloop.desk.services.tickets import ticket_create

        customer = Organisation.objects.filter(short_name="ECL").first()
        requester = User.objects.filter(username="ecl.user").first()
        if customer is not None and requester is not None:
            detected = now - 30 * HOUR
            ticket = ticket_create(
                actor=admin,
                organisation=customer,
                requester=requester,
                title=title,
                description="用户发现邮箱中有未知的自动转发规则，转发到外部地址。",
                service="邮件服务 Email",
                impact=2,
                urgency=1,
                now=detected,
            )
            incident = security_incident_create(
                actor=admin,
                ticket=ticket,
                classification="unauthorised_access",
                detected_at=detected,
                personal_data=True,
                summary=(
                    "一个邮箱被异地登录并添加了外发转发规则，可能泄露客户联系人信息。"
                    "A mailbox was signed into from abroad and a forwarding rule added."
                ),
                viewers=[p for p in (people.get("owner"),) if p],
                now=now,
            )
            created += 1
            write(f"confidential security incident {incident.reference}")
    return created


def demo_records(write=print) -> int:
    """Create what is missing of the assurance demo; returns the number of records created."""
    people = {
        u.username: u
        for u in User.objects.filter(username__in=["admin", "owner", "lead", "agent", "agent2"])
    }
    admin = people.get("admin")
    if admin is None:
        return 0
    now = timezone.now().replace(microsecond=0)
    services = {s.code: s for s in Service.objects.filter(status=ServiceStatus.LIVE)}
    created = 0
    with transaction.atomic():
        created += _security_team(admin, people)
        for code, percent in TARGETS.items():
            service = services.get(code)
            if (
                service is not None
                and not AvailabilityTarget.objects.filter(service=service).exists()
            ):
                target_set(actor=admin, service=service, target_percent=percent, now=now)
                created += 1
        created += _outages(admin, services, now, write)
        created += _plans(admin, people, services, now, write)
        created += _security(admin, people, now, write)
        scan = spof_scan(actor=None, now=now)
        created += scan["created"]
    return created
