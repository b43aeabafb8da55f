"""Documents, competence, training and communication in the browser, on the demo data: the
management-system owner walks the pages (no console error, CSP violation or failed asset on
any), and an agent acknowledges the security policy from his reading list."""

import pytest
from playwright.sync_api import expect

from serviceloop.core.tests.browser.steps import sign_in


@pytest.fixture
def support_demo(demo):
    from serviceloop.core.models import Team
    from serviceloop.desk.models import Category
    from serviceloop.support import demo_competence, demo_documents

    teams = {t.name: t for t in Team.objects.all()}
    Category.objects.create(name="网络 Network", default_team=teams["二线运维 Infrastructure"])
    demo_documents.demo_records(write=lambda *_: None)
    demo_competence.demo_records(write=lambda *_: None)


@pytest.mark.browser
def test_the_owner_walks_the_management_pages(support_demo, page):
    from serviceloop.support.models import AcknowledgementCampaign, Document, TrainingSession

    policy = Document.objects.get(title__startswith="信息安全方针")
    campaign = AcknowledgementCampaign.objects.get()
    session = TrainingSession.objects.filter(status="held").get()
    sign_in(page, "owner")

    page.goto("/documents/")
    expect(page.get_by_test_id("documents")).to_contain_text("服务事件处理手册")
    page.goto(f"/documents/{policy.reference}/")
    expect(page.get_by_test_id("document-body")).to_contain_text("远程办公")
    expect(page.get_by_test_id("versions")).to_contain_text("v1")
    page.goto(f"/documents/{policy.reference}/versions/1/")
    expect(page.get_by_test_id("obsolete-note")).to_be_visible()
    page.goto(f"/documents/campaigns/{campaign.reference}/")
    expect(page.get_by_test_id("progress")).to_contain_text("%")
    page.goto("/competence/")
    expect(page.locator('[data-cell="lapsed"]')).to_have_count(1)
    page.goto(f"/training/{session.reference}/")
    expect(page.get_by_test_id("attendance")).to_be_visible()
    page.goto("/communication/")
    expect(page.get_by_test_id("communications")).to_contain_text("月度服务报告")


@pytest.mark.browser
def test_an_agent_acknowledges_the_policy(support_demo, page):
    from serviceloop.core.models import User
    from serviceloop.support.models import Acknowledgement

    agent = User.objects.get(username="agent")
    row = Acknowledgement.objects.get(person=agent)
    if row.acknowledged_at is not None:  # the demo answered for him: ask someone who did not
        row = Acknowledgement.objects.filter(acknowledged_at__isnull=True).first()
    sign_in(page, row.person.username)

    page.goto("/documents/reading/")
    page.get_by_test_id("reading-list").get_by_role("link").first.click()
    page.get_by_test_id("acknowledge").click()

    expect(page.get_by_test_id("acknowledge")).to_have_count(0)
    row.refresh_from_db()
    assert row.acknowledged_at is not None
