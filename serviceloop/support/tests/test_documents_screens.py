"""The document screens: the register (filters, overdue flag, CSV/XLSX), a document's and a
version's pages per role, moves and approvals through the forms, the read-and-acknowledge
pages, the controlled PDF (Chinese text, footer) and the permission rules (customers 404,
read-only staff 403)."""

import io
import re
import shutil
import subprocess

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from serviceloop.support.models import Document, DocumentVersion, VersionStatus
from serviceloop.support.tests import test_documents_fixtures as fixtures

DAY = fixtures.DAY
docs = fixtures.docs  # the shared fixture

# Messages are matched in English, whatever the translations say.
pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def register(people, docs):
    """A policy in force (review overdue), a procedure in force with a draft revision, and a
    draft form template never in force."""
    policy = docs.document(clauses="5.2, 7.5")
    Document.objects.filter(pk=policy.pk).update(next_review=timezone.localdate() - DAY)
    procedure = docs.document(
        title="变更管理程序 Change procedure", kind="procedure", clauses="8.5.1"
    )
    docs.revise(procedure, body="<p>修订中 Revision in progress</p>")
    template = docs.document(title="审核检查表模板", kind="form_template", effective=False)
    return policy, procedure, template


def test_the_register_lists_filters_and_flags_overdue_reviews(people, register, client_for):
    policy, procedure, template = register
    client = client_for(people.owner)

    page = client.get(reverse("document_list"))
    html = page.content.decode()
    overdue = client.get(reverse("document_list"), {"overdue": "on"})
    drafts = client.get(reverse("document_list"), {"status": "draft"})
    revisions = client.get(reverse("document_list"), {"status": "open"})
    by_clause = client.get(reverse("document_list"), {"clause": "7.5"})
    not_a_prefix = client.get(reverse("document_list"), {"clause": "7"})

    assert page.status_code == 200
    assert f'class="table-warning" data-reference="{policy.reference}"' in html
    assert html.count('data-testid="review-overdue"') == 1
    assert [d.reference for d in overdue.context["page"]] == [policy.reference]
    assert [d.reference for d in drafts.context["page"]] == [template.reference]
    assert {d.reference for d in revisions.context["page"]} == {
        procedure.reference,
        template.reference,
    }
    assert [d.reference for d in by_clause.context["page"]] == [policy.reference]
    assert list(not_a_prefix.context["page"]) == []


def test_the_register_exports_csv_and_xlsx(people, register, client_for):
    policy, procedure, template = register
    client = client_for(people.auditor)

    csv = client.get(reverse("document_list"), {"export": "csv"})
    xlsx = client.get(reverse("document_list"), {"export": "xlsx", "kind": "procedure"})

    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert csv["Content-Type"].startswith("text/csv")
    assert policy.reference in text and "信息安全方针" in text and template.reference in text
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.values)
    assert rows[0][:3] == ("Reference", "Title", "Kind")
    assert [r[0] for r in rows[1:]] == [procedure.reference]


def test_operational_staff_read_only_what_is_in_force(people, register, client_for):
    policy, procedure, template = register
    agent = client_for(people.agent)

    listing = agent.get(reverse("document_list"))
    page = agent.get(reverse("document_detail", args=[procedure.reference]))

    assert {d.reference for d in listing.context["page"]} == {
        policy.reference,
        procedure.reference,
    }
    assert page.status_code == 200
    assert [v.number for v in page.context["versions"]] == [1]  # not the draft revision
    assert "修订中" not in page.content.decode()
    assert agent.get(reverse("document_detail", args=[template.reference])).status_code == 404
    assert agent.get(reverse("document_version", args=[procedure.reference, 2])).status_code == 404
    assert agent.get(reverse("document_new")).status_code == 403
    assert agent.get(reverse("document_edit", args=[policy.reference])).status_code == 403


