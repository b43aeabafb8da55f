"""Demo records of the knowledge part: categories like the service desk's, and fifteen
articles in Chinese and English over the demo services — published, in review, draft,
retired, a pending revision, three whose review date has passed — with readers' feedback
and links to demo tickets and to the known errors (idempotent: an article whose title
exists is left alone). Written through the knowledge services, with the clock set back."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from serviceloop.core.models import User
from serviceloop.core.roles import Role
from serviceloop.desk.models import Kind, Problem, Ticket
from serviceloop.portfolio.models import Service
from serviceloop.support import services_knowledge as services
from serviceloop.support import services_knowledge_feedback as feedback_services
from serviceloop.support import services_knowledge_links as link_services
from serviceloop.support.models import Article, KnowledgeCategory

CATEGORIES = (
    ("网络 Network", "网络、VPN 与 Wi-Fi。Network, VPN and Wi-Fi."),
    ("邮件 E-mail", "企业邮箱与 Outlook。Mailboxes and Outlook."),
    ("账号与权限 Accounts & access", "账号、密码与访问权限。Accounts, passwords, access rights."),
    ("办公终端 Workplace devices", "电脑、打印机与外设。Computers, printers, peripherals."),
    ("业务系统 Business applications", "ERP、OA 等业务系统。ERP, OA and other applications."),
)


@dataclass(frozen=True)
class DemoArticle:
    title: str
    body: str
    category: str  # a name prefix of CATEGORIES
    services: tuple[str, ...] = ()  # words found in a demo service's code or name
    audience: str = "customers"
    state: str = "published"  # draft | in_review | published | retired | revision
    age_days: int = 120
    author: str = "agent"
    overdue: bool = False  # written long ago: its review date has passed
    tickets: str = ""  # demo ticket title to link (the first few)
    problem: str = ""  # demo problem title prefix to link
    feedback: tuple[tuple[str, bool, str], ...] = field(default=())


ARTICLES = (
    DemoArticle(
        "打印机无法打印的排查步骤",
        "<p>打印任务发出后没有输出时，请按顺序检查：</p><ol><li>打印机面板是否报错（卡纸、缺纸、墨粉不足）。</li>"
        "<li>电脑上的打印队列是否有卡住的任务，取消后重新打印。</li><li>重启打印机和电脑。</li></ol>"
        "<p>仍无法打印，请提交工单并注明打印机位置和型号。</p>",
        "办公终端",
        services=("office", "办公网络"),
        tickets="打印机卡纸",
        feedback=(
            ("ecl.user", True, ""),
            ("mdu.user", True, "重启后就好了"),
            ("ecl.manager", False, ""),
        ),
    ),
    DemoArticle(
        "Printer paper jam: clearing it safely",
        "<p>Switch the printer off, open the front cover and pull the jammed sheet <strong>in the "
        "direction of the paper path</strong>. Never use tools. Check the pick-up roller for torn "
        "pieces, close the cover and switch on.</p>",
        "办公终端",
        author="agent2",
        tickets="打印机卡纸",
        feedback=(("mdu.manager", True, "Clear steps."),),
    ),
    DemoArticle(
        "VPN 无法连接怎么办",
        "<p>常见原因：客户端版本过旧、账号过期、所在网络屏蔽了 VPN 端口。</p><ul><li>升级到最新客户端。</li>"
        "<li>在门户“我的工单”中查看 VPN 账号有效期。</li><li>换用手机热点测试。</li></ul>",
        "网络",
        services=("vpn",),
        tickets="VPN 无法连接",
        feedback=(("ecl.user", True, ""), ("mdu.user", False, "热点也连不上")),
    ),
    DemoArticle(
        "Setting up the VPN client on macOS",
        "<p>Download the client from the portal, open the <code>.pkg</code>, allow the system "
        "extension in <em>System Settings → Privacy &amp; Security</em>, then sign in with your "
        "domain account.</p>",
        "网络",
        services=("vpn",),
        author="agent2",
        state="revision",
    ),
    DemoArticle(
        "Outlook 反复要求输入密码",
        "<p>改密码后 Outlook 不断弹出登录框，是因为保存的旧凭据。</p><ol><li>打开 Windows 凭据管理器。</li>"
        "<li>删除以 <code>MicrosoftOffice16</code> 开头的凭据。</li><li>重启 Outlook 并重新登录。</li></ol>",
        "邮件",
        services=("mail", "邮箱"),
        tickets="Outlook keeps asking for password",
        problem="Outlook",
        feedback=(("ecl.user", True, "按步骤操作后解决"), ("mdu.manager", True, "")),
    ),
    DemoArticle(
        "Mailbox full: archiving old mail",
        "<p>When the mailbox reaches its quota, Outlook stops sending. Use <em>File → Tools → "
        "Mailbox Cleanup</em> and archive items older than a year to a local PST file.</p>",
        "邮件",
        services=("mail", "邮箱"),
        author="agent2",
        overdue=True,
        age_days=420,
    ),
    DemoArticle(
        "重置域账号密码",
        "<p>在登录页点击“忘记密码”，用绑定的手机号接收验证码即可自助重置。账号被锁定时请等待 15 分钟后再试，"
        "或提交工单由服务台解锁。</p>",
        "账号与权限",
        services=("oa",),
        tickets="账号被锁定",
        feedback=(("ecl.user", True, ""),),
    ),
    DemoArticle(
        "Requesting ERP access",
        "<p>Raise an <strong>ERP access</strong> request in the portal's request catalogue. Your "
        "customer manager approves it; access is granted within one working day.</p>",
        "账号与权限",
        services=("erp",),
        author="agent2",
    ),
    DemoArticle(
        "ERP 报表导出超时的临时处理",
        "<p>月底导出大报表超时（120 秒）时：按月份拆分导出，或在夜间通过计划任务导出。根本原因调查中，见问题单。</p>",
        "业务系统",
        services=("erp",),
        audience="internal",
        tickets="ERP 报表导出失败",
        problem="ERP 报表导出",
    ),
    DemoArticle(
        "ERP load-balancer certificate renewal runbook",
        "<p>Renew the certificate 30 days before expiry: request it from the CA, import it on "
        "both load-balancer nodes, switch the virtual server's profile and check the login page. "
        "Record the change.</p>",
        "业务系统",
        services=("erp",),
        audience="internal",
        author="lead",
        overdue=True,
        age_days=400,
        tickets="ERP 全部用户无法登录 ERP down for all users",
    ),
    DemoArticle(
        "三楼 Wi-Fi 高峰期变慢的应对",
        "<p>会议高峰期三楼接入点容量不足。临时办法：使用有线网口，或连接四楼的访客网络。</p>",
        "网络",
        services=("office", "办公网络"),
        tickets="Wi-Fi slow on 3rd floor",
        problem="三楼 Wi-Fi",
    ),
    DemoArticle(
        "OA 审批流程卡住的处理",
        "<p>检查流程实例的当前节点处理人是否离职；如是，由管理员在后台转交，再通知申请人。</p>",
        "业务系统",
        services=("oa",),
        audience="internal",
        state="in_review",
    ),
    DemoArticle(
        "New employee laptop setup checklist",
        "<ul><li>Join the domain and apply the baseline policy.</li><li>Install the VPN client "
        "and Office.</li><li>Encrypt the disk and record the recovery key.</li></ul>",
        "办公终端",
        audience="internal",
        author="agent2",
        state="draft",
    ),
    DemoArticle(
        "电脑无法开机的自助检查",
        "<p>确认电源线和插座正常，长按电源键 15 秒释放静电后再开机；笔记本请接上电源适配器。仍无反应请提交工单。</p>",
        "办公终端",
        overdue=True,
        age_days=410,
        tickets="电脑无法开机",
        feedback=(("mdu.user", False, "还是开不了机"),),
    ),
    DemoArticle(
        "Lotus Notes client configuration (legacy)",
        "<p>Notes was replaced by the corporate mail service; this article is kept for the "
        "record.</p>",
        "邮件",
        audience="internal",
        author="agent2",
        state="retired",
        age_days=700,
    ),
)


def _services(words) -> list[Service]:
    found: dict[int, Service] = {}
    for word in words:
        for service in Service.objects.filter(Q(code__icontains=word) | Q(name__icontains=word)):
            found[service.pk] = service
    return list(found.values())


def _people() -> dict[str, User]:
    people = {u.username: u for u in User.objects.filter(is_active=True)}
    fallback = User.objects.filter(is_active=True, role=Role.AGENT).order_by("pk").first()
    return {name: people.get(name, fallback) for name in (
        "agent", "agent2", "lead", "ecl.user", "ecl.manager", "mdu.user", "mdu.manager",
    )}  # fmt: skip


def demo_records(write=print) -> int:
    """Create the knowledge demo records that are missing; returns the number of articles
    created. Needs the demo people (``core.demo.demo_load``); links only when the desk's
    demo tickets and problems exist."""
    people = _people()
    lead = people["lead"]
    if lead is None or people["agent"] is None:
        write("no demo staff: knowledge demo skipped")
        return 0
    categories = {}
    for name, description in CATEGORIES:
        category = KnowledgeCategory.objects.filter(name=name).first()
        if category is None:
            category = services.category_create(actor=lead, name=name, description=description)
        categories[name] = category
    existing = set(Article.objects.values_list("title", flat=True))
    now = timezone.now()
    created = 0
    for spec in ARTICLES:
        if spec.title in existing:
            continue
        _article(spec, people, categories, now)
        created += 1
    if created:
        write(f"{created} demo knowledge articles")
    return created


def _article(spec: DemoArticle, people, categories, now) -> Article:
    author = people[spec.author] or people["agent"]
    lead = people["lead"]
    start = now - datetime.timedelta(days=spec.age_days)
    category = next(c for name, c in categories.items() if name.startswith(spec.category))
    # A review date a year after writing: passed for the old ones, in the future otherwise.
    review_due = timezone.localdate(start) + services.REVIEW_INTERVAL
    if not spec.overdue and review_due <= timezone.localdate(now):
        review_due = timezone.localdate(now) + datetime.timedelta(days=180)
    article = services.article_create(
        actor=author,
        title=spec.title,
        body=spec.body,
        audience=spec.audience,
        owner=author,
        review_due=review_due,
        categories=[category],
        services=_services(spec.services),
        now=start,
    )
    if spec.state == "draft":
        return article
    step = datetime.timedelta(hours=2)
    article = services.article_transition(
        actor=author, article=article, target="in_review", now=start + step
    )
    if spec.state == "in_review":
        return article
    article = services.article_transition(
        actor=lead, article=article, target="published", now=start + 2 * step
    )
    for username, helpful, comment in spec.feedback:
        reader = people.get(username)
        if reader is not None and Article.objects.visible_to(reader).filter(pk=article.pk):
            feedback_services.article_feedback_give(
                actor=reader,
                article=article,
                helpful=helpful,
                comment=comment,
                now=start + 3 * step,
            )
    if spec.state == "revision":
        article = services.article_update(
            actor=author,
            article=article,
            body=spec.body + "<p>Also: on macOS 15, allow the VPN in Login Items.</p>",
            change_note="macOS 15 step",
            now=now - datetime.timedelta(days=1),
        )
    elif spec.state == "retired":
        article = services.article_transition(
            actor=lead, article=article, target="retired", now=start + 30 * step
        )
        return article
    _links(spec, article, people, start + 4 * step)
    return article


def _links(spec: DemoArticle, article: Article, people, at) -> None:
    agent = people["agent"]
    if spec.tickets:
        tickets = Ticket.objects.filter(title=spec.tickets, kind=Kind.INCIDENT).order_by(
            "-created_at"
        )[:3]
        for n, ticket in enumerate(tickets):
            link_services.article_link_ticket(
                actor=agent,
                article=article,
                ticket=ticket,
                used_to_resolve=n < 2,
                now=max(at, ticket.created_at),
            )
    if spec.problem:
        problem = Problem.objects.filter(title__startswith=spec.problem).first()
        if problem is not None:
            link_services.article_link_problem(
                actor=agent, article=article, problem=problem, used_to_resolve=True, now=at
            )
