"""Demo records of the customers part: an account with contacts for each demo customer, two
relationship reviews with actions, a satisfaction survey with responses, an agreed SLA per
customer (with a superseded earlier version) linked to the desk's standard SLA policy, and
one OLA between the service desk and infrastructure teams.

Idempotent: each record is looked for first (by organisation, title or reference) and only
what is missing is created; returns the number of records created. Everything is written
through the services (audit rows included), back-dated with their ``now`` where it matters.
"""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from serviceloop.core.models import Organisation, OrganisationKind, Team, User
from serviceloop.relationship import services_agreements as agreements
from serviceloop.relationship import services_customers as customers
from serviceloop.relationship import services_customers_surveys as surveys
from serviceloop.relationship.agreements_sla_template import sla_template_bilingual
from serviceloop.relationship.models import (
    Agreement,
    AgreementKind,
    CustomerAccount,
    CustomerContact,
    ReviewMeeting,
    Survey,
    TargetMetric,
    TargetUnit,
    VersionStatus,
)

STANDARD_POLICY = "标准服务级别 Standard SLA"

# short name: (account manager, [(name, role, email local part, phone, primary, username)])
ACCOUNTS = {
    "ECL": (
        "lead",
        [
            ("孙强 Sun Qiang", "IT 经理 IT manager", "sun.qiang", "+86 21 5555 0101", True,
             "ecl.manager"),
            ("周婷 Zhou Ting", "仓储主管 Warehouse supervisor", "zhou.ting", "+86 21 5555 0102",
             False, "ecl.user"),
            ("黄磊 Huang Lei", "财务 Finance", "huang.lei", "+86 21 5555 0103", False, None),
        ],
    ),
    "MDU": (
        "agent2",
        [
            ("David Brown", "Head of IT services", "david.brown", "+86 10 6666 0201", True,
             "mdu.manager"),
            ("吴昊 Wu Hao", "教务处 Registry office", "wu.hao", "+86 10 6666 0202", False,
             "mdu.user"),
        ],
    ),
}  # fmt: skip

REVIEWS = {
    "ECL": {
        "title": "2026 年第三季度服务评审 Q3 service review",
        "days_ago": 75,
        "participants": "孙强 Sun Qiang (华东物流 ECL)\n周婷 Zhou Ting (华东物流 ECL)\n"
        "张伟 Zhang Wei (云栈科技 CloudStack)\n刘洋 Liu Yang (云栈科技 CloudStack)",
        "minutes": "<h3>议题 Agenda</h3><ol><li>SLA 达成情况 SLA achievement</li>"
        "<li>VPN 反复中断 Recurring VPN drops</li><li>仓库扫码枪更换 Scanner refresh</li></ol>"
        "<h3>结论 Conclusions</h3><p>第三季度 P1 响应达成率 96%，低于 98% 目标；主要原因是 VPN "
        "反复中断。P1 response achievement was 96% against a 98% target, mostly because of the "
        "recurring VPN drops.</p><p>双方同意在下季度前完成 VPN 根因分析。Both sides agreed the "
        "VPN root cause analysis is finished before next quarter.</p>",
        "actions": [
            ("完成 VPN 问题根因分析 Finish the VPN root cause analysis", "lead", 30, True),
            ("提供仓库扫码枪清单 Send the list of warehouse scanners", "ecl.manager", 45, False),
            ("更新值班联系人名单 Update the on-call contact list", "agent", 80, False),
        ],
    },
    "MDU": {
        "title": "Autumn term service review 秋季学期服务评审",
        "days_ago": 20,
        "participants": "David Brown (Mingde University)\n吴昊 Wu Hao (Mingde University)\n"
        "Emma Clarke (CloudStack Tech)",
        "minutes": "<p>Enrolment week went smoothly: no P1 incident, 3 P2 incidents all resolved "
        "within target.</p><ul><li>The university asks for extended desk hours during exam "
        "weeks.</li><li>The provider proposes a survey of lecturers in December.</li></ul>",
        "actions": [
            ("Price extended desk hours for exam weeks 报价考试周延长服务", "agent2", 30, False),
            ("Confirm exam week dates 确认考试周日期", "mdu.manager", 7, False),
        ],
    },
}

