"""The documents demo: the starter set in force, the obsolete first policy, a revision in
review and a campaign half answered; loading twice adds nothing."""

from django.utils import timezone

from serviceloop.core.demo import demo_load
from serviceloop.support import demo_documents
from serviceloop.support.models import (
    AcknowledgementCampaign,
    Document,
    DocumentStatus,
    VersionStatus,
)
from serviceloop.support.queries_documents import campaign_progress


def test_the_documents_demo_is_complete_and_idempotent(db):
    demo_load(write=lambda line: None)

    first = demo_documents.demo_records(write=lambda line: None)
    second = demo_documents.demo_records(write=lambda line: None)

    assert (first, second) == (6, 0)  # five documents and a campaign
    documents = Document.objects.all()
    assert documents.count() == 5
    assert set(documents.values_list("status", flat=True)) == {DocumentStatus.EFFECTIVE}
    assert set(documents.values_list("kind", flat=True)) == {
        "form_template",
        "procedure",
        "policy",
    }
    for document in documents:
        body = document.effective_version.body
        assert any("\u4e00" <= ch <= "\u9fff" for ch in body), document  # Chinese
        assert any("a" <= ch <= "z" for ch in body), document  # and English
        assert document.next_review > timezone.localdate()
    policy = documents.get(title__startswith="信息安全方针")
    v1, v2 = policy.versions.order_by("number")
    assert (v1.status, v2.status) == (VersionStatus.OBSOLETE, VersionStatus.EFFECTIVE)
    assert v1.obsolete_from == v2.effective_from and v1.superseded_by == v2
    change = documents.get(title__startswith="变更管理程序")
    assert change.current_version.status == VersionStatus.IN_REVIEW
    assert change.current_version.reviewers.get().username == "lead"

    campaign = AcknowledgementCampaign.objects.get()
    progress = campaign_progress(campaign)
    assert campaign.version == v2 and progress.asked >= 6
    assert progress.acknowledged == progress.asked // 2
