"""Setting up the management system on an empty organisation, in Chinese, in Chromium (issue 7).

Only the provider organisation and the management-system owner exist (plus what the data
migrations load: the clause table and the KPI library). Through the screens only, the owner
tailors the organisation (the consulting profile), adds the one service the scope covers,
writes and approves the scope statement, runs the gap analysis to completion, turns the
worst gaps into plan items, publishes the service management policy and an SLA template as
controlled documents, asks everyone to read and acknowledge the policy, and records a
training session. Every step is checked on the Chinese text the page shows and on the
records and audit rows it wrote.

The owner is alone at first: nobody else may approve documents, so he approves the policy
himself as a recorded exception, with his reason (the version carries the badge, the audit
row the reason). Top management's account is then added (as an administrator would: the
owner may not add people); from then on the author's own approval is refused, and top
management approves the SLA template in a second browser window. Messages the catalogue may
not translate yet are matched through it (``translated``).
"""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from serviceloop.core.roles import Role
from serviceloop.core.tests.browser.steps import open_nav, page_language, sign_in, translated
from serviceloop.core.tests.factories import PASSWORD, UserFactory

# The answers of the gap analysis: maturity 3 ("defined") unless listed here.
LOW_MATURITY = {"4.3": "1", "5.2.1": "1", "7.3": "0", "7.2": "1", "8.3.3": "2"}
SELF_APPROVAL_HINT = (
    "You wrote this version and nobody else in your organisation may approve documents, so "
    "you may approve it yourself as a recorded exception. Say why; once someone else may "
    "approve documents, they approve it instead."
)
LONE_REASON = "本组织目前只有管理体系负责人一人，由其批准并在管理评审中复核。"
GAPS_TO_PLAN = ["4.3", "5.2.1", "7.3"]  # the three worst, in rank order (scores 6, 6, 5)


@pytest.fixture
def empty_organisation(transactional_db, live_server):
    """The provider and its management-system owner (Chinese); the clause table and the KPI
    library as the data migrations load them (reloaded if an earlier test flushed them)."""
    from serviceloop.conformity.models import Clause
    from serviceloop.conformity.services_clauses import clauses_load
    from serviceloop.core.tests.factories import OrganisationFactory
    from serviceloop.evaluation.library import kpi_library_load
    from serviceloop.evaluation.models import KpiDefinition

    if not Clause.objects.exists():
        clauses_load()
    if not KpiDefinition.objects.exists():
        kpi_library_load()
    provider = OrganisationFactory(provider=True, name="云栖信息服务有限公司", short_name="YQ")
    owner = UserFactory(
        username="owner", display_name="李敏", role=Role.SYSTEM_OWNER, language="zh-hans"
    )
    return provider, owner


def audit_verbs(obj) -> list[str]:
    from serviceloop.core.models import AuditEvent

    return list(
        AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .order_by("id")
        .values_list("verb", flat=True)
    )


def flash(page: Page):
    """The messages the last action left at the top of the page."""
    return page.locator(".sl-messages")


@pytest.mark.browser
def test_the_owner_sets_up_the_management_system_in_chinese(empty_organisation, page, new_context):
    _provider, owner = empty_organisation
    sign_in(page, "owner", PASSWORD)
    assert page_language(page) == "zh-hans"
    expect(page.locator("main")).to_contain_text("欢迎您，李敏")

    tailor(page, owner)
    approve_scope(page, owner)
    assessment = run_gap_analysis(page, owner)
    plan_gaps(page, owner, assessment)
    policy = publish_document(
        page,
        new_context,
        title="服务管理方针",
        kind="policy",
        clauses="5.2",
        body="<h2>方针</h2><p>我们承诺满足客户和法规要求，并持续改进服务管理体系。</p>",
    )
    # top management joins (an administrator adds the account): it approves from now on
    UserFactory(username="ceo", display_name="王总", role=Role.TOP_MANAGEMENT)
    publish_document(
        page,
        new_context,
        title="服务级别协议模板",
        kind="form_template",
        clauses="8.3.3",
        body="<p>服务名称、服务时间、响应和解决时限、服务报告周期。</p>",
    )
    # the 5.2 policy pages point to the policy document in force
    open_nav(page, "context_overview")
    expect(page.get_by_test_id("policy-document")).to_contain_text(policy.reference)
    page.get_by_role("link", name="方针（5.2）").click()
    expect(page.get_by_test_id("policy-documents")).to_contain_text(
        f"{policy.reference} 服务管理方针"
    )
    acknowledgement_campaign(page, owner, policy)
    training_session(page, owner)


