"""Demo records of the service desk: categories routed to teams, a standard SLA policy on
China's working days, and a year of tickets with realistic outcomes (idempotent).

Tickets are created and worked through the same services as in real use, with the clock
set back (``now=``), so their SLA figures are the product's own computation.
"""

import datetime
import random

from django.db import transaction
from django.utils import timezone

from serviceloop.core.models import Calendar, Organisation, Team, User
from serviceloop.core.roles import Role
from serviceloop.desk.lifecycle import Status
from serviceloop.desk.models import (
    CannedResponse,
    Category,
    Kind,
    Problem,
    ProblemStatus,
    RequestType,
    SlaPolicy,
    SlaPolicyVersion,
    Source,
    Ticket,
)
from serviceloop.desk.services.tickets import (
    ticket_comment,
    ticket_create,
    ticket_transition,
)

CATEGORIES = (
    ("网络 Network", "二线运维 Infrastructure"),
    ("邮件 E-mail", "一线服务台 Service Desk"),
    ("账号与权限 Accounts & access", "一线服务台 Service Desk"),
    ("办公终端 Workplace devices", "一线服务台 Service Desk"),
    ("业务系统 Business applications", "二线运维 Infrastructure"),
)
SERVICES = ("ERP", "企业邮箱 Mail", "VPN", "办公网络 Office network", "OA")
TITLES = {
    "网络 Network": ["办公室网络断开", "VPN 无法连接", "Wi-Fi slow on 3rd floor", "网络延迟很高"],
    "邮件 E-mail": ["邮箱无法收信", "Outlook keeps asking for password", "邮件发送被退回"],
    "账号与权限 Accounts & access": ["账号被锁定", "申请 ERP 访问权限", "Reset my password"],
    "办公终端 Workplace devices": ["打印机卡纸", "电脑无法开机", "New laptop for a new hire"],
    "业务系统 Business applications": [
        "ERP 报表导出失败",
        "OA 审批流程卡住",
        "ERP login error 500",
    ],
}
TARGETS = {
    "P1": {"response": 15, "resolution": 240, "update": 60},
    "P2": {"response": 30, "resolution": 480},
    "P3": {"response": 120, "resolution": 1440},
    "P4": {"response": 240, "resolution": 2880},
}