SURVEY_TITLE = "2026 年度客户满意度调查 Customer satisfaction 2026"
SURVEY_QUESTIONS = [
    "服务台响应是否及时？How quickly does the service desk respond?",
    "问题是否一次解决？Are problems solved the first time?",
    "工程师是否专业友好？Are our engineers professional and friendly?",
    "您对整体服务是否满意？How satisfied are you with the service overall?",
]
# username: scores (one per question), comment
SURVEY_ANSWERS = {
    "ecl.manager": ([4, 3, 5, 4], "VPN 问题需要尽快解决。Please fix the VPN issue soon."),
    "ecl.user": ([5, 4, 5, 5], ""),
    "mdu.manager": ([4, 4, 4, 4], "Good term overall."),
    "mdu.user": ([3, 4, 4, 3], "考试周希望延长服务时间。Longer hours in exam weeks, please."),
}

# The targets of each SLA version: (metric, priority, value, unit, linked to the desk policy)
SLA_TARGETS_V1 = [
    (TargetMetric.FIRST_RESPONSE, "P1", "60", TargetUnit.MINUTES, True),
    (TargetMetric.RESOLUTION, "P1", "8", TargetUnit.HOURS, True),
    (TargetMetric.AVAILABILITY, "", "99.0", TargetUnit.PERCENT, False),
]
SLA_TARGETS_V2 = [
    (TargetMetric.FIRST_RESPONSE, "P1", "30", TargetUnit.MINUTES, True),
    (TargetMetric.RESOLUTION, "P1", "4", TargetUnit.HOURS, True),
    (TargetMetric.FIRST_RESPONSE, "P2", "60", TargetUnit.MINUTES, True),
    (TargetMetric.RESOLUTION, "P2", "8", TargetUnit.HOURS, True),
    (TargetMetric.AVAILABILITY, "", "99.5", TargetUnit.PERCENT, False),
    (TargetMetric.OTHER, "", "90", TargetUnit.PERCENT, False),
]
OTHER_LABEL = "满意度调查整体评分 ≥ 4 的比例 Share of survey answers scoring 4 or more"

OLA_TITLE = "一线与二线支持运营级别协议 Service desk ↔ infrastructure OLA"
OLA_BODY = (
    "<p>二线运维团队在工作时间内接手服务台升级的工单：P1 15 分钟内、P2 1 小时内确认接手。"
    "The infrastructure team accepts tickets escalated by the service desk within 15 minutes "
    "(P1) and 1 hour (P2) in working hours.</p>"
    "<p>升级时服务台提供：影响范围、已做排查、联系人。The desk hands over the impact, the checks "
    "already done and a contact.</p>"
)
OLA_TARGETS = [
    (TargetMetric.FIRST_RESPONSE, "P1", "15", TargetUnit.MINUTES, False),
    (TargetMetric.FIRST_RESPONSE, "P2", "1", TargetUnit.HOURS, False),
]


def _at(days_ago: int, hour: int = 10) -> datetime.datetime:
    day = timezone.localdate() - datetime.timedelta(days=days_ago)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _standard_policy():
    """The desk's demo SLA policy, created as the desk demo would if it does not exist yet
    (relationship loads before the desk)."""
    from serviceloop.core.models import Calendar
    from serviceloop.desk.models import SlaPolicy, SlaPolicyVersion

    policy = SlaPolicy.objects.filter(name=STANDARD_POLICY).first()
    if policy is None and not SlaPolicy.objects.exists():
        from serviceloop.desk.demo import TARGETS

        calendar = Calendar.objects.filter(name="cn-workdays").first()
        if calendar is None:
            return None, None
        policy = SlaPolicy.objects.create(name=STANDARD_POLICY, rank=100)
        SlaPolicyVersion.objects.create(
            policy=policy,
            number=1,
            calendar=calendar,
            targets=TARGETS,
            warn_percent=75,
            published_at=timezone.now() - datetime.timedelta(days=400),
        )
    if policy is None:
        return None, None
    return policy, policy.versions.order_by("-number").first()


def _services_for(organisation):
    from serviceloop.portfolio.models import Service

    services = list(Service.objects.filter(customers=organisation).order_by("name"))
    return services or list(Service.objects.filter(status="live").order_by("name")[:2])


