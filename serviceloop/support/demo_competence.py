"""Demo records of competence, training and communication: six competences with requirements
per role, per process and per desk category; the demo staff's levels, among them a lapsed
internal-auditor certification and one about to expire; two training sessions (one held with
results that raised a level, one planned); the assignment check set to "warn"; and a
communication plan of four lines with the communications held.

Idempotent: competences, courses and plan lines are found by name; sessions are created only
when their course has none; levels only where nothing is recorded.
"""

import datetime

from django.utils import timezone

from serviceloop.core.models import User
from serviceloop.core.roles import Role
from serviceloop.desk.models import Category
from serviceloop.support import services_communication as communication
from serviceloop.support import services_competence as services
from serviceloop.support import services_training as training
from serviceloop.support.models import (
    CommunicationItem,
    Competence,
    CompetenceRequirement,
    CompetenceSettings,
    PersonCompetence,
    TrainingCourse,
    TrainingSession,
)

DAY = datetime.timedelta(days=1)

ITIL = "ITIL 4 基础 ITIL 4 Foundation"
AUDITOR = "ISO/IEC 20000 内审员 ISO/IEC 20000 internal auditor"
NETWORK = "网络排障 Network troubleshooting"
MAIL = "邮件与账号支持 Mail and account support"
CHANGE = "变更评估 Change assessment"
CUSTOMER = "客户沟通 Customer communication"
CHANGE_PROCESS = "变更管理 Change management"

COMPETENCES = (
    (ITIL, "服务管理 Service management", "ITIL 4 基本概念与实践。ITIL 4 concepts and practices."),
    (AUDITOR, "审核 Audit", "按 ISO/IEC 20000-1 策划和实施内部审核。Plan and run internal audits."),
    (NETWORK, "事件管理 Incident management", "局域网、VPN、Wi-Fi 故障诊断。LAN, VPN, Wi-Fi."),
    (MAIL, "事件管理 Incident management", "企业邮箱、账号、密码与权限。Mailboxes and accounts."),
    (CHANGE, CHANGE_PROCESS, "评估变更的风险、影响和回退方案。Assess risk, impact, back-out."),
    (CUSTOMER, "服务台 Service desk", "电话和书面沟通、期望管理。Talking and writing to users."),
)

# (competence, level, role / process / desk category name prefix)
REQUIREMENTS = (
    (ITIL, 1, {"role": Role.AGENT}),
    (CUSTOMER, 2, {"role": Role.AGENT}),
    (ITIL, 2, {"role": Role.TEAM_LEAD}),
    (CHANGE, 2, {"role": Role.TEAM_LEAD}),
    (AUDITOR, 3, {"role": Role.AUDITOR}),
    (ITIL, 2, {"role": Role.SYSTEM_OWNER}),
    (CHANGE, 3, {"process": CHANGE_PROCESS}),
    (ITIL, 2, {"process": CHANGE_PROCESS}),
    (NETWORK, 3, {"category": "网络"}),
    (MAIL, 2, {"category": "邮件"}),
    (MAIL, 2, {"category": "账号与权限"}),
)

# (username, competence, level, evidence, certificate, expires in days (None: never))
LEVELS = (
    ("owner", ITIL, 3, "ITIL 4 Foundation 证书 certificate", "ITIL4-F 2291", 400),
    ("owner", AUDITOR, 3, "内审员培训 Internal auditor course", "IA-20000-118", 500),
    ("lead", ITIL, 2, "ITIL 4 Foundation 证书 certificate", "ITIL4-F 1872", 20),
    ("lead", NETWORK, 4, "带教二线团队 Coaches second line", "", None),
    ("lead", CHANGE, 3, "主持 CAB 一年 Chaired the CAB for a year", "", None),
    ("agent", ITIL, 1, "入职培训 Induction", "", None),
    ("agent", CUSTOMER, 3, "客户满意度 4.8/5 Satisfaction 4.8/5", "", None),
    ("agent", MAIL, 2, "独立处理邮件工单 Handles mail tickets alone", "", None),
    ("agent", NETWORK, 1, "知道基本命令 Knows the basic commands", "", None),
    ("agent2", CUSTOMER, 2, "主管观察 Observed by the team lead", "", None),
    ("agent2", MAIL, 3, "邮件系统迁移项目 Mail migration project", "", None),
    ("agent2", NETWORK, 2, "CCNA 学习中 Studying for CCNA", "", None),
    # the internal auditor's certificate has lapsed: it counts as 0 until renewed
    ("auditor", AUDITOR, 3, "内审员证书 Internal auditor certificate", "IA-20000-042", -45),
    ("auditor", ITIL, 2, "ITIL 4 Foundation 证书 certificate", "ITIL4-F 0977", 300),
)

