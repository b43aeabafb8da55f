"""Demo records of the CMDB: item types with their attributes, about sixty configuration items
of the provider's Shanghai data centre and of the customers' sites, their relations, the
services built on them, and assets with their financial records.

The database server ``db-srv-01`` hosts the ERP, mail-archive and cloud-portal databases, so
its impact reaches ERP, Email and Cloud hosting, and both demo customers. Idempotent: items,
relations, components and assets that exist are left alone.
"""

import datetime
from decimal import Decimal

from django.db import transaction

from serviceloop.core.models import Organisation, User
from serviceloop.portfolio.models import (
    Asset,
    CiRelation,
    CiType,
    ConfigurationItem,
    Service,
    ServiceComponent,
)
from serviceloop.portfolio.services_assets import asset_create, asset_transition
from serviceloop.portfolio.services_catalogue import component_add
from serviceloop.portfolio.services_cmdb import (
    ci_create,
    ci_transition,
    ci_type_create,
    relation_add,
)

OS = ["Linux", "Windows Server", "VMware ESXi"]
TYPES = (
    ("facility", "机房设施 Facility", [
        {"key": "capacity_kw", "label": "Power (kW)", "type": "number"},
    ]),
    ("server", "物理服务器 Physical server", [
        {"key": "cpu_cores", "label": "CPU cores", "type": "number", "required": True},
        {"key": "ram_gb", "label": "RAM (GB)", "type": "number", "required": True},
        {"key": "os", "label": "OS", "type": "choice", "choices": OS},
        {"key": "serial", "label": "Serial number", "type": "text"},
    ]),
    ("vm", "虚拟机 Virtual machine", [
        {"key": "vcpu", "label": "vCPU", "type": "number", "required": True},
        {"key": "ram_gb", "label": "RAM (GB)", "type": "number", "required": True},
        {"key": "os", "label": "OS", "type": "choice", "choices": OS[:2]},
    ]),
    ("database", "数据库 Database", [
        {"key": "engine", "label": "Engine", "type": "choice", "required": True,
         "choices": ["PostgreSQL", "SQL Server", "MySQL", "Oracle"]},
        {"key": "port", "label": "Port", "type": "number"},
    ]),
    ("application", "应用 Application", [
        {"key": "vendor", "label": "Vendor", "type": "text"},
        {"key": "url", "label": "URL", "type": "text"},
    ]),
    ("network", "网络设备 Network device", [
        {"key": "model", "label": "Model", "type": "text"},
        {"key": "ports", "label": "Ports", "type": "number"},
        {"key": "mgmt_ip", "label": "Management IP", "type": "text"},
    ]),
    ("storage", "存储 Storage", [
        {"key": "capacity_tb", "label": "Capacity (TB)", "type": "number", "required": True},
        {"key": "raid", "label": "RAID", "type": "choice", "choices": ["RAID 5", "RAID 6", "RAID 10"]},
    ]),
    ("workstation", "终端设备 End-user device", [
        {"key": "model", "label": "Model", "type": "text"},
        {"key": "assigned_to", "label": "Assigned to", "type": "text"},
    ]),
)  # fmt: skip

