"""Demo changes of the transition demo (``demo.demo_records``): thirteen changes in every
state of the lifecycle (one failed and linked to the incident it caused, one scheduled into a
blackout with a recorded override), raised and moved through the same services as in real
use, with the clock set back (``now=``). Built on the portfolio demo's items and services,
looked up by name (``ITEMS``). Idempotent: a change whose title exists is left alone.
"""

import datetime

from django.utils import timezone

from serviceloop.desk.models import Kind, Ticket
from serviceloop.portfolio.models import ConfigurationItem, Service
from serviceloop.transition import (
    services_cab,
    services_change_implementation,
    services_change_links,
    services_changes,
)
from serviceloop.transition.conflicts import change_conflicts
from serviceloop.transition.lifecycle import ChangeStatus
from serviceloop.transition.models import BlackoutPeriod, ChangeRequest, ChangeTemplate, ChangeType
from serviceloop.transition.risk import RiskLevel

CS = ChangeStatus
DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)
DEMO_OVERRIDE = "演示数据：已与相关变更负责人协调 Demo data: agreed with the other change owners."

# The standard-change templates (created by ``demo.demo_records``) some changes follow.
TEMPLATES = (
    {
        "name": "重启应用服务器 Restart an application server",
        "description": "Rolling restart of one application server outside business hours.",
        "implementation_plan": "1. Drain the node from the load balancer.\n2. Restart.\n3. Check health.\n4. Put it back.",
        "backout_plan": "Put the node back in the pool; fail over to its twin.",
        "test_plan": "Health check returns 200; a test login works.",
        "risk_level": RiskLevel.LOW,
    },
    {
        "name": "新增邮箱账号 Add mailboxes",
        "description": "Create mailboxes for new staff of a customer.",
        "implementation_plan": "Create the accounts from the signed request; assign licences.",
        "backout_plan": "Disable the new accounts.",
        "test_plan": "Send and receive a test message.",
        "risk_level": RiskLevel.LOW,
    },
    {
        "name": "防火墙规则变更 Firewall rule change (single rule)",
        "description": "Add or remove one firewall rule from an approved request.",
        "implementation_plan": "Apply the rule in the change window; save the configuration.",
        "backout_plan": "Restore the saved configuration.",
        "test_plan": "Test the flow the rule is for; check no other flow broke.",
        "risk_level": RiskLevel.MEDIUM,
    },
)

# The items the changes touch, by their portfolio demo names (the first in use is taken).
ITEMS = {
    "erp_db": "mssql-erp",
    "db_host": "db-srv-01 数据库服务器",
    "erp_app": "vm-erp-app-01",
    "erp_app2": "vm-erp-app-02",
    "mail": "vm-mail-01",
    "exchange": "Exchange 邮件系统",
    "core_switch": "sw-core-01",
    "firewall": "fw-edge-01",
    "vpn": "vpn-gw-01",
    "esx": "esx-03",
    "backup": "backup-srv-01",
    "oa_db": ("mysql-oa-legacy", "db-srv-01 数据库服务器"),
}


def item_named(key):
    """The item in use the demo names ``key`` (``ITEMS``), or any item in use."""
    names = ITEMS[key]
    for name in (names,) if isinstance(names, str) else names:
        item = ConfigurationItem.objects.in_use().filter(name=name).first()
        if item is not None:
            return item
    # the portfolio demo names it otherwise (or retired it): any item in use will do
    return ConfigurationItem.objects.in_use().order_by("id").first()


def service_coded(code):
    """The service of that code, if the demo has it."""
    return Service.objects.filter(code=code).first()


def _schedule(change, actor, start, end, now, reason=""):
    if change_conflicts(change, start, end) and not reason:
        reason = DEMO_OVERRIDE
    return services_change_implementation.change_schedule(
        actor=actor,
        change=change,
        planned_start=start,
        planned_end=end,
        override_reason=reason,
        now=now,
    )