COURSES = (
    {
        "title": "网络排障实操 Network troubleshooting workshop",
        "description": "两天实操：抓包、VPN、Wi-Fi 漫游。Two days hands-on.",
        "competence": NETWORK,
        "raises_to_level": 3,
        "validity_months": None,
        "duration_hours": 14,
    },
    {
        "title": "ITIL 4 基础培训 ITIL 4 Foundation course",
        "description": "三天课程及考试。Three days and the exam.",
        "competence": ITIL,
        "raises_to_level": 2,
        "validity_months": 36,
        "duration_hours": 21,
    },
)

PLAN = (
    {
        "topic": "月度服务报告 Monthly service report",
        "audience": "客户代表 Customer representatives",
        "frequency": "monthly",
        "timing": "每月第 5 个工作日 5th working day",
        "channel": "report",
        "owner": "lead",
        "records": (
            (95, "9 月报告：可用性 99.8%，P1 事件 1 起。September: 99.8 % available, one P1."),
            (65, "10 月报告：SLA 达成率 97%，满意度 4.6。October: SLA met 97 %, satisfaction 4.6."),
            (35, "11 月报告：VPN 扩容完成。November: VPN capacity added."),
        ),
    },
    {
        "topic": "服务管理体系周例会 Weekly service management meeting",
        "audience": "服务台和二线 Service desk and second line",
        "frequency": "weekly",
        "timing": "周一 9:30 Mondays 9:30",
        "channel": "meeting",
        "owner": "owner",
        "records": (
            (17, "评审上周重大事件和待办变更。Reviewed last week's major incident, changes."),
            (10, "知识库文章复审安排；新人培训计划。Article reviews; induction plan."),
        ),
    },
    {
        "topic": "计划内维护通知 Planned maintenance notice",
        "audience": "受影响的客户 Customers affected",
        "frequency": "as_needed",
        "timing": "维护前 3 个工作日 3 working days before",
        "channel": "email",
        "owner": "lead",
        "records": ((25, "ERP 数据库升级，周六 22:00–24:00。ERP database upgrade, Sat 22–24."),),
    },
    {
        "topic": "管理评审结果通报 Management review results",
        "audience": "全体员工 All staff",
        "frequency": "yearly",
        "timing": "管理评审后 2 周内 Within 2 weeks of the review",
        "channel": "email",
        "owner": "owner",
        "records": (),
    },
)


def _people() -> dict[str, User]:
    return {u.username: u for u in User.objects.filter(is_active=True)}


def demo_records(write=print) -> int:
    """Create what is missing; returns the number of records created."""
    people = _people()
    owner = people.get("owner") or User.objects.filter(role=Role.SYSTEM_OWNER).first()
    if owner is None:
        write("no management-system owner: competence demo skipped")
        return 0
    created = 0
    competences = {}
    for name, category, description in COMPETENCES:
        competence = Competence.objects.filter(name=name).first()
        if competence is None:
            competence = services.competence_create(
                actor=owner, name=name, category=category, description=description
            )
            created += 1
        competences[name] = competence
    for name, level, target in REQUIREMENTS:
        if "category" in target:
            category = Category.objects.filter(name__startswith=target["category"]).first()
            if category is None:
                continue  # the desk's demo is not loaded
            target = {"category": category}
        if not CompetenceRequirement.objects.filter(competence=competences[name], **target):
            services.requirement_set(
                actor=owner, competence=competences[name], level=level, **target
            )
            created += 1
    created += _levels(owner, people, competences)
    created += _training(owner, people, competences)
    if not CompetenceSettings.objects.exists():
        services.competence_settings_update(actor=owner, assignment_check="warn")
    created += _communication(owner, people)
    if created:
        write(f"{created} competence, training and communication records")
    return created