DC = "上海数据中心 A 机房 Shanghai DC, room A"
# name, type, status, customer short name (None: the provider's own), location, attributes
ITEMS = [
    ("dc-sh-room-a", "facility", "active", None, DC, {"capacity_kw": 120}),
    ("rack-a01", "facility", "active", None, DC, {"capacity_kw": 8}),
    ("rack-a02", "facility", "active", None, DC, {"capacity_kw": 8}),
    ("ups-a01", "facility", "active", None, DC, {"capacity_kw": 40}),
    ("san-01", "storage", "active", None, DC, {"capacity_tb": 40, "raid": "RAID 6"}),
    ("backup-srv-01", "server", "active", None, DC, {"cpu_cores": 16, "ram_gb": 64, "os": "Linux"}),
    ("tape-lib-01", "storage", "active", None, DC, {"capacity_tb": 200}),
    ("sw-core-01", "network", "active", None, DC, {"model": "Huawei S6730", "ports": 48, "mgmt_ip": "10.0.0.2"}),
    ("sw-core-02", "network", "active", None, DC, {"model": "Huawei S6730", "ports": 48, "mgmt_ip": "10.0.0.3"}),
    ("fw-edge-01", "network", "active", None, DC, {"model": "FortiGate 200F", "mgmt_ip": "10.0.0.1"}),
    ("rt-isp-01", "network", "active", None, DC, {"model": "Huawei AR6280"}),
    ("vpn-gw-01", "network", "planned", None, DC, {"model": "FortiGate 100F"}),
    ("esx-01", "server", "active", None, DC, {"cpu_cores": 64, "ram_gb": 512, "os": "VMware ESXi", "serial": "CN7A1001"}),
    ("esx-02", "server", "active", None, DC, {"cpu_cores": 64, "ram_gb": 512, "os": "VMware ESXi", "serial": "CN7A1002"}),
    ("esx-03", "server", "active", None, DC, {"cpu_cores": 96, "ram_gb": 1024, "os": "VMware ESXi", "serial": "CN7A1003"}),
    ("esx-04", "server", "maintenance", None, DC, {"cpu_cores": 96, "ram_gb": 1024, "os": "VMware ESXi", "serial": "CN7A1004"}),
    ("db-srv-01 数据库服务器", "server", "active", None, DC, {"cpu_cores": 32, "ram_gb": 256, "os": "Linux", "serial": "CN7B2001"}),
    ("vm-mail-01", "vm", "active", None, DC, {"vcpu": 8, "ram_gb": 32, "os": "Windows Server"}),
    ("vm-mail-02", "vm", "active", None, DC, {"vcpu": 8, "ram_gb": 32, "os": "Windows Server"}),
    ("vm-erp-app-01", "vm", "active", None, DC, {"vcpu": 16, "ram_gb": 64, "os": "Windows Server"}),
    ("vm-erp-app-02", "vm", "active", None, DC, {"vcpu": 16, "ram_gb": 64, "os": "Windows Server"}),
    ("vm-web-01", "vm", "active", None, DC, {"vcpu": 4, "ram_gb": 16, "os": "Linux"}),
    ("vm-dc-01", "vm", "active", None, DC, {"vcpu": 4, "ram_gb": 16, "os": "Windows Server"}),
    ("vm-sccm-01", "vm", "active", None, DC, {"vcpu": 4, "ram_gb": 16, "os": "Windows Server"}),
    ("vm-cloud-portal-01", "vm", "active", None, DC, {"vcpu": 4, "ram_gb": 16, "os": "Linux"}),
    ("vm-monitor-01", "vm", "active", None, DC, {"vcpu": 4, "ram_gb": 16, "os": "Linux"}),
    ("mssql-erp", "database", "active", None, DC, {"engine": "SQL Server", "port": 1433}),
    ("pg-mail-archive", "database", "active", None, DC, {"engine": "PostgreSQL", "port": 5432}),
    ("pg-cloud-portal", "database", "active", None, DC, {"engine": "PostgreSQL", "port": 5433}),
    ("mysql-oa-legacy", "database", "retired", None, DC, {"engine": "MySQL", "port": 3306}),
    ("Exchange 邮件系统", "application", "active", None, DC, {"vendor": "Microsoft", "url": "https://mail.example.cn"}),
    ("Active Directory 域控", "application", "active", None, DC, {"vendor": "Microsoft"}),
    ("DNS", "application", "active", None, DC, {"vendor": "Microsoft"}),
    ("SAP B1 ERP 应用", "application", "active", None, DC, {"vendor": "SAP", "url": "https://erp.example.cn"}),
    ("ERP 门户 ERP web portal", "application", "active", None, DC, {"url": "https://erp.example.cn/portal"}),
    ("云主机自助门户 Cloud portal", "application", "active", None, DC, {"url": "https://cloud.example.cn"}),
    ("SCCM 软件分发", "application", "active", None, DC, {"vendor": "Microsoft"}),
    ("Zabbix 监控", "application", "active", None, DC, {"vendor": "Zabbix", "url": "https://monitor.example.cn"}),
    *[
        (f"vm-mdu-lab-{n:02d}", "vm", "active", "MDU", DC, {"vcpu": 4, "ram_gb": 8, "os": "Linux"})
        for n in range(1, 7)
    ],
    ("sw-ecl-hq-01", "network", "active", "ECL", "华东物流 总部 ECL head office", {"model": "H3C S5130", "ports": 48}),
    ("sw-ecl-wh-01", "network", "active", "ECL", "华东物流 仓库 ECL warehouse", {"model": "H3C S5130", "ports": 24}),
    ("ap-ecl-wh-01", "network", "active", "ECL", "华东物流 仓库 ECL warehouse", {"model": "H3C WA6320"}),
    ("sw-mdu-lib-01", "network", "active", "MDU", "明德大学 图书馆 MDU library", {"model": "Ruijie RG-S5750", "ports": 48}),
    ("sw-mdu-lab-01", "network", "active", "MDU", "明德大学 实验楼 MDU lab building", {"model": "Ruijie RG-S5750", "ports": 48}),
    ("prn-ecl-hq-01", "workstation", "active", "ECL", "华东物流 总部 ECL head office", {"model": "HP LaserJet M607"}),
    *[
        (f"lt-ecl-{n:03d}", "workstation", "active", "ECL", "华东物流 总部 ECL head office",
         {"model": "ThinkPad T14", "assigned_to": f"ECL staff {n}"})
        for n in range(1, 6)
    ],
    *[
        (f"lt-mdu-{n:03d}", "workstation", "active", "MDU", "明德大学 MDU campus",
         {"model": "MateBook 14", "assigned_to": f"MDU staff {n}"})
        for n in range(1, 6)
    ],
]  # fmt: skip