def tailor(page: Page, owner) -> None:
    """The organisation profile: consulting switches off four technical modules."""
    from serviceloop.planning.models import TailoringSetting

    open_nav(page, "tailoring")
    expect(page.locator("main h1")).to_have_text("裁剪")
    expect(page.get_by_test_id("no-profile")).to_contain_text("尚未选择配置方案")
    page.get_by_test_id("apply-consulting").click()
    expect(flash(page)).to_contain_text("已应用配置方案“线下服务和咨询”")
    setting = TailoringSetting.objects.get()
    assert setting.profile == "consulting"
    assert set(setting.disabled_modules) == {"capacity", "availability", "releases", "cmdb"}
    assert setting.applied_by == owner
    assert audit_verbs(setting) == ["tailoring.profile_applied"]


def add_service(page: Page, owner):
    """From the scope's hint: the catalogue's first service."""
    from serviceloop.portfolio.models import Service

    page.get_by_test_id("add-service").click()
    expect(page.locator("main h1")).to_have_text("新建服务")
    page.locator("#id_code").fill("itsm-consulting")
    page.locator("#id_name").fill("IT 服务管理咨询")
    page.locator("#id_owner").select_option(str(owner.pk))
    page.locator("#id_summary").fill("为客户建立并运行符合 ISO/IEC 20000-1 的服务管理体系。")
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator("main h1")).to_contain_text("IT 服务管理咨询")
    service = Service.objects.get(code="itsm-consulting")
    assert audit_verbs(service)[0] == "service.created"
    return service


def approve_scope(page: Page, owner) -> None:
    from serviceloop.planning.models import ScopeStatement

    open_nav(page, "context_overview")
    expect(page.get_by_test_id("policy-card")).to_contain_text("尚无已批准的方针。")
    expect(page.locator("main")).to_contain_text("尚无已批准的范围。")
    page.get_by_role("link", name="范围（4.3）").click()
    expect(page.locator("main")).to_contain_text("尚无范围说明。")
    page.get_by_test_id("new-scope").click()
    expect(flash(page)).to_contain_text("已创建草稿版本 1。")
    # the catalogue is empty, and the scope names a service from it: add it first
    expect(page.get_by_test_id("catalogue-empty")).to_contain_text(
        translated(
            "The service catalogue is empty, and the scope names at least one service from it.",
            "zh-hans",
        )
    )
    service = add_service(page, owner)
    open_nav(page, "context_overview")
    page.get_by_role("link", name="范围（4.3）").click()
    page.get_by_test_id("scope-versions").get_by_role("link", name="版本 1").click()
    page.get_by_test_id("edit-scope").click()
    expect(page.get_by_test_id("catalogue-empty")).to_have_count(0)
    # the modules switched off by the profile are listed as exclusions, with their reason
    rows = page.get_by_test_id("exclusion-rows")
    expect(rows.locator("input[name$=subject]").first).to_have_value("发布和部署管理")
    page.locator("#id_statement").fill(
        "云栖信息服务有限公司在杭州总部向企业客户提供 IT 服务管理咨询服务。"
    )
    page.locator("#id_services").select_option(str(service.pk))
    page.locator("#id_locations").fill("杭州总部")
    page.locator("#id_change_summary").fill("首版范围说明")
    page.get_by_test_id("save").click()
    expect(flash(page)).to_contain_text("更改已保存")
    main = page.locator("main")
    expect(page.get_by_test_id("services")).to_have_text("IT 服务管理咨询")
    expect(page.get_by_test_id("exclusions")).to_contain_text("服务由人员在客户现场交付")
    expect(page.get_by_test_id("problems")).to_have_count(0)
    page.get_by_test_id("approve").click()
    expect(main).to_contain_text("已批准")
    scope = ScopeStatement.objects.get()
    assert scope.status == "approved"
    assert scope.approved_by == owner
    assert list(scope.services.all()) == [service]
    assert scope.exclusions.exclude(module="").count() == 4
    assert audit_verbs(scope) == ["scope.draft_created", "scope.updated", "scope.approved"]