def test_customers_see_nothing_unless_asked_to_read(people, docs, register, client_for):
    policy, procedure, template = register
    customer = client_for(people.a_user)

    assert customer.get(reverse("document_list")).status_code == 404
    assert customer.get(reverse("document_detail", args=[policy.reference])).status_code == 404
    assert customer.get(reverse("document_campaign_list")).status_code == 404

    campaign = docs.campaign_services.campaign_create(
        actor=people.owner,
        version=policy.effective_version,
        deadline=timezone.localdate() + 7 * DAY,
        people=[people.a_user],
    )
    page = customer.get(reverse("document_detail", args=[policy.reference]))
    reading = customer.get(reverse("document_reading"))
    acknowledged = customer.post(
        reverse("document_acknowledge", args=[policy.reference]),
        {"campaign": campaign.reference},
    )

    assert page.status_code == 200 and 'data-testid="acknowledge"' in page.content.decode()
    assert [r.campaign for r in reading.context["rows"]] == [campaign]
    assert acknowledged.status_code == 302
    assert campaign.acknowledgements.get(person=people.a_user).acknowledged_at is not None
    assert customer.get(reverse("document_detail", args=[procedure.reference])).status_code == 404
    assert (
        client_for(people.b_user)
        .get(reverse("document_detail", args=[policy.reference]))
        .status_code
        == 404
    )
    assert (
        customer.get(reverse("document_version_pdf", args=[policy.reference, 1])).status_code == 200
    )


def test_read_only_roles_read_everything_and_get_403_on_writes(people, register, client_for):
    policy, procedure, template = register
    for user in (people.auditor, people.top):
        client = client_for(user)
        assert client.get(reverse("document_detail", args=[template.reference])).status_code == 200
        assert (
            client.get(reverse("document_version", args=[procedure.reference, 2])).status_code
            == 200
        )
        assert client.get(reverse("document_new")).status_code == 403
        assert client.post(reverse("document_new"), {"title": "x"}).status_code == 403
        assert (
            client.get(reverse("document_version_new", args=[policy.reference])).status_code == 403
        )
        assert (
            client.get(reverse("document_campaign_new", args=[policy.reference])).status_code == 403
        )
    auditor_move = client_for(people.auditor).post(
        reverse("document_version_move", args=[procedure.reference, 2]), {"target": "in_review"}
    )
    assert auditor_move.status_code == 403
    assert DocumentVersion.objects.get(document=procedure, number=2).status == "draft"


def test_writing_and_approving_through_the_screens(people, client_for):
    owner = client_for(people.owner)
    created = owner.post(
        reverse("document_new"),
        {
            "title": "服务级别协议模板 SLA template",
            "kind": "form_template",
            "owner": people.owner.pk,
            "clauses": "8.3.3",
            "review_interval_months": 12,
            "body": "服务时间：工作日 9:00–18:00\n\n响应目标：P1 15 分钟",
            "approvers": [people.top.pk],
        },
    )
    document = Document.objects.get()
    assert created.status_code == 302 and created.url == reverse(
        "document_detail", args=[document.reference]
    )
    assert "<p>服务时间：工作日 9:00–18:00</p>" in document.current_version.body
    move = reverse("document_version_move", args=[document.reference, 1])
    owner.post(move, {"target": "in_review"})

    top = client_for(people.top)
    page = top.get(reverse("document_version", args=[document.reference, 1]))
    assert page.context["may_approve"] and 'data-testid="approve-form"' in page.content.decode()
    own_page = owner.get(reverse("document_version", args=[document.reference, 1]))
    assert not own_page.context["may_approve"]
    top.post(move, {"target": "approved", "comment": "同意"})

    document.refresh_from_db()
    assert document.effective_version.number == 1
    detail = owner.get(reverse("document_detail", args=[document.reference])).content.decode()
    assert "服务时间" in detail and 'data-testid="new-campaign"' in detail


def test_the_version_page_marks_obsolete_versions(people, docs, client_for):
    document = docs.document()
    second = docs.revise(document)
    docs.version_services.version_transition(actor=people.owner, version=second, target="in_review")
    docs.version_services.version_approve(actor=people.top, version=second)

    html = (
        client_for(people.auditor)
        .get(reverse("document_version", args=[document.reference, 1]))
        .content.decode()
    )
    detail = (
        client_for(people.auditor)
        .get(reverse("document_detail", args=[document.reference]))
        .content.decode()
    )

    assert 'data-testid="obsolete-note"' in html and "(v2)" in html
    assert 'data-status="obsolete"' in detail and 'data-status="effective"' in detail


