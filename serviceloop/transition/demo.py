"""Demo records of change and release management (discovered by ``serviceloop demo``).

Standard-change templates, CAB rules for each risk level, the change policy, two blackout
periods, thirteen changes in every state of the lifecycle (one failed and linked to the
incident it caused, one scheduled into a blackout with a recorded override), a release in
early-life support with its incidents, a planned release and a service transition plan.

Every change is raised and moved through the same services as in real use, with the clock
set back (``now=``): the changes in ``demo_changes``, the releases in ``demo_releases``.
Built on the portfolio demo's items and services (looked up by name); when the CMDB is
empty, a handful of items and two services are created first. Idempotent: records that
exist (by name or title) are left alone; returns the number created.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from serviceloop.core.models import Organisation, User
from serviceloop.portfolio.lifecycle import ServiceStatus
from serviceloop.portfolio.models import CiType, ConfigurationItem, Service, ServiceComponent
from serviceloop.transition import services_config, services_plans
from serviceloop.transition.demo_changes import (
    DAY,
    ITEMS,
    TEMPLATES,
    demo_changes,
    night_window,
    service_coded,
)
from serviceloop.transition.demo_releases import demo_releases
from serviceloop.transition.models import (
    BlackoutPeriod,
    CabRule,
    ChangePolicy,
    ChangeTemplate,
    CriterionKey,
    TransitionPlan,
)
from serviceloop.transition.risk import RiskLevel

# (risk level, approvers, quorum, emergency approvers, emergency quorum)
CAB = (
    (RiskLevel.LOW, ("lead", "admin"), 1, ("lead",), 1),
    (RiskLevel.MEDIUM, ("lead", "admin", "owner"), 2, ("lead",), 1),
    (RiskLevel.HIGH, ("lead", "admin", "owner", "agent2"), 3, ("lead", "admin"), 1),
)


def _people() -> dict[str, User]:
    return {
        u.username: u
        for u in User.objects.filter(
            username__in=["admin", "owner", "lead", "agent", "agent2", "ecl.user"]
        )
    }


def _fallback_cmdb(write) -> int:
    """A minimal CMDB when the portfolio demo has none: the items named in ITEMS and the
    ERP and Email services."""
    from serviceloop.portfolio.services_cmdb import ci_create, relation_add

    created = 0
    server, _ = CiType.objects.get_or_create(code="server", defaults={"name": "服务器 Server"})
    software, _ = CiType.objects.get_or_create(
        code="application", defaults={"name": "应用 Application"}
    )
    items = {}
    for key, names in ITEMS.items():
        name = names if isinstance(names, str) else names[0]
        ci_type = software if key in ("erp_db", "exchange", "oa_db") else server
        items[key] = ci_create(actor=None, name=name, ci_type=ci_type, status="active")
        created += 1
    relation_add(actor=None, source=items["erp_db"], kind="runs_on", target=items["db_host"])
    relation_add(actor=None, source=items["oa_db"], kind="runs_on", target=items["db_host"])
    relation_add(actor=None, source=items["erp_app"], kind="depends_on", target=items["erp_db"])
    customers = list(Organisation.objects.customers())
    for code, name, parts in (
        ("erp", "ERP 企业资源计划 ERP", ("erp_app", "erp_app2")),
        ("email", "邮件服务 Email", ("mail", "exchange")),
    ):
        service, made = Service.objects.get_or_create(
            code=code, defaults={"name": name, "status": ServiceStatus.LIVE}
        )
        if made:
            service.customers.set(customers)
            created += 1
        for part in parts:
            ServiceComponent.objects.get_or_create(service=service, configuration_item=items[part])
    write("transition demo: a minimal CMDB (the portfolio demo had none)")
    return created


def demo_records(write=print) -> int:
    """Create what is missing of the transition demo; returns the number of records created."""
    people = _people()
    if not {"admin", "owner", "lead", "agent", "agent2"} <= set(people):
        return 0
    now = timezone.now()
    created = 0
    with transaction.atomic():
        if not ConfigurationItem.objects.exists():
            created += _fallback_cmdb(write)
        for spec in TEMPLATES:
            if not ChangeTemplate.objects.filter(name=spec["name"]).exists():
                services_config.template_create(actor=people["owner"], **spec)
                created += 1
                write(f"change template {spec['name']}")
        for level, approvers, quorum, emergency, emergency_quorum in CAB:
            if not CabRule.objects.filter(risk_level=level).exists():
                services_config.cab_rule_save(
                    actor=people["owner"],
                    risk_level=level,
                    approvers=[people[u] for u in approvers],
                    quorum=quorum,
                    emergency_approvers=[people[u] for u in emergency],
                    emergency_quorum=emergency_quorum,
                )
                created += 1
                write(f"CAB rule {level}")
        policy = ChangePolicy.current()
        if policy.version == 1 and not policy.controlled_ci_types.exists():
            services_config.policy_update(
                actor=people["owner"],
                controlled_ci_types=list(CiType.objects.filter(code__in=["network", "database"])),
                controlled_services=[s for s in (service_coded("erp"),) if s],
            )
            write("change policy: network devices, databases and ERP under change control")
        ecl = Organisation.objects.filter(short_name="ECL").first()
        for reason, organisation, start, days in (
            ("华东物流年终结算 ECL year-end closing", ecl, night_window(20, 0, now)[0], 4),
            (
                "全员变更冻结：国庆 Change freeze: National Day",
                None,
                night_window(40, 0, now)[0],
                7,
            ),
        ):
            if not BlackoutPeriod.objects.filter(reason=reason).exists():
                services_config.blackout_create(
                    actor=people["owner"],
                    organisation=organisation,
                    start=start,
                    end=start + days * DAY,
                    reason=reason,
                )
                created += 1
                write(f"blackout period {reason}")
        created += demo_changes(people, now, write)
        created += demo_releases(people, now, write)
        title = "云主机服务上线验收 Cloud hosting acceptance"
        service = (
            Service.objects.filter(status=ServiceStatus.PIPELINE).order_by("name").first()
            or service_coded("cloud")
            or Service.objects.order_by("name").first()
        )
        if service is not None and not TransitionPlan.objects.filter(title=title).exists():
            plan = services_plans.plan_create(
                actor=people["agent"],
                service=service,
                title=title,
                description="Acceptance of the service before go-live.",
                target_go_live=timezone.localdate(now) + datetime.timedelta(days=30),
                now=now - 3 * DAY,
            )
            for key, evidence in (
                (
                    CriterionKey.SUPPORT_TRAINED,
                    "Service desk trained on 2026-03-02 (attendance list in the training record).",
                ),
                (
                    CriterionKey.MONITORING,
                    "Zabbix templates linked; alerts routed to Infrastructure.",
                ),
            ):
                services_plans.plan_criterion_record(
                    actor=people["agent"],
                    criterion=plan.criteria.get(key=key),
                    met=True,
                    evidence=evidence,
                    now=now - 2 * DAY,
                )
            created += 1
            write(f"transition plan {plan.reference} {title}")
    return created