def run_gap_analysis(page: Page, owner):
    from serviceloop.planning.models import Assessment

    open_nav(page, "assessment_list")
    expect(page.locator("main")).to_contain_text("尚无差距分析。")
    page.get_by_role("link", name="新建差距分析").click()
    expect(page.locator("#id_title")).to_have_value(f"{timezone.localdate().year} 年差距分析")
    page.locator("main form button[type=submit]").first.click()
    expect(flash(page)).to_contain_text("已开始")
    expect(page.get_by_test_id("answered-count")).to_have_text("0")

    clauses = page.locator("article[data-clause]").evaluate_all(
        "rows => rows.map(row => row.dataset.clause)"
    )
    assert len(clauses) == 57
    for number in clauses:
        row = page.locator(f'article[data-clause="{number}"]')
        maturity = LOW_MATURITY.get(number, "3")
        row.locator("select[name$=maturity]").select_option(maturity)
        row.locator("textarea[name$=current_practice]").fill(f"{number}：已有做法，由李敏负责。")
        if maturity != "3":
            row.locator("textarea[name$=gap]").fill(f"{number}：尚无书面记录。")
        row.get_by_test_id(f"save-{number}").click()
        expect(flash(page)).to_contain_text(f"{number} 的回答已保存")
    expect(page.get_by_test_id("answered-count")).to_have_text("57")

    page.get_by_test_id("move-completed").click()
    expect(flash(page)).to_contain_text("状态已更改")
    expect(page.get_by_test_id("gap-count")).to_have_text("5")
    ranked = page.get_by_test_id("ranked-gaps").locator("tbody tr")
    expect(ranked.first).to_contain_text("4.3 确定服务管理体系的范围")
    assessment = Assessment.objects.get()
    assert assessment.status == "completed"
    assert assessment.answers.filter(maturity__isnull=True).count() == 0
    verbs = audit_verbs(assessment)
    assert verbs[0] == "assessment.created"
    assert verbs.count("assessment.answer_updated") == 57
    assert verbs[-1] == "assessment.status_changed"
    return assessment


def plan_gaps(page: Page, owner, assessment) -> None:
    from serviceloop.planning.models import PlanItem

    gaps = page.get_by_test_id("ranked-gaps")
    for number in GAPS_TO_PLAN:
        gaps.locator(f'tr[data-clause="{number}"] input[type=checkbox]').check()
    page.get_by_test_id("gaps-to-plan").click()
    expect(flash(page)).to_contain_text("已创建计划事项")
    expect(page.locator("main h1")).to_contain_text("实施计划")
    items = list(PlanItem.objects.order_by("reference"))
    assert [i.source_answer.clause.number for i in items] == GAPS_TO_PLAN
    assert {i.owner for i in items} == {owner}
    for item in items:
        assert item.source_answer.assessment == assessment
        assert audit_verbs(item) == ["plan_item.created"]
        expect(page.locator("main")).to_contain_text(item.reference)
    # from the plan item back to the gap it closes
    page.get_by_role("link", name=items[0].reference).first.click()
    expect(page.locator("main")).to_contain_text("所弥补的差距")
    page.get_by_role("link", name=f"{assessment.reference} · 4.3").click()
    expect(page).to_have_url(
        f"{page.url.split('/planning/')[0]}/planning/gap/{assessment.reference}/#clause-4.3"
    )
    # the gap analysis results show each planned gap's plan item
    page.goto(f"/planning/gap/{assessment.reference}/results/")
    expect(gaps.locator('tr[data-clause="4.3"]')).to_contain_text(items[0].reference)


def publish_document(page: Page, new_context, *, title, kind, clauses, body):
    """The owner writes and submits the document and it comes into force: approved by the
    owner himself while nobody else may approve (a recorded exception), else by top
    management."""
    from serviceloop.core.models import User
    from serviceloop.support.models import Document

    open_nav(page, "document_list")
    page.get_by_role("link", name="新建文件").click()
    page.locator("#id_title").fill(title)
    page.locator("#id_kind").select_option(kind)
    page.locator("#id_clauses").fill(clauses)
    page.locator("#id_body").fill(body)
    page.locator("#id_change_summary").fill("首版")
    page.locator("main form button[type=submit]").first.click()
    document = Document.objects.get(title=title)
    expect(flash(page)).to_contain_text(f"文件 {document.reference} {title} 已保存")
    page.get_by_role("link", name="打开版本 1").click()
    page.locator("[data-move=in_review]").click()
    expect(flash(page)).to_contain_text("版本 1 现为“审核中”")
    alone = not User.objects.filter(username="ceo").exists()
    if alone:
        # nobody else may approve: the owner may, with a reason, as a recorded exception
        expect(page.get_by_test_id("self-approval-hint")).to_contain_text(
            translated(SELF_APPROVAL_HINT, "zh-hans")
        )
        page.locator("#approve-exception-reason").fill(LONE_REASON)
        page.get_by_test_id("approve-form").locator("[data-move=approved]").click()
        expect(flash(page)).to_contain_text("版本 1 现为“已生效”")
        expect(page.get_by_test_id("approved-by-author")).to_contain_text(LONE_REASON)
    else:
        # someone else may approve now: the author may not, and is told who does
        expect(page.get_by_test_id("approve-form")).to_have_count(0)
        expect(page.get_by_test_id("author-cannot-approve")).to_contain_text("王总")
        ceo_page = new_context().new_page()
        sign_in(ceo_page, "ceo", PASSWORD)
        ceo_page.goto(page.url)
        expect(ceo_page.get_by_test_id("signoffs")).to_contain_text("一个批准")
        ceo_page.get_by_test_id("approve-form").locator("button").click()
        expect(flash(ceo_page)).to_contain_text("版本 1 现为“已生效”")
        ceo_page.context.close()

    document.refresh_from_db()
    version = document.effective_version
    assert document.status == "effective"
    assert version.number == 1
    assert version.author.username == "owner"
    assert version.approved_by.username == ("owner" if alone else "ceo")
    assert version.approved_by_author is alone
    assert version.approval_exception_reason == (LONE_REASON if alone else "")
    assert version.effective_from == timezone.localdate()
    assert audit_verbs(document) == [
        "document.created",
        "document.version_transition",
        "document.version_approved",
    ]
    page.goto(f"/documents/{document.reference}/")
    expect(page.locator("main")).to_contain_text("已生效")
    return document


