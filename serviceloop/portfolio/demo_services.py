"""Demo records of the services part: a realistic catalogue (e-mail, the corporate network,
ERP, desktop support, cloud hosting live; remote access in the pipeline with its checklist
half done; a retired legacy OA), owners, service hours, entitlements of the demo customers,
plans and service-to-service dependencies. Idempotent: a service whose code exists is left
alone. Components (configuration items) are added by ``demo_cmdb``.
"""

from decimal import Decimal

from django.db import transaction

from serviceloop.core.models import Calendar, Organisation, User
from serviceloop.portfolio.models import Service, ServiceDependency, ServiceStatus
from serviceloop.portfolio.services_catalogue import (
    checklist_set_done,
    dependency_add,
    service_create,
    service_transition,
)

SERVICES = (
    {
        "code": "network",
        "name": "企业网络 Corporate network",
        "owner": "agent2",
        "hours": "24x7",
        "customers": ("ECL", "MDU"),
        "status": ServiceStatus.LIVE,
        "summary": (
            "办公网络、无线网络与互联网出口，7×24 小时监控。\n"
            "Office LAN, Wi-Fi and Internet access, monitored around the clock."
        ),
        "staff_notes": "核心交换机双机热备；ISP 线路单点，备用 4G 路由器在机房 A02 机柜。",
        "requirements": "99.9% availability of the core network; 1 Gbit/s per site.",
        "resources": "2 network engineers (on call); core switches, edge firewall, ISP line.",
        "budget": ("480000", "CNY"),
        "risks": "Single ISP line (accepted until the second line is contracted, Q3).",
    },
    {
        "code": "email",
        "name": "邮件服务 Email",
        "owner": "lead",
        "hours": "24x7",
        "customers": ("ECL", "MDU"),
        "status": ServiceStatus.LIVE,
        "needs": ("network",),
        "summary": (
            "企业邮箱、日历与通讯录，支持手机客户端。每个邮箱 50 GB。\n"
            "Corporate mailboxes, calendars and address books, on phones too. 50 GB per mailbox."
        ),
        "staff_notes": "Exchange 2019 双节点 DAG；归档数据库在 db-srv-01。",
        "requirements": "Mailbox availability 99.5%; retention of 7 years for archived mail.",
        "resources": "Exchange licences (1,200), 2 VMs, archive database, 0.5 FTE.",
        "budget": ("360000", "CNY"),
        "risks": "Phishing; archive database shares a server with ERP.",
    },
    {
        "code": "erp",
        "name": "ERP 企业资源计划 ERP",
        "owner": "admin",
        "hours": "cn-workdays",
        "customers": ("ECL",),
        "status": ServiceStatus.LIVE,
        "needs": ("network",),
        "summary": (
            "采购、库存、财务与报表。工作日 09:00–18:00 支持。\n"
            "Purchasing, stock, finance and reports; supported on working days 09:00–18:00."
        ),
        "staff_notes": "SAP Business One on SQL Server (db-srv-01); month-end close needs extra capacity.",
        "requirements": "Month-end close finished by the 3rd working day.",
        "resources": "SAP B1 licences, 2 application VMs, SQL Server, 1 key user per department.",
        "budget": ("650000", "CNY"),
        "risks": "Customisations block upgrades; key-person dependency on one consultant.",
    },
    {
        "code": "desktop",
        "name": "桌面支持 Desktop support",
        "owner": "lead",
        "hours": "extended-support",
        "customers": ("ECL", "MDU"),
        "status": ServiceStatus.LIVE,
        "summary": (
            "电脑、打印机与办公软件的安装、维修与更换，周一至周六 08:00–20:00。\n"
            "Installing, repairing and replacing PCs, printers and office software, "
            "Mon–Sat 08:00–20:00."
        ),
        "staff_notes": "Spare laptops in stock at the Shanghai office; SCCM for software pushes.",
        "requirements": "On-site visit within 4 working hours at the customers' main sites.",
        "resources": "4 field technicians, spare pool of 5% of the fleet.",
        "budget": ("220000", "CNY"),
        "risks": "Spare pool runs low at school term start (MDU).",
    },
    {
        "code": "cloud",
        "name": "云主机 Cloud hosting",
        "owner": "agent2",
        "hours": "24x7",
        "customers": ("MDU",),
        "status": ServiceStatus.LIVE,
        "needs": ("network",),
        "summary": (
            "按需创建的虚拟机，自助门户管理，每日备份。\n"
            "Virtual machines on demand, managed in a self-service portal, backed up daily."
        ),
        "staff_notes": "Tenant VMs on esx-03/esx-04; portal database on db-srv-01.",
        "requirements": "VM ready within 30 minutes of an approved request.",
        "resources": "2 ESXi hosts, SAN capacity 40 TB, portal.",
        "budget": ("800000", "CNY"),
        "risks": "SAN is a single array (replication planned).",
    },
    {
        "code": "vpn",
        "name": "远程办公 Remote access (VPN)",
        "owner": "agent2",
        "hours": "24x7",
        "customers": ("ECL",),
        "status": ServiceStatus.PIPELINE,
        "needs": ("network",),
        "done_steps": 4,
        "summary": "从家中或出差时安全访问公司系统。Secure access to company systems from home.",
        "staff_notes": "Pilot with 20 ECL users; gateway vpn-gw-01 ordered.",
        "requirements": "200 concurrent users; MFA for every login.",
        "resources": "VPN gateway, MFA licences, 0.2 FTE.",
        "budget": ("120000", "CNY"),
        "risks": "MFA roll-out needs every user's phone number.",
    },
    {
        "code": "legacy-oa",
        "name": "旧版 OA 系统 Legacy OA",
        "owner": "admin",
        "hours": "cn-workdays",
        "customers": ("ECL",),
        "status": ServiceStatus.RETIRED,
        "summary": "已由新 OA 取代。Replaced by the new OA.",
        "staff_notes": "Data archived; database mysql-oa-legacy retired.",
    },
)