def _cab(change, actor, now, likelihood, impact, votes):
    """Assess (unless emergency), send to the CAB, and cast ``votes`` [(user, decision, comment)]."""
    if change.is_emergency:
        change = services_cab.change_send_to_cab(
            actor=actor, change=change, likelihood=likelihood, impact=impact, now=now
        )
    else:
        change = services_changes.change_assess(
            actor=actor, change=change, likelihood=likelihood, impact=impact, now=now
        )
        change = services_cab.change_send_to_cab(actor=actor, change=change, now=now)
    for n, (voter, decision, comment) in enumerate(votes, start=1):
        change.refresh_from_db()
        if change.status != CS.AWAITING_CAB:
            break
        services_cab.change_vote(
            actor=voter, change=change, decision=decision, comment=comment, now=now + n * HOUR
        )
    change.refresh_from_db()
    return change


def _raise(spec, people, now):
    actor = people[spec.get("by", "agent")]
    template = ChangeTemplate.objects.filter(name=spec.get("template", "")).first()
    change_type = ChangeType.STANDARD if template else spec.get("type", ChangeType.NORMAL)
    fields = {
        key: spec[key]
        for key in ("description", "reason", "implementation_plan", "backout_plan", "test_plan")
        if key in spec
    }
    return services_changes.change_create(
        actor=actor,
        change_type=change_type,
        template=template,
        title=spec["title"],
        configuration_items=[i for i in (item_named(k) for k in spec.get("items", ())) if i],
        services=[s for s in (service_coded(c) for c in spec.get("services", ())) if s],
        implementer=people.get(spec.get("implementer", "agent2")),
        now=now,
        **fields,
    )


def night_window(day_offset, hour, now, hours=2):
    """A window ``day_offset`` days from today at ``hour`` local time."""
    day = timezone.localtime(now).date() + datetime.timedelta(days=day_offset)
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))
    return start, start + datetime.timedelta(hours=hours)


PLANS = {
    "implementation_plan": "1. Snapshot / backup.\n2. Apply the change.\n3. Run the checks.\n4. Hand over to the service desk.",
    "backout_plan": "Restore the snapshot taken in step 1; confirm the service is back.",
    "test_plan": "Smoke tests of the affected services; watch monitoring for an hour.",
}