def demo_records(write=print, *, tickets: int = 2000, seed: int = 20261126) -> int:
    """Create the desk's demo records if missing; returns the number of tickets created."""
    if Ticket.objects.exists():
        return 0
    rng = random.Random(seed)
    with transaction.atomic():
        teams = {team.name: team for team in Team.objects.all()}
        categories = []
        for name, team in CATEGORIES:
            category, _created = Category.objects.get_or_create(
                name=name, defaults={"default_team": teams.get(team)}
            )
            categories.append(category)
        calendar = Calendar.objects.get(name="cn-workdays")
        if not SlaPolicy.objects.exists():
            policy = SlaPolicy.objects.create(name="标准服务级别 Standard SLA", rank=100)
            SlaPolicyVersion.objects.create(
                policy=policy,
                number=1,
                calendar=calendar,
                targets=TARGETS,
                warn_percent=75,
                published_at=timezone.now() - datetime.timedelta(days=400),
            )
            write("SLA policy 标准服务级别 Standard SLA v1")
        _catalogue(categories)
    customers = list(Organisation.objects.customers())
    requesters = {
        c.pk: list(User.objects.filter(organisation=c, is_active=True)) for c in customers
    }
    agents = list(User.objects.filter(role__in=[Role.AGENT, Role.TEAM_LEAD], is_active=True))
    now = timezone.now()
    created = 0
    for n in range(tickets):
        age = datetime.timedelta(minutes=rng.randint(60, 365 * 24 * 60))
        start = now - age
        customer = rng.choice(customers)
        category = rng.choice(categories)
        # A recurring class: VPN trouble for one customer, many times in the last month.
        if n % 40 == 0:
            category, title, service = categories[0], "VPN 无法连接", "VPN"
            start = now - datetime.timedelta(hours=rng.randint(2, 30 * 24))
        else:
            title, service = rng.choice(TITLES[category.name]), rng.choice(SERVICES)
        ticket = ticket_create(
            actor=None,
            organisation=customer,
            requester=rng.choice(requesters[customer.pk]),
            title=title,
            description=f"{title}. (demo)",
            kind=Kind.REQUEST if "申请" in title or "New" in title else Kind.INCIDENT,
            service=service,
            category=category,
            impact=rng.choice([2, 3, 3, 4, 4, 4]),
            urgency=rng.choice([1, 2, 3, 3, 4]),
            source=rng.choice([Source.PORTAL, Source.EMAIL, Source.AGENT]),
            now=start,
        )
        created += 1
        agent = ticket.assignee or rng.choice(agents)
        if age < datetime.timedelta(days=2) and rng.random() < 0.6:
            continue  # still open
        t = start + datetime.timedelta(minutes=rng.randint(5, 240))
        ticket_comment(actor=agent, ticket=ticket, body="我们正在处理。We are on it.", now=t)
        if rng.random() < 0.25:
            t += datetime.timedelta(minutes=rng.randint(10, 120))
            ticket_transition(actor=agent, ticket=ticket, target=Status.WAITING_CUSTOMER, now=t)
            t += datetime.timedelta(hours=rng.randint(1, 48))
            ticket_comment(
                actor=ticket.requester, ticket=ticket, body="补充信息见附件。Details added.", now=t
            )
        t += datetime.timedelta(minutes=rng.randint(30, 60 * 24 * 3))
        if t >= now:
            continue
        ticket_transition(
            actor=agent, ticket=ticket, target=Status.RESOLVED, note="已处理完毕。Fixed.", now=t
        )
        t += datetime.timedelta(days=rng.randint(1, 5))
        if t < now:
            ticket_transition(actor=None, ticket=ticket, target=Status.CLOSED, now=t)
    _major_incident(customers[0], requesters[customers[0].pk], agents, now)
    write(f"{created} demo tickets")
    write(f"{_problems(write)} demo problems")
    return created


def _catalogue(categories) -> None:
    """Request types (one with approval steps) and canned responses."""
    lead = User.objects.filter(role=Role.TEAM_LEAD).first()
    RequestType.objects.get_or_create(
        name="新员工入职 New employee onboarding",
        defaults={
            "description": "账号、邮箱、电脑一次申请。Account, mailbox and laptop in one request.",
            "category": categories[2],
            "service": "OA",
            "approver": lead,
            "customer_manager_approves": True,
            "form_schema": [
                {"name": "employee", "label": "姓名 Name", "type": "text", "required": True},
                {"name": "start", "label": "入职日期 Start date", "type": "date", "required": True},
                {
                    "name": "laptop",
                    "label": "电脑 Laptop",
                    "type": "choice",
                    "choices": ['13"', '15"'],
                },
                {"name": "mailbox", "label": "需要邮箱 Mailbox", "type": "boolean"},
            ],
        },
    )
    RequestType.objects.get_or_create(
        name="VPN 账号 VPN account",
        defaults={
            "description": "远程办公 VPN 访问。Remote access through the VPN.",
            "category": categories[0],
            "service": "VPN",
            "form_schema": [
                {"name": "user", "label": "账号 User name", "type": "text", "required": True},
                {"name": "until", "label": "有效期至 Valid until", "type": "date"},
            ],
        },
    )
    for title, body in (
        (
            "重启后再试 Restart first",
            "请先重启设备后再试一次，如仍有问题请回复本邮件。\nPlease restart the device and try again; reply if it still fails.",
        ),
        (
            "需要更多信息 Need details",
            "为了尽快处理，请提供报错截图和发生时间。\nTo help quickly, please send a screenshot of the error and when it happened.",
        ),
    ):
        CannedResponse.objects.get_or_create(title=title, defaults={"body": body})