def demo_records(write=print) -> int:
    """Create what is missing of the customers part's demo records; returns the count."""
    people = {u.username: u for u in User.objects.filter(is_active=True)}
    owner = people.get("owner")
    if owner is None:
        return 0
    created = 0
    organisations = {
        o.short_name: o
        for o in Organisation.objects.filter(
            kind=OrganisationKind.CUSTOMER, short_name__in=ACCOUNTS
        )
    }
    with transaction.atomic():
        accounts = {}
        for short, (manager, contacts) in ACCOUNTS.items():
            organisation = organisations.get(short)
            if organisation is None:
                continue
            account = CustomerAccount.objects.filter(organisation=organisation).first()
            if account is None:
                account = customers.customer_account_create(
                    actor=owner,
                    organisation=organisation,
                    account_manager=people.get(manager),
                    notes="演示客户 Demo customer.",
                )
                created += 1
                write(f"customer account {organisation}")
            accounts[short] = account
            for name, role, local, phone, primary, username in contacts:
                if CustomerContact.objects.filter(account=account, name=name).exists():
                    continue
                customers.customer_contact_create(
                    actor=owner,
                    account=account,
                    name=name,
                    role=role,
                    email=f"{local}@{organisation.email_domain or 'example.cn'}",
                    phone=phone,
                    is_primary=primary,
                    user=people.get(username) if username else None,
                )
                created += 1
        created += _reviews(accounts, people, owner, write)
        created += _survey(organisations, accounts, people, owner, write)
        created += _slas(organisations, people, owner, write)
        created += _ola(people, owner, write)
    return created


def _reviews(accounts, people, owner, write) -> int:
    created = 0
    today = timezone.localdate()
    for short, spec in REVIEWS.items():
        account = accounts.get(short)
        if (
            account is None
            or ReviewMeeting.objects.filter(account=account, title=spec["title"]).exists()
        ):
            continue
        actor = account.account_manager or owner
        review = customers.review_create(
            actor=actor,
            account=account,
            held_on=today - datetime.timedelta(days=spec["days_ago"]),
            title=spec["title"],
            participants=spec["participants"],
            minutes=spec["minutes"],
        )
        created += 1
        write(f"review {review.reference} {review.title}")
        for title, username, due_after, done in spec["actions"]:
            action = customers.review_action_add(
                actor=actor,
                review=review,
                title=title,
                owner=people.get(username) or actor,
                due_on=review.held_on + datetime.timedelta(days=due_after),
            )
            if done:
                customers.review_action_transition(
                    actor=actor,
                    action=action,
                    target="done",
                    now=_at(max(spec["days_ago"] - due_after + 3, 0)),
                )
            created += 1
    return created


def _survey(organisations, accounts, people, owner, write) -> int:
    if Survey.objects.filter(title=SURVEY_TITLE).exists() or not accounts:
        return 0
    today = timezone.localdate()
    survey = surveys.survey_create(
        actor=owner,
        title=SURVEY_TITLE,
        period_start=today.replace(month=1, day=1),
        period_end=today.replace(month=12, day=31),
        intro="感谢您抽出两分钟时间。Thank you for sparing two minutes.",
        customers=list(organisations.values()),
        questions=SURVEY_QUESTIONS,
    )
    surveys.survey_transition(actor=owner, survey=survey, target="open", now=_at(30))
    questions = list(survey.questions.order_by("position"))
    created = 1
    for username, (scores, comment) in SURVEY_ANSWERS.items():
        user = people.get(username)
        contact = CustomerContact.objects.filter(user=user).first() if user else None
        if contact is None:
            continue
        # The managers answered in the portal; the users' answers came by phone to the agent.
        actor = user if username.endswith(".manager") else people.get("agent", owner)
        surveys.survey_response_submit(
            actor=actor,
            survey=survey,
            contact=contact,
            scores={q.pk: s for q, s in zip(questions, scores, strict=True)},
            comment=comment,
            now=_at(25),
        )
        created += 1
    write(f"survey {survey.reference} with {created - 1} responses")
    return created


