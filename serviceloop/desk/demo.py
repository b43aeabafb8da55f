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
from serviceloop.desk.models import Category, Kind, SlaPolicy, SlaPolicyVersion, Source, Ticket
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


def demo_records(write=print, *, tickets: int = 600, seed: int = 20261126) -> int:
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
    write(f"{created} demo tickets")
    return created