def _major_incident(customer, requesters, agents, now) -> None:
    """A major incident yesterday with its communications and review."""
    from serviceloop.desk.services.major import major_update_send, review_save
    from serviceloop.desk.services.tickets import ticket_update

    start = now - datetime.timedelta(days=1, hours=3)
    agent = agents[0]
    ticket = ticket_create(
        actor=agent,
        organisation=customer,
        requester=requesters[0],
        title="ERP 全部用户无法登录 ERP down for all users",
        description="登录页返回 502。Login page answers 502.",
        service="ERP",
        impact=1,
        urgency=1,
        now=start,
    )
    ticket = ticket_update(actor=agent, ticket=ticket, is_major=True, now=start)
    major_update_send(
        actor=agent,
        ticket=ticket,
        audience="customers",
        body="ERP 故障，正在处理，预计 1 小时内恢复。",
        now=start + datetime.timedelta(minutes=10),
    )
    major_update_send(
        actor=agent,
        ticket=ticket,
        audience="management",
        body="ERP outage: certificate expired on the load balancer.",
        now=start + datetime.timedelta(minutes=25),
    )
    ticket_transition(
        actor=agent,
        ticket=ticket,
        target=Status.RESOLVED,
        note="证书已更新，服务恢复。Certificate renewed.",
        now=start + datetime.timedelta(minutes=70),
    )
    lead = User.objects.filter(role=Role.TEAM_LEAD).first()
    if lead is not None:
        review_save(
            actor=lead,
            ticket=ticket,
            summary="负载均衡证书过期导致 ERP 登录失败 70 分钟。",
            root_cause="证书续期依赖人工提醒。Renewal depended on a manual reminder.",
            what_went_well="10 分钟内通知客户。",
            what_to_improve="证书到期监控。Monitor certificate expiry.",
            actions="自动续期与到期告警 — 张伟，2026-12-15",
            now=start + datetime.timedelta(hours=20),
        )