# source, kind, target (source <kind> target)
RELATIONS = [
    ("rack-a01", "part_of", "dc-sh-room-a"),
    ("rack-a02", "part_of", "dc-sh-room-a"),
    ("ups-a01", "part_of", "dc-sh-room-a"),
    ("san-01", "part_of", "rack-a01"),
    ("tape-lib-01", "part_of", "rack-a02"),
    ("backup-srv-01", "part_of", "rack-a02"),
    ("backup-srv-01", "depends_on", "tape-lib-01"),
    ("sw-core-01", "part_of", "rack-a01"),
    ("sw-core-02", "part_of", "rack-a02"),
    ("sw-core-01", "connected_to", "sw-core-02"),
    ("fw-edge-01", "part_of", "rack-a01"),
    ("fw-edge-01", "connected_to", "sw-core-01"),
    ("fw-edge-01", "depends_on", "rt-isp-01"),
    ("vpn-gw-01", "depends_on", "fw-edge-01"),
    *[(host, "part_of", rack) for host, rack in (
        ("esx-01", "rack-a01"), ("esx-02", "rack-a01"), ("esx-03", "rack-a02"),
        ("esx-04", "rack-a02"), ("db-srv-01 数据库服务器", "rack-a02"),
    )],
    *[(host, "depends_on", "san-01") for host in ("esx-01", "esx-02", "esx-03", "esx-04")],
    *[(host, "connected_to", "sw-core-01") for host in ("esx-01", "esx-02", "db-srv-01 数据库服务器")],
    *[(host, "connected_to", "sw-core-02") for host in ("esx-03", "esx-04")],
    ("vm-mail-01", "runs_on", "esx-01"),
    ("vm-mail-02", "runs_on", "esx-02"),
    ("vm-erp-app-01", "runs_on", "esx-01"),
    ("vm-erp-app-02", "runs_on", "esx-02"),
    ("vm-web-01", "runs_on", "esx-02"),
    ("vm-dc-01", "runs_on", "esx-01"),
    ("vm-sccm-01", "runs_on", "esx-02"),
    ("vm-cloud-portal-01", "runs_on", "esx-03"),
    ("vm-monitor-01", "runs_on", "esx-01"),
    *[(f"vm-mdu-lab-{n:02d}", "runs_on", "esx-03" if n <= 3 else "esx-04") for n in range(1, 7)],
    ("mssql-erp", "runs_on", "db-srv-01 数据库服务器"),
    ("pg-mail-archive", "runs_on", "db-srv-01 数据库服务器"),
    ("pg-cloud-portal", "runs_on", "db-srv-01 数据库服务器"),
    ("mysql-oa-legacy", "runs_on", "db-srv-01 数据库服务器"),
    ("Exchange 邮件系统", "runs_on", "vm-mail-01"),
    ("Exchange 邮件系统", "depends_on", "pg-mail-archive"),
    ("Exchange 邮件系统", "depends_on", "Active Directory 域控"),
    ("Active Directory 域控", "runs_on", "vm-dc-01"),
    ("DNS", "runs_on", "vm-dc-01"),
    ("SAP B1 ERP 应用", "runs_on", "vm-erp-app-01"),
    ("SAP B1 ERP 应用", "depends_on", "mssql-erp"),
    ("SAP B1 ERP 应用", "depends_on", "Active Directory 域控"),
    ("ERP 门户 ERP web portal", "runs_on", "vm-web-01"),
    ("ERP 门户 ERP web portal", "depends_on", "SAP B1 ERP 应用"),
    ("云主机自助门户 Cloud portal", "runs_on", "vm-cloud-portal-01"),
    ("云主机自助门户 Cloud portal", "depends_on", "pg-cloud-portal"),
    ("SCCM 软件分发", "runs_on", "vm-sccm-01"),
    ("SCCM 软件分发", "depends_on", "Active Directory 域控"),
    ("Zabbix 监控", "runs_on", "vm-monitor-01"),
    ("sw-ecl-hq-01", "connected_to", "fw-edge-01"),
    ("sw-ecl-wh-01", "connected_to", "sw-ecl-hq-01"),
    ("ap-ecl-wh-01", "depends_on", "sw-ecl-wh-01"),
    ("sw-mdu-lib-01", "connected_to", "fw-edge-01"),
    ("sw-mdu-lab-01", "connected_to", "sw-mdu-lib-01"),
    ("prn-ecl-hq-01", "depends_on", "sw-ecl-hq-01"),
]  # fmt: skip