def test_the_campaign_pages_show_progress_and_export(people, docs, client_for):
    document = docs.document()
    campaign = docs.campaign_services.campaign_create(
        actor=people.owner,
        version=document.effective_version,
        deadline=timezone.localdate() + 7 * DAY,
        people=[people.agent, people.lead],
    )
    docs.campaign_services.acknowledgement_give(actor=people.agent, campaign=campaign)
    client = client_for(people.owner)

    listing = client.get(reverse("document_campaign_list"))
    detail = client.get(reverse("document_campaign_detail", args=[campaign.reference]))
    csv = client.get(
        reverse("document_campaign_detail", args=[campaign.reference]), {"export": "csv"}
    )
    export = client.get(reverse("document_campaign_list"), {"export": "xlsx"})

    assert listing.status_code == 200 and campaign.reference in listing.content.decode()
    assert detail.context["progress"].percent == 50
    assert 'data-testid="percent">50 %' in detail.content.decode()
    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert "agent" in text and "lead" in text
    rows = list(load_workbook(io.BytesIO(export.content)).active.values)
    assert rows[1][0] == campaign.reference and rows[1][6:8] == (2, 1)
    # the agent (asked) is sent to the document; the list is for readers of everything
    agent = client_for(people.agent)
    assert agent.get(reverse("document_campaign_list")).status_code == 404
    assert (
        agent.get(reverse("document_campaign_detail", args=[campaign.reference])).status_code == 302
    )
    closed = client.post(reverse("document_campaign_close", args=[campaign.reference]))
    assert closed.status_code == 302
    assert (
        client_for(people.auditor)
        .post(reverse("document_campaign_close", args=[campaign.reference]))
        .status_code
        == 403
    )


def test_the_campaign_form_starts_a_campaign(people, docs, client_for):
    document = docs.document()
    client = client_for(people.owner)

    form = client.get(reverse("document_campaign_new", args=[document.reference]))
    posted = client.post(
        reverse("document_campaign_new", args=[document.reference]),
        {
            "version": 1,
            "title": "请阅读信息安全方针",
            "deadline": (timezone.localdate() + 7 * DAY).isoformat(),
            "roles": ["agent", "team_lead"],
        },
    )

    assert form.status_code == 200
    campaign = document.campaigns.get()
    assert posted.url == reverse("document_campaign_detail", args=[campaign.reference])
    assert set(campaign.acknowledgements.values_list("person__username", flat=True)) == {
        "agent",
        "lead",
    }


def pdf_text(content: bytes) -> str:
    tool = shutil.which("pdftotext")  # poppler-utils
    result = subprocess.run(  # noqa: S603 - a fixed local tool on our own bytes
        [tool, "-layout", "-", "-"], input=content, capture_output=True, check=True
    )
    return result.stdout.decode("utf-8")


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (pdftotext)")
def test_the_controlled_pdf_carries_chinese_text_and_its_footer(people, docs, client_for):
    body = "<h2>目的</h2><p>保护客户数据和服务的保密性、完整性与可用性。</p>" + "<p>段落</p>" * 80
    document = docs.document(title="信息安全方针", body=body)

    response = client_for(people.agent).get(
        reverse("document_version_pdf", args=[document.reference, 1])
    )
    text = pdf_text(response.content)

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "信息安全方针" in text and "保护客户数据和服务的保密性" in text
    assert document.reference in text and "version 1" in text and "Effective" in text
    assert timezone.localdate().isoformat() in text
    assert "Uncontrolled when printed" in text
    pages = re.findall(r"Page (\d+) of (\d+)", text)
    total = len(pages)
    assert total > 1 and pages == [(str(n), str(total)) for n in range(1, total + 1)]
    assert text.count(document.reference) >= total  # the footer on every page


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (pdftotext)")
def test_a_draft_pdf_says_it_is_not_in_force(people, docs, client_for):
    document = docs.document(effective=False, title="变更管理程序")

    response = client_for(people.owner).get(
        reverse("document_version_pdf", args=[document.reference, 1])
    )
    text = pdf_text(response.content)

    assert "变更管理程序" in text and "Draft — not the version in force" in text


def test_page_counter_css_follows_the_translation():
    from serviceloop.core.pdf import css_string, page_counter_content

    assert page_counter_content() == '"Page " counter(page) " of " counter(pages)'
    assert css_string('a"b\\c</style>') == '"a\\"b\\\\c\\3c /style>"'


def test_anonymous_visitors_are_sent_to_sign_in(db, client):
    response = client.get(reverse("document_list"))
    assert response.status_code == 302 and "login" in response.url


def test_version_statuses_cover_the_lifecycle():
    assert VersionStatus.values == ["draft", "in_review", "approved", "effective", "obsolete"]


def test_the_register_costs_the_same_queries_for_any_number_of_documents(
    people, docs, client_for, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    docs.document(title="一")
    client = client_for(people.owner)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("document_list"))
    for n in range(4):
        document = docs.document(title=f"文件 {n}")
        docs.revise(document)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("document_list"))
    assert len(page.context["page"]) == 5