def _problems(write=print) -> int:
    """A few problems and a known error for the demo organisation (idempotent: nothing when a
    problem exists). Written through the services, by the first problem manager, and linked
    to matching demo incidents; then recurring-incident detection runs once, so the demo
    shows a proposal for the recurring VPN incidents. Returns the number of problems."""
    from serviceloop.desk.services.problems import (
        problem_create,
        problem_link_incidents,
        problem_managers,
        problem_transition,
        problem_update,
    )
    from serviceloop.desk.services.recurrence import recurrence_detect

    if Problem.objects.exists():
        return 0
    managers = problem_managers()
    if not managers:
        write("no problem manager: demo problems skipped")
        return 0
    manager = managers[0]
    agent = User.objects.filter(is_active=True, role=Role.AGENT).order_by("pk").first() or manager
    now = timezone.now()

    def incidents_titled(title, before, limit=6):
        return list(
            Ticket.objects.filter(kind=Kind.INCIDENT, title=title, created_at__lt=before)
            .filter(problem_links__isnull=True)
            .order_by("-created_at")[:limit]
        )

    def category(prefix):
        return Category.objects.filter(name__startswith=prefix).first()

    created = 0
    # 1. A known error: Outlook asks for the password again and again.
    start = now - datetime.timedelta(days=40)
    outlook = problem_create(
        actor=manager,
        title="Outlook 反复要求输入密码 Outlook keeps asking for the password",
        description="多位用户在更换密码后 Outlook 不断弹出登录框。",
        service="企业邮箱 Mail",
        category=category("邮件"),
        owner=agent,
        now=start,
    )
    problem_link_incidents(
        actor=agent,
        problem=outlook,
        incidents=incidents_titled("Outlook keeps asking for password", start),
        now=start + datetime.timedelta(hours=1),
    )
    problem_transition(
        actor=agent,
        problem=outlook,
        target=ProblemStatus.INVESTIGATING,
        now=start + datetime.timedelta(hours=2),
    )
    problem_update(
        actor=agent,
        problem=outlook,
        five_whys=[
            {"why": "为什么 Outlook 反复要求密码?", "answer": "凭据管理器里保存的是旧密码。"},
            {
                "why": "为什么保存的是旧密码?",
                "answer": "改密码后 Outlook 没有重新认证现代身份验证。",
            },
            {
                "why": "为什么没有重新认证?",
                "answer": "客户端注册表禁用了现代身份验证 (EnableADAL=0)。",
            },
        ],
        fishbone={
            "technology": "旧版 Office 客户端的注册表配置禁用了现代身份验证。",
            "process": "改密码流程没有提示用户清除已保存的凭据。",
        },
        root_cause="Office 客户端禁用了现代身份验证,改密码后保存的旧凭据不断失败。",
        workaround="打开 Windows 凭据管理器,删除以 MicrosoftOffice16 开头的凭据,重启 Outlook 后重新登录。"
        " Remove the MicrosoftOffice16 entries in Windows Credential Manager and restart Outlook.",
        workaround_published=True,
        now=start + datetime.timedelta(days=2),
    )
    problem_transition(
        actor=agent,
        problem=outlook,
        target=ProblemStatus.KNOWN_ERROR,
        now=start + datetime.timedelta(days=2, hours=1),
    )
    created += 1
    # 2. Under investigation: ERP report exports fail.
    start = now - datetime.timedelta(days=12)
    erp = problem_create(
        actor=manager,
        title="ERP 报表导出间歇性失败 ERP report export fails intermittently",
        description="月底报表导出时常超时。",
        service="ERP",
        category=category("业务系统"),
        owner=manager,
        now=start,
    )
    problem_link_incidents(
        actor=manager, problem=erp, incidents=incidents_titled("ERP 报表导出失败", start), now=start
    )
    problem_transition(actor=manager, problem=erp, target=ProblemStatus.INVESTIGATING, now=start)
    problem_update(
        actor=manager,
        problem=erp,
        five_whys=[
            {"why": "为什么导出失败?", "answer": "报表服务在 120 秒后超时。"},
            {"why": "为什么超过 120 秒?", "answer": "月底数据量是平时的 5 倍。"},
        ],
        fishbone={"technology": "报表查询没有使用分区索引。", "environment": "月底集中导出。"},
        now=start + datetime.timedelta(days=1),
    )
    created += 1
    # 3. Resolved and closed: the printer paper jams.
    start = now - datetime.timedelta(days=90)
    printer = problem_create(
        actor=agent,
        title="三楼打印机频繁卡纸 3rd-floor printer jams often",
        service="办公网络 Office network",
        category=category("办公终端"),
        owner=agent,
        now=start,
    )
    problem_link_incidents(
        actor=agent, problem=printer, incidents=incidents_titled("打印机卡纸", start, 4), now=start
    )
    problem_update(
        actor=agent,
        problem=printer,
        root_cause="搓纸轮磨损。Worn pick-up roller.",
        now=start + datetime.timedelta(days=3),
    )
    problem_transition(
        actor=agent,
        problem=printer,
        target=ProblemStatus.RESOLVED,
        resolution="供应商更换了搓纸轮。The supplier replaced the roller.",
        now=start + datetime.timedelta(days=10),
    )
    problem_transition(
        actor=manager,
        problem=printer,
        target=ProblemStatus.CLOSED,
        now=start + datetime.timedelta(days=20),
    )
    created += 1
    # 4. Closed with an accepted risk.
    start = now - datetime.timedelta(days=60)
    wifi = problem_create(
        actor=manager,
        title="三楼 Wi-Fi 高峰期变慢 Wi-Fi slow on the 3rd floor at peak hours",
        service="办公网络 Office network",
        category=category("网络"),
        owner=manager,
        now=start,
    )
    problem_link_incidents(
        actor=manager,
        problem=wifi,
        incidents=incidents_titled("Wi-Fi slow on 3rd floor", start, 4),
        now=start,
    )
    problem_update(
        actor=manager,
        problem=wifi,
        root_cause="接入点容量不足。The access points are at capacity.",
        workaround="会议高峰期使用有线网络。Use the wired network during peak meetings.",
        now=start + datetime.timedelta(days=2),
    )
    problem_transition(
        actor=manager,
        problem=wifi,
        target=ProblemStatus.CLOSED,
        accepted_risk="高峰期 Wi-Fi 仍可能变慢。Wi-Fi may stay slow at peak hours.",
        risk_justification="办公室将于明年搬迁,新增接入点不划算。The office moves next year.",
        now=start + datetime.timedelta(days=5),
    )
    created += 1
    write(f"{created} demo problems (1 known error)")
    counts = recurrence_detect(now=now)
    write(f"recurring-incident detection: {counts['created']} proposal(s)")
    return created