# service code, item name, role
COMPONENTS = [
    ("network", "sw-core-01", "component"),
    ("network", "sw-core-02", "component"),
    ("network", "fw-edge-01", "component"),
    ("network", "rt-isp-01", "component"),
    ("network", "DNS", "component"),
    ("email", "Exchange 邮件系统", "component"),
    ("email", "vm-mail-02", "runs_on"),
    ("erp", "SAP B1 ERP 应用", "component"),
    ("erp", "ERP 门户 ERP web portal", "component"),
    ("desktop", "SCCM 软件分发", "component"),
    ("desktop", "prn-ecl-hq-01", "component"),
    ("cloud", "云主机自助门户 Cloud portal", "component"),
    ("cloud", "esx-03", "runs_on"),
    ("cloud", "esx-04", "runs_on"),
    ("vpn", "vpn-gw-01", "runs_on"),
]

# name, tag, item name or None, final status, purchase date, cost, warranty years, months
ASSETS = [
    ("Dell PowerEdge R750 (esx-01)", "CN7A1001", "esx-01", "deployed", "2023-03-15", "168000.00", 5, 60),
    ("Dell PowerEdge R750 (esx-02)", "CN7A1002", "esx-02", "deployed", "2023-03-15", "168000.00", 5, 60),
    ("Dell PowerEdge R760 (esx-03)", "CN7A1003", "esx-03", "deployed", "2024-06-20", "236000.00", 5, 60),
    ("Dell PowerEdge R760 (esx-04)", "CN7A1004", "esx-04", "deployed", "2024-06-20", "236000.00", 5, 60),
    ("Inspur NF5280M6 (db-srv-01)", "CN7B2001", "db-srv-01 数据库服务器", "deployed", "2022-11-01", "142000.00", 3, 48),
    ("Huawei OceanStor 5310 (san-01)", "HW-OS-5310-88", "san-01", "deployed", "2022-09-10", "395000.00", 5, 60),
    ("Huawei S6730 (sw-core-01)", "HW-S6730-01", "sw-core-01", "deployed", "2021-05-06", "58000.00", 3, 60),
    ("Huawei S6730 (sw-core-02)", "HW-S6730-02", "sw-core-02", "deployed", "2021-05-06", "58000.00", 3, 60),
    ("FortiGate 200F (fw-edge-01)", "FG200F-7731", "fw-edge-01", "deployed", "2023-01-12", "86000.00", 3, 36),
    ("FortiGate 100F (vpn-gw-01)", "FG100F-1208", None, "ordered", "2026-01-08", "42000.00", 3, 36),
    ("ThinkPad T14 spare 1", "PF-4K21-S1", None, "in_stock", "2025-08-01", "8600.00", 3, 36),
    ("ThinkPad T14 spare 2", "PF-4K21-S2", None, "in_stock", "2025-08-01", "8600.00", 3, 36),
    ("ThinkPad T14 (lt-ecl-001)", "PF-4K21-001", "lt-ecl-001", "deployed", "2024-02-20", "8900.00", 3, 36),
    ("H3C S5120 (old ECL switch)", "H3C-5120-OLD", None, "disposed", "2016-04-01", "9800.00", 3, 60),
]  # fmt: skip


