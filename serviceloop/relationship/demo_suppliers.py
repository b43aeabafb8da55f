"""Demo records of the suppliers part: four suppliers (two external, one internal, one
customer acting as a supplier), their contracts with obligations (one inside its renewal
notice period), a completed performance review and a dispute in negotiation.

Written through the services, with dates relative to today, so the renewal reminder and the
review read as they would in real use. Idempotent: nothing is added once a supplier exists.
Desk tickets that waited on a supplier are linked only when the desk's demo tickets already
exist (the desk app loads its demo after this one).
"""

import datetime

from django.db import transaction
from django.utils import timezone

from serviceloop.core.models import Organisation, OrganisationKind, User
from serviceloop.desk.models import Kind, Ticket
from serviceloop.portfolio.models import Service
from serviceloop.relationship.models import ObligationMetric, Supplier, SupplierKind
from serviceloop.relationship.services_suppliers import (
    supplier_contact_add,
    supplier_create,
    ticket_supplier_link,
)
from serviceloop.relationship.services_suppliers_contracts import (
    contract_create,
    contract_transition,
    obligation_create,
)
from serviceloop.relationship.services_suppliers_disputes import (
    dispute_create,
    dispute_transition,
)
from serviceloop.relationship.services_suppliers_reviews import (
    review_complete,
    review_create,
    review_score_set,
)

M = ObligationMetric


def _person(username: str) -> User | None:
    return User.objects.filter(username=username, is_active=True).first()