def _levels(owner, people, competences) -> int:
    today = timezone.localdate()
    created = 0
    for username, name, level, evidence, certificate, expires_in in LEVELS:
        person = people.get(username)
        if person is None or PersonCompetence.objects.filter(
            person=person, competence=competences[name]
        ):
            continue
        expires_on = today + datetime.timedelta(days=expires_in) if expires_in else None
        assessed_on = min(today, (expires_on or today) - 365 * DAY)
        services.person_competence_set(
            actor=owner,
            person=person,
            competence=competences[name],
            level=level,
            evidence=evidence,
            certificate=certificate,
            expires_on=expires_on,
            assessed_on=assessed_on,
        )
        created += 1
    return created


def _training(owner, people, competences) -> int:
    now = timezone.now()
    today = timezone.localdate(now)
    created = 0
    courses = {}
    for spec in COURSES:
        course = TrainingCourse.objects.filter(title=spec["title"]).first()
        if course is None:
            course = training.course_create(
                actor=owner, **{**spec, "competence": competences[spec["competence"]]}
            )
            created += 1
        courses[spec["competence"]] = course
    lead, agent, agent2 = people.get("lead"), people.get("agent"), people.get("agent2")
    workshop = courses[NETWORK]
    if not TrainingSession.objects.filter(course=workshop).exists() and lead and agent and agent2:
        held_on = today - 40 * DAY
        session = training.session_create(
            actor=owner,
            course=workshop,
            held_on=held_on,
            trainer=lead,
            location="3 楼培训室 Training room, 3rd floor",
            attendees=[agent, agent2],
            now=now - 50 * DAY,
        )
        training.session_transition(actor=owner, session=session, target="held")
        # the trainer records the results; agent2's pass raises his level to 3
        training.attendance_record(
            actor=lead, session=session, person=agent2, attended=True, result="pass", score=86
        )
        training.attendance_record(
            actor=lead,
            session=session,
            person=agent,
            attended=True,
            result="fail",
            score=54,
            comment="VPN 部分需加强 Needs more VPN practice",
        )
        created += 1
    foundation = courses[ITIL]
    if not TrainingSession.objects.filter(course=foundation).exists() and agent and agent2:
        training.session_create(
            actor=owner,
            course=foundation,
            held_on=today + 20 * DAY,
            trainer_name="外部讲师 External trainer (Axelos ATO)",
            location="线上 Online",
            attendees=[agent, agent2] + ([lead] if lead else []),
        )
        created += 1
    return created


def _communication(owner, people) -> int:
    today = timezone.localdate()
    created = 0
    for spec in PLAN:
        if CommunicationItem.objects.filter(topic=spec["topic"]).exists():
            continue
        responsible = people.get(spec["owner"]) or owner
        first_held = max((days for days, _summary in spec["records"]), default=0)
        item = communication.communication_item_create(
            actor=owner,
            topic=spec["topic"],
            audience=spec["audience"],
            frequency=spec["frequency"],
            channel=spec["channel"],
            owner=responsible,
            timing=spec["timing"],
            next_due=today - first_held * DAY if first_held else today + 60 * DAY,
        )
        created += 1
        for days, summary in sorted(spec["records"], reverse=True):
            communication.communication_record_add(
                actor=responsible, item=item, held_on=today - days * DAY, summary=summary
            )
            created += 1
    return created