def _date(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def demo_records(write=print) -> int:
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        return 0
    owners = {u.username: u for u in User.objects.filter(username__in=["lead", "agent", "agent2"])}
    customers = {o.short_name: o for o in Organisation.objects.customers()}
    created = 0
    with transaction.atomic():
        types = {}
        for code, name, attributes in TYPES:
            ci_type = CiType.objects.filter(code=code).first()
            if ci_type is None:
                ci_type = ci_type_create(actor=admin, code=code, name=name, attributes=attributes)
                created += 1
                write(f"configuration item type {code}")
            types[code] = ci_type

        items = {
            i.name: i for i in ConfigurationItem.objects.filter(name__in=[x[0] for x in ITEMS])
        }
        for n, (name, code, status, customer, location, attributes) in enumerate(ITEMS):
            if name in items:
                continue
            owner = owners.get(("agent2", "lead", "agent")[n % 3])
            items[name] = ci_create(
                actor=admin,
                name=name,
                ci_type=types[code],
                # retired items are recorded in use first, related, then retired
                status="active" if status == "retired" else status,
                owner=owner,
                location=location,
                supplier=attributes.get("vendor", ""),
                organisation=customers.get(customer) if customer else None,
                attributes=attributes,
            )
            created += 1
        if created:
            write(f"{len(items)} configuration items")

        for source, kind, target in RELATIONS:
            if source not in items or target not in items:
                continue
            if CiRelation.objects.filter(
                source=items[source], kind=kind, target=items[target]
            ).exists():
                continue
            if items[source].status == "retired" or items[target].status == "retired":
                continue
            relation_add(actor=admin, source=items[source], kind=kind, target=items[target])
            created += 1
        for name, _code, status, *_rest in ITEMS:
            if status == "retired" and items[name].status != "retired":
                items[name] = ci_transition(actor=admin, item=items[name], target="retired")

        services = {s.code: s for s in Service.objects.all()}
        for code, name, role in COMPONENTS:
            service = services.get(code)
            if service is None or service.status == "retired" or name not in items:
                continue
            if ServiceComponent.objects.filter(
                service=service, configuration_item=items[name]
            ).exists():
                continue
            component_add(actor=admin, service=service, configuration_item=items[name], role=role)
            created += 1

        for name, tag, item_name, status, bought, cost, warranty, months in ASSETS:
            if Asset.objects.filter(tag=tag).exists():
                continue
            purchase = _date(bought)
            asset = asset_create(
                actor=admin,
                name=name,
                tag=tag,
                purchase_date=purchase,
                cost=Decimal(cost),
                currency="CNY",
                supplier=name.split(" ")[0],
                warranty_end=purchase.replace(year=purchase.year + warranty),
                depreciation_months=months,
            )
            path = {
                "ordered": [],
                "in_stock": ["in_stock"],
                "deployed": ["in_stock", "deployed"],
                "disposed": ["in_stock", "retired", "disposed"],
            }[status]
            for target in path:
                asset = asset_transition(
                    actor=admin,
                    asset=asset,
                    target=target,
                    configuration_item=items.get(item_name) if target == "deployed" else None,
                )
            created += 1
        if created:
            write("CMDB relations, service components and assets")
    return created