def _add_targets(actor, version, targets, policy, policy_version) -> None:
    for metric, priority, value, unit, linked in targets:
        agreements.agreement_target_add(
            actor=actor,
            version=version,
            metric=metric,
            priority=priority,
            target_value=Decimal(value),
            unit=unit,
            label=OTHER_LABEL if metric == TargetMetric.OTHER else "",
            sla_policy=policy if linked else None,
            sla_policy_version=policy_version if linked else None,
        )


def _slas(organisations, people, owner, write) -> int:
    policy, policy_version = _standard_policy()
    created = 0
    for organisation in organisations.values():
        if Agreement.objects.filter(kind=AgreementKind.SLA, customers=organisation).exists():
            continue
        services = _services_for(organisation)
        if not services:
            write(f"no service in the catalogue yet: no SLA for {organisation}")
            continue
        account = CustomerAccount.objects.filter(organisation=organisation).first()
        author = account.account_manager if account and account.account_manager else owner
        # Version 1: agreed a year and a half ago, superseded by version 2 last month.
        agreement = agreements.agreement_create(
            actor=author,
            kind=AgreementKind.SLA,
            title=f"{organisation.short_name} 服务级别协议 Service level agreement",
            customers=[organisation],
            valid_from=timezone.localdate() - datetime.timedelta(days=540),
            review_on=timezone.localdate() - datetime.timedelta(days=180),
            services=services,
            body=sla_template_bilingual(),
            change_note="首版 First version",
            now=_at(560),
        )
        first = agreement.versions.get(number=1)
        _add_targets(author, first, SLA_TARGETS_V1, policy, policy_version)
        agreements.agreement_version_transition(
            actor=author, version=first, target=VersionStatus.IN_REVIEW, now=_at(550)
        )
        agreements.agreement_version_transition(
            actor=owner, version=first, target=VersionStatus.AGREED, now=_at(545)
        )
        second = agreements.agreement_version_new(actor=author, agreement=agreement, now=_at(60))
        second = agreements.agreement_version_update(
            actor=author,
            version=second,
            valid_from=timezone.localdate() - datetime.timedelta(days=30),
            valid_until=None,
            review_on=timezone.localdate() + datetime.timedelta(days=10),
            change_note="P1 目标收紧，增加 P2 目标 Tighter P1 targets, P2 targets added",
            now=_at(60),
        )
        for target in list(second.targets.all()):  # a fresh draft: replace the copied targets
            agreements.agreement_target_remove(actor=author, target=target)
        _add_targets(author, second, SLA_TARGETS_V2, policy, policy_version)
        agreements.agreement_version_transition(
            actor=author, version=second, target=VersionStatus.IN_REVIEW, now=_at(45)
        )
        agreements.agreement_version_transition(
            actor=owner, version=second, target=VersionStatus.AGREED, now=_at(40)
        )
        created += 1
        write(f"SLA {agreement.reference} (v1 superseded, v2 agreed)")
    return created


def _ola(people, owner, write) -> int:
    if Agreement.objects.filter(kind=AgreementKind.OLA, title=OLA_TITLE).exists():
        return 0
    teams = list(Team.objects.filter(organisation__kind=OrganisationKind.PROVIDER).order_by("pk"))
    if len(teams) < 2:
        return 0
    from serviceloop.portfolio.models import Service

    lead = people.get("lead", owner)
    agreement = agreements.agreement_create(
        actor=lead,
        kind=AgreementKind.OLA,
        title=OLA_TITLE,
        teams=teams[:2],
        valid_from=timezone.localdate() - datetime.timedelta(days=200),
        review_on=timezone.localdate() + datetime.timedelta(days=160),
        services=list(Service.objects.filter(status="live").order_by("name")[:3]),
        body=OLA_BODY,
        now=_at(210),
    )
    version = agreement.versions.get(number=1)
    _add_targets(lead, version, OLA_TARGETS, None, None)
    if version.services.exists():
        agreements.agreement_version_transition(
            actor=lead, version=version, target=VersionStatus.IN_REVIEW, now=_at(205)
        )
        agreements.agreement_version_transition(
            actor=owner, version=version, target=VersionStatus.AGREED, now=_at(200)
        )
    write(f"OLA {agreement.reference}")
    return 1