def demo_records(write=print) -> int:
    """Create the suppliers part's demo records if none exist; returns how many suppliers."""
    if Supplier.objects.exists():
        return 0
    admin = _person("admin")
    lead = _person("lead") or admin
    agent = _person("agent") or admin
    if admin is None:
        return 0  # the core demo (people, organisations) is not loaded
    provider = Organisation.objects.filter(kind=OrganisationKind.PROVIDER).first()
    university = Organisation.objects.filter(short_name="MDU").first()
    services = list(Service.objects.order_by("pk")[:3])
    now = timezone.now()
    today = timezone.localdate(now)

    def days(n: int) -> datetime.date:
        return today + datetime.timedelta(days=n)

    with transaction.atomic():
        telecom = supplier_create(
            actor=admin,
            name="中国电信 China Telecom",
            services_provided="专线与互联网接入 Leased lines and Internet access",
            website="https://www.chinatelecom.example.cn",
            manager=lead,
        )
        cloud = supplier_create(
            actor=admin,
            name="华为云 Huawei Cloud",
            services_provided="云主机与对象存储 Cloud hosting and object storage",
            manager=lead,
        )
        datacentre = supplier_create(
            actor=admin,
            name="集团数据中心 Group Data Centre",
            kind=SupplierKind.INTERNAL,
            organisation=provider,
            services_provided="机房、电力与制冷 Racks, power and cooling",
            manager=agent,
        )
        suppliers = [telecom, cloud, datacentre]
        if university is not None:
            suppliers.append(
                supplier_create(
                    actor=admin,
                    name="明德大学网络中心 Mingde University Network Centre",
                    kind=SupplierKind.CUSTOMER,
                    organisation=university,
                    services_provided="校园网接入与现场支持 Campus network access and on-site support",
                    manager=lead,
                )
            )
        supplier_contact_add(
            actor=admin,
            supplier=telecom,
            name="陈经理 Manager Chen",
            role="客户经理 Account manager",
            email="chen@chinatelecom.example.cn",
            phone="+86 21 6000 1000",
            is_primary=True,
        )
        supplier_contact_add(
            actor=admin,
            supplier=telecom,
            name="NOC 7×24",
            role="网络运营中心 Network operations",
            phone="10000",
        )
        supplier_contact_add(
            actor=admin, supplier=cloud, name="Grace Li", email="grace.li@cloud.example.com"
        )

        lines = contract_create(
            actor=admin,
            supplier=telecom,
            title="专线维护 Leased line maintenance",
            supplier_reference="CT-SH-2025-0917",
            scope="两条 100M 专线的维护与 4 小时现场响应。Maintenance of two 100M leased lines, "
            "four-hour on-site response.",
            services=services[:2],
            value="180000.00",
            start_date=days(-320),
            end_date=days(45),  # inside its 60-day renewal notice period
            notice_period_days=60,
            owner=lead,
            now=now - datetime.timedelta(days=330),
        )
        for description, metric, target in (
            ("每季度供应商引起的事件不超过 2 起 At most 2 incidents caused per period", M.SUPPLIER_INCIDENTS, 2),
            ("平均等待供应商时间不超过 8 小时 Average wait for the supplier under 8 hours", M.WAITING_HOURS, 8),
            ("平均响应时间不超过 4 小时 Average response within 4 hours", M.RESPONSE_HOURS, 4),
            ("每月提交可用性报告 Monthly availability report delivered", M.MANUAL, None),
        ):  # fmt: skip
            obligation_create(
                actor=admin,
                contract=lines,
                description=description,
                metric=metric,
                target_value=target,
            )
        contract_transition(actor=admin, contract=lines, target="active", now=now)

        hosting = contract_create(
            actor=admin,
            supplier=cloud,
            title="云主机服务 Cloud hosting",
            scope="ERP 与邮件系统的云主机。Cloud hosts of the ERP and the mail system.",
            services=services[:1],
            value="96000.00",
            start_date=days(-200),
            end_date=days(530),
            notice_period_days=90,
            owner=lead,
        )
        obligation_create(
            actor=admin,
            contract=hosting,
            description="平均响应时间不超过 2 小时 Average response within 2 hours",
            metric=M.RESPONSE_HOURS,
            target_value=2,
        )
        obligation_create(
            actor=admin,
            contract=hosting,
            description="每季度容量报告 Quarterly capacity report",
            metric=M.MANUAL,
        )
        contract_transition(actor=admin, contract=hosting, target="active", now=now)

        colocation = contract_create(
            actor=admin,
            supplier=datacentre,
            title="机房托管（内部协议）Colocation (internal agreement)",
            scope="机柜、电力与制冷。Racks, power and cooling.",
            currency="CNY",
            start_date=days(-400),
            end_date=days(330),
            notice_period_days=30,
            owner=agent,
        )
        obligation_create(
            actor=admin,
            contract=colocation,
            description="供电中断每季度不超过 1 次 At most 1 supplier-caused outage per period",
            metric=M.SUPPLIER_INCIDENTS,
            target_value=1,
        )
        contract_transition(actor=admin, contract=colocation, target="active", now=now)
        if len(suppliers) > 3:
            campus = contract_create(
                actor=admin,
                supplier=suppliers[3],
                title="校园网接入 Campus network access",
                scope="校园网内我方设备的接入与现场协助。Access for our equipment on campus, "
                "with on-site help.",
                start_date=days(-100),
                end_date=days(265),
                notice_period_days=60,
                owner=lead,
            )
            obligation_create(
                actor=admin,
                contract=campus,
                description="现场协助两个工作日内到场 On-site help within two working days",
                metric=M.MANUAL,
            )
            contract_transition(actor=admin, contract=campus, target="active", now=now)

        # Tickets of the last 90 days that waited on the telecom supplier (when the desk's
        # demo tickets exist): the review's measured figures come from them.
        incidents = Ticket.objects.filter(
            kind=Kind.INCIDENT, created_at__gte=now - datetime.timedelta(days=90)
        ).order_by("created_at")[:4]
        for n, ticket in enumerate(incidents):
            ticket_supplier_link(
                actor=agent,
                ticket=ticket,
                supplier=telecom,
                caused_incident=n % 2 == 0,
                note="专线中断 Leased line down"
                if n % 2 == 0
                else "等待运营商排障 Waiting for the carrier",
            )

        review = review_create(
            actor=lead,
            supplier=telecom,
            period_start=days(-90),
            period_end=days(-1),
        )
        for score in review.scores.select_related("obligation").filter(computed=False):
            review_score_set(
                actor=lead,
                score=score,
                met=True,
                note="报告按时提交。Reports came on time.",
            )
        review_complete(
            actor=lead,
            review=review,
            overall_rating=3,
            summary="响应及时，但夜间升级渠道不清晰。Responsive, but the night-time escalation "
            "path is unclear.",
            actions="双方约定夜间升级联系人。Agree a night-time escalation contact.",
        )

        dispute = dispute_create(
            actor=lead,
            supplier=telecom,
            contract=lines,
            title="账单争议：专线中断期间仍计费 Invoice dispute: billed during the outage",
            description="中断 18 小时期间的费用应按合同减免。The 18 hours of outage should be "
            "credited as the contract says.",
            raised_on=days(-12),
        )
        dispute_transition(actor=lead, dispute=dispute, target="in_negotiation")
    write(f"{len(suppliers)} demo suppliers with contracts, a review and a dispute")
    return len(suppliers)