def _finish_checklist(admin, service, steps: int | None = None) -> None:
    for n, item in enumerate(service.checklist.order_by("position", "id")):
        if steps is not None and n >= steps:
            break
        checklist_set_done(actor=admin, item=item, done=True)


def demo_records(write=print) -> int:
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        return 0
    people = {u.username: u for u in User.objects.filter(username__in=["admin", "lead", "agent2"])}
    calendars = {c.name: c for c in Calendar.objects.all()}
    customers = {o.short_name: o for o in Organisation.objects.customers()}
    created = 0
    with transaction.atomic():
        for spec in SERVICES:
            if Service.objects.filter(code=spec["code"]).exists():
                continue
            amount, currency = spec.get("budget", (None, ""))
            service = service_create(
                actor=admin,
                code=spec["code"],
                name=spec["name"],
                owner=people.get(spec["owner"]),
                hours=calendars.get(spec["hours"]),
                customers=[customers[c] for c in spec["customers"] if c in customers],
                summary=spec["summary"],
                staff_notes=spec["staff_notes"],
                requirements=spec.get("requirements", ""),
                resources=spec.get("resources", ""),
                budget_amount=Decimal(amount) if amount else None,
                budget_currency=currency,
                risks=spec.get("risks", ""),
            )
            created += 1
            write(f"service {service.code}")
            if spec["status"] == ServiceStatus.PIPELINE:
                _finish_checklist(admin, service, spec.get("done_steps"))
            else:
                _finish_checklist(admin, service)
                service = service_transition(actor=admin, service=service, target="live")
                if spec["status"] == ServiceStatus.RETIRED:
                    service_transition(actor=admin, service=service, target="retired")
        by_code = {s.code: s for s in Service.objects.all()}
        for spec in SERVICES:
            service = by_code.get(spec["code"])
            if service is None or service.status == ServiceStatus.RETIRED:
                continue
            for needed in spec.get("needs", ()):
                if (
                    needed in by_code
                    and not ServiceDependency.objects.filter(
                        service=service, depends_on=by_code[needed]
                    ).exists()
                ):
                    dependency_add(actor=admin, service=service, depends_on=by_code[needed])
                    created += 1
    return created