def acknowledgement_campaign(page: Page, owner, policy) -> None:
    from serviceloop.support.models import AcknowledgementCampaign

    deadline = timezone.localdate() + datetime.timedelta(days=14)
    page.goto(f"/documents/{policy.reference}/")
    page.get_by_test_id("new-campaign").click()
    expect(page.locator("main h1")).to_contain_text(f"要求人员阅读 {policy.reference}")
    page.locator("#id_title").fill("请阅读服务管理方针")
    page.locator("#id_message").fill("请在两周内阅读并确认。")
    page.locator("#id_deadline").fill(deadline.isoformat())
    page.locator("#id_roles").select_option(["system_owner", "top_management"])
    page.locator("main form button[type=submit]").first.click()
    campaign = AcknowledgementCampaign.objects.get()
    expect(flash(page)).to_contain_text(campaign.reference)
    expect(page.get_by_test_id("progress")).to_contain_text("0 %")
    assert campaign.document == policy
    assert campaign.version == policy.effective_version
    assert campaign.deadline == deadline
    assert sorted(campaign.acknowledgements.values_list("person__username", flat=True)) == [
        "ceo",
        "owner",
    ]
    assert audit_verbs(campaign) == ["document.campaign_started"]
    # the owner reads it from his reading list and acknowledges
    page.goto("/documents/reading/")
    page.get_by_test_id("reading-list").get_by_role("link").first.click()
    page.get_by_test_id("acknowledge").click()
    expect(page.get_by_test_id("acknowledge")).to_have_count(0)
    assert campaign.acknowledgements.get(person=owner).acknowledged_at is not None


def training_session(page: Page, owner) -> None:
    from serviceloop.support.models import TrainingCourse, TrainingSession

    open_nav(page, "training_list")
    expect(page.locator("main")).to_contain_text("尚无场次。")
    page.get_by_role("link", name="新建场次").click()
    # no course yet: the form says where to add one
    page.get_by_test_id("no-course").get_by_role("link").click()
    page.locator("#id_title").fill("ISO/IEC 20000-1 意识培训")
    page.locator("#id_duration_hours").fill("2")
    page.locator("main form button[type=submit]").first.click()
    course = TrainingCourse.objects.get()
    expect(flash(page)).to_contain_text(translated("Course saved.", "zh-hans"))
    expect(page.locator("main")).to_contain_text("ISO/IEC 20000-1 意识培训")
    assert audit_verbs(course) == ["training.course_created"]

    open_nav(page, "training_list")
    page.get_by_role("link", name="新建场次").click()
    page.locator("#id_course").select_option(str(course.pk))
    page.locator("#id_held_on").fill(timezone.localdate().isoformat())
    page.locator("#id_trainer").select_option(str(owner.pk))
    page.locator("#id_location").fill("杭州总部 3 楼会议室")
    page.locator("#id_attendees").select_option([str(owner.pk)])
    page.locator("main form button[type=submit]").first.click()
    session = TrainingSession.objects.get()
    expect(flash(page)).to_contain_text(
        translated("Session %s planned.", "zh-hans") % session.reference
    )
    page.locator("[data-move=held]").click()
    expect(page.get_by_test_id("session-status")).to_have_text("已举行")
    row = page.get_by_test_id("attendance").locator(f"tr[data-person={owner.username}]")
    row.locator("select[name=result]").select_option("pass")
    row.locator("input[name=score]").fill("92")
    row.get_by_test_id("record-attendance").click()
    expect(flash(page)).to_be_visible()
    session.refresh_from_db()
    assert session.status == "held"
    attendance = session.attendances.get(person=owner)
    assert attendance.attended is True
    assert attendance.result == "pass"
    verbs = audit_verbs(session)
    assert verbs[:2] == ["training.session_created", "training.session_transition"]
    assert "training.attendance_recorded" in verbs