def demo_changes(people, now, write) -> int:
    """The demo changes, each only if its title is new."""
    lead, admin, owner, agent, agent2 = (
        people[u] for u in ("lead", "admin", "owner", "agent", "agent2")
    )
    created = 0
    specs = [
        # 1. a standard change, done and closed
        {
            "title": "重启 ERP 应用服务器 Restart ERP app server 01",
            "template": TEMPLATES[0]["name"],
            "items": ["erp_app"],
            "path": "closed_standard",
            "at": -25,
        },
        # 2. a standard change, scheduled
        {
            "title": "为华东物流新增 12 个邮箱 Add 12 mailboxes for ECL",
            "template": TEMPLATES[1]["name"],
            "items": ["exchange"],
            "path": "scheduled_standard",
            "at": -2,
        },
        # 3. normal, medium risk, CAB-approved and scheduled
        {
            "title": "ERP 数据库小版本升级 Minor upgrade of the ERP database",
            "items": ["erp_db"],
            "services": ["erp"],
            "description": "SQL Server CU upgrade on the ERP instance.",
            "reason": "The current CU is out of support; it fixes a known index bug.",
            "path": "scheduled_normal",
            "at": -6,
            **PLANS,
        },
        # 4. normal, high risk, waiting for the CAB with one vote in
        {
            "title": "核心交换机固件升级 Core switch firmware upgrade",
            "items": ["core_switch"],
            "description": "Firmware V200R021 on the core switch.",
            "reason": "Vendor security advisory.",
            "path": "awaiting_cab",
            "at": -2,
            **PLANS,
        },
        # 5. normal, low risk, assessed
        {
            "title": "VPN 证书续期 Renew the VPN certificate",
            "items": ["vpn"],
            "services": ["vpn"],
            "description": "Replace the gateway certificate before it expires.",
            "reason": "The certificate expires next month.",
            "path": "assessed",
            "at": -1,
            **PLANS,
        },
        # 6. a draft
        {
            "title": "旧版 OA 安全补丁 Security patch for the legacy OA",
            "items": ["oa_db"],
            "description": "Apply the vendor's last security patch.",
            "path": "draft",
            "at": 0,
        },
        # 7. submitted
        {
            "title": "调整备份窗口 Move the nightly backup window",
            "items": ["backup"],
            "description": "Start backups at 01:00 instead of 23:00.",
            "reason": "Backups overlap the ERP month-end batch.",
            "path": "submitted",
            "at": -1,
            **PLANS,
        },
        # 8. emergency, done and closed
        {
            "title": "紧急修补 OpenSSL 漏洞 Emergency OpenSSL patch (CVE)",
            "type": ChangeType.EMERGENCY,
            "items": ["firewall"],
            "description": "Patch the edge firewall's TLS library.",
            "reason": "A critical vulnerability is exploited in the wild.",
            "path": "emergency_closed",
            "at": -12,
            **PLANS,
        },
        # 9. failed, backed out, caused an incident, reviewed
        {
            "title": "邮件网关升级 Mail gateway upgrade",
            "items": ["mail"],
            "services": ["email"],
            "description": "Upgrade the mail gateway to 10.2.",
            "reason": "End of support of 9.x.",
            "path": "failed",
            "at": -9,
            **PLANS,
        },
        # 10. rejected by the CAB
        {
            "title": "更换存储阵列 Replace the storage array",
            "items": ["esx"],
            "description": "Swap the array behind the third ESXi host.",
            "reason": "Disks near end of life.",
            "path": "rejected",
            "at": -4,
            **PLANS,
        },
        # 11. cancelled
        {
            "title": "迁移 OA 到云主机 Move the OA to cloud hosting",
            "items": ["oa_db"],
            "description": "Lift and shift.",
            "reason": "Consolidation.",
            "path": "cancelled",
            "at": -15,
        },
        # 12. being implemented now
        {
            "title": "ERP 报表模块热修复 Hotfix for the ERP report module",
            "items": ["erp_app2"],
            "services": ["erp"],
            "description": "Hotfix 3 for the report export.",
            "reason": "Exports time out for large customers.",
            "path": "implementing",
            "at": -3,
            **PLANS,
        },
        # 13. scheduled into a customer's blackout, with a recorded override
        {
            "title": "ERP 年终补丁 ERP year-end patch",
            "items": ["erp_app"],
            "services": ["erp"],
            "description": "Vendor patch for the year-end closing run.",
            "reason": "Without it the closing run fails.",
            "path": "blackout_override",
            "at": -2,
            **PLANS,
        },
    ]
    for spec in specs:
        if ChangeRequest.objects.filter(title=spec["title"]).exists():
            continue
        at = now + spec["at"] * DAY
        change = _raise(spec, people, at)
        path = spec["path"]
        if path == "draft":
            pass
        elif path == "cancelled":
            services_changes.change_cancel(
                actor=agent,
                change=change,
                reason="Replaced by the OA retirement project.",
                now=at + HOUR,
            )
        else:
            change = services_changes.change_submit(actor=agent, change=change, now=at + HOUR)
        if path == "assessed":
            services_changes.change_assess(
                actor=agent, change=change, likelihood=1, impact=1, now=at + 2 * HOUR
            )
        elif path == "awaiting_cab":
            _cab(change, agent, at + 2 * HOUR, 3, 3, [(lead, "approve", "Tested in the lab.")])
        elif path == "rejected":
            _cab(
                change,
                agent,
                at + 2 * HOUR,
                3,
                2,
                [
                    (admin, "approve", ""),
                    (lead, "reject", "No migration plan for the running VMs; resubmit with one."),
                ],
            )
        elif path in ("scheduled_normal", "implementing", "blackout_override", "failed"):
            change = _cab(
                change,
                agent,
                at + 2 * HOUR,
                2,
                2,
                [
                    (lead, "approve", "OK."),
                    (admin, "approve", "Backout plan is sound."),
                ],
            )
            if path == "scheduled_normal":
                _schedule(change, agent, *night_window(6, 22, now), at + DAY)
            elif path == "implementing":
                start, end = now - HOUR, now + 2 * HOUR
                change = _schedule(change, agent, start, end, at + DAY)
                services_change_implementation.change_start(
                    actor=agent2, change=change, now=now - 30 * datetime.timedelta(minutes=1)
                )
            elif path == "blackout_override":
                blackout = BlackoutPeriod.objects.filter(
                    reason__startswith="华东物流年终结算"
                ).first()
                start = (blackout.start + 6 * HOUR) if blackout else night_window(21, 22, now)[0]
                _schedule(
                    change,
                    agent,
                    start,
                    start + 2 * HOUR,
                    at + DAY,
                    reason="供应商补丁必须在结算前安装，已与华东物流 IT 确认 The vendor fix must be in before "
                    "closing; agreed with ECL IT.",
                )
            else:  # failed
                start, end = night_window(-7, 21, now)
                change = _schedule(change, agent, start, end, at + DAY)
                change = services_change_implementation.change_start(
                    actor=agent2, change=change, now=start
                )
                change = services_change_implementation.change_complete(
                    actor=agent2,
                    change=change,
                    target=CS.FAILED,
                    now=start + HOUR,
                    note="After the upgrade, outbound mail queued: the TLS profile was reset.",
                )
                change = services_change_implementation.change_complete(
                    actor=agent2,
                    change=change,
                    target=CS.BACKED_OUT,
                    now=start + 2 * HOUR,
                    note="Rolled back to 9.8 from the snapshot; the queue drained by 23:40.",
                )
                incident = _incident_for_failed_change(
                    people, start + 90 * datetime.timedelta(minutes=1)
                )
                if incident is not None:
                    services_change_links.change_link_incidents(
                        actor=agent, change=change, incidents=[incident], now=start + 3 * HOUR
                    )
                services_change_implementation.change_review(
                    actor=lead,
                    change=change,
                    success=False,
                    now=start + 2 * DAY,
                    notes="The upgrade reset the TLS profile; the test plan did not send external mail.",
                    lessons="Add an external send test to the mail test plan; export the TLS profile first.",
                )
        elif path in ("closed_standard", "scheduled_standard"):
            if path == "closed_standard":
                start, end = night_window(-24, 22, now, hours=1)
                change = _schedule(change, agent, start, end, at + HOUR)
                change = services_change_implementation.change_start(
                    actor=agent2, change=change, now=start
                )
                change = services_change_implementation.change_complete(
                    actor=agent2,
                    change=change,
                    target=CS.IMPLEMENTED,
                    now=start + 40 * datetime.timedelta(minutes=1),
                )
                services_change_implementation.change_close(
                    actor=agent, change=change, now=start + DAY
                )
            else:
                _schedule(change, agent, *night_window(3, 19, now, hours=1), at + HOUR)
        elif path == "emergency_closed":
            change = _cab(change, agent, at + HOUR, 3, 3, [(lead, "approve", "Go, patch tonight.")])
            start = at + 3 * HOUR
            change = _schedule(change, agent, start, start + HOUR, at + 2 * HOUR)
            change = services_change_implementation.change_start(
                actor=agent2, change=change, now=start
            )
            change = services_change_implementation.change_complete(
                actor=agent2,
                change=change,
                target=CS.IMPLEMENTED,
                now=start + 45 * datetime.timedelta(minutes=1),
            )
            change = services_change_implementation.change_review(
                actor=lead,
                change=change,
                success=True,
                now=start + DAY,
                notes="Patched within four hours of the advisory.",
                lessons="Keep the emergency CAB's phone list current.",
            )
            services_change_implementation.change_close(
                actor=lead, change=change, now=start + 2 * DAY
            )
        created += 1
        write(f"change {change.reference} {spec['title']}")
    return created


def _incident_for_failed_change(people, at):
    """A demo incident the failed mail change caused: an existing mail incident of the desk
    demo raised after the change, or a new one."""
    existing = (
        Ticket.objects.filter(kind=Kind.INCIDENT, created_at__gte=at - HOUR)
        .filter(service__icontains="mail")
        .order_by("created_at")
        .first()
    )
    if existing is not None:
        return existing
    requester = people.get("ecl.user")
    if requester is None or requester.organisation_id is None:
        return None
    from serviceloop.desk.services.tickets import ticket_create

    return ticket_create(
        actor=None,
        organisation=requester.organisation,
        requester=requester,
        title="外发邮件全部卡在队列 Outbound mail stuck in the queue",
        description="Since 22:00 no external recipient receives our mail.",
        service="企业邮箱 Mail",
        now=at,
    )
