"""Documented information (clause 7.5), continued: the reviewers' and approvers' sign-offs on a
version in review, and putting an approved version into force.

The author never reviews or approves his own version, with one exception recorded as such:
when nobody else in the author's organisation may sign it (a small provider whose one
management-system owner sets ServiceLoop up), the author may, with a written reason. The
reason is kept on the sign-off (``by_author``, ``exception_reason``), on an approved version
(``approved_by_author``, ``approval_exception_reason``) and in the audit row. As soon as
someone else may sign, the author is refused again and told who may.

Who may do what is declared in ``services_documents``; each service validates, writes the
change and appends one audit row in one transaction."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.support import queries_documents as queries
from serviceloop.support.models import (
    Document,
    DocumentSignoff,
    DocumentStatus,
    DocumentVersion,
    ObsoleteReason,
    SignoffDecision,
    SignoffKind,
    VersionStatus,
)
from serviceloop.support.record_writing import record_touch, text_clean
from serviceloop.support.services_documents import (
    COMMENT_LIMIT,
    _locked_document,
    add_months,
    documents_may_approve,
)

# --- The lone author's exception -------------------------------------------------------------


def author_may_approve_own(version: DocumentVersion) -> bool:
    """Whether the author of ``version`` may approve it himself, as a recorded exception:
    nobody else in his organisation may approve documents."""
    return not queries.document_approvers_besides(version.author).exists()


def author_may_review_own(version: DocumentVersion) -> bool:
    """Whether the author of ``version`` may review it himself, as a recorded exception:
    nobody else in his organisation may be named reviewer."""
    return not queries.document_reviewers_besides(version.author).exists()


def _names(people) -> str:
    return ", ".join(str(p) for p in people)


def _exception_reason(
    reason, *, by_author: bool, others, refused: str, missing: str, errors: dict
) -> str:
    """The cleaned reason for an author's own sign-off. ``by_author`` false: no reason may be
    given. Someone else may sign (``others``): refused, naming them. No reason: ``missing``."""
    if not by_author:
        if isinstance(reason, str) and reason.strip():
            errors["exception_reason"] = _(
                "Only an author signing his own version gives a reason for the exception."
            )
        return ""
    if others:
        raise ValidationError(refused % {"names": _names(others)})
    return text_clean(
        reason, "exception_reason", errors, limit=COMMENT_LIMIT, required_message=missing
    )


# --- Putting into force ----------------------------------------------------------------------


def _make_effective(version: DocumentVersion, document: Document, *, on, now) -> None:
    """Put ``version`` in force from ``on``; the version in force until then becomes obsolete
    on that same date (superseded). Runs inside the caller's transaction, document locked."""
    previous = document.effective_version
    if previous is not None and previous.pk != version.pk:
        previous.status = VersionStatus.OBSOLETE
        previous.obsolete_from = on
        previous.obsolete_reason = ObsoleteReason.SUPERSEDED
        previous.superseded_by = version
        previous.updated_at = now
        previous.save()
    version.status = VersionStatus.EFFECTIVE
    version.effective_from = on
    version.updated_at = now
    version.save()
    document.effective_version = version
    document.status = DocumentStatus.EFFECTIVE
    document.next_review = add_months(on, document.review_interval_months)


# --- Sign-offs -------------------------------------------------------------------------------


def version_review(
    *,
    actor,
    version: DocumentVersion,
    decision: str,
    comment: str = "",
    exception_reason: str = "",
    now=None,
) -> DocumentSignoff:
    """A named reviewer's word on a version in review: endorsed, or changes requested (with
    a comment). One word per reviewer and round; a new word replaces it. The author named as
    reviewer (possible only while nobody else may review) reviews as a recorded exception,
    with ``exception_reason``; once someone else may review, he is refused, told who may."""
    now = now or timezone.now()
    if decision not in (SignoffDecision.ENDORSED, SignoffDecision.CHANGES_REQUESTED):
        raise ValidationError({"decision": _("Endorse the version or ask for changes.")})
    errors: dict = {}
    comment = text_clean(comment, "comment", errors, limit=COMMENT_LIMIT)
    if decision == SignoffDecision.CHANGES_REQUESTED and not comment:
        errors["comment"] = _("Say which changes you ask for.")
    with transaction.atomic():
        document = _locked_document(version.document)
        version = (
            DocumentVersion.objects.select_for_update(of=("self",))
            .select_related("author")
            .get(pk=version.pk)
        )
        if not version.reviewers.filter(pk=actor.pk).exists():
            raise PermissionDenied(_("Only the reviewers named on this version review it."))
        if version.status != VersionStatus.IN_REVIEW:
            raise ValidationError(_("This version is not in review."))
        by_author = version.author_id == actor.pk
        reason = _exception_reason(
            exception_reason,
            by_author=by_author,
            others=list(queries.document_reviewers_besides(actor)[:10]) if by_author else [],
            refused=_(
                "The author cannot review his own version: %(names)s may review it. Return "
                "the version to draft and name them as reviewers."
            ),
            missing=_(
                "Nobody else may review this version, so you review your own version only as "
                "a recorded exception: say why."
            ),
            errors=errors,
        )
        if errors:
            raise ValidationError(errors)
        signoff, _created = DocumentSignoff.objects.update_or_create(
            version=version,
            round=version.round,
            person=actor,
            kind=SignoffKind.REVIEW,
            defaults={
                "decision": decision,
                "comment": comment,
                "signed_at": now,
                "by_author": by_author,
                "exception_reason": reason,
            },
        )
        payload = {"version": version.number, "round": version.round, "decision": decision}
        if by_author:
            payload |= {"by_author": True, "exception_reason": reason}
        audit_record(actor=actor, verb="document.version_reviewed", obj=document, payload=payload)
    return signoff


def signoff_state(version: DocumentVersion) -> dict:
    """Who reviewed and approved this round, and who is awaited."""
    signoffs = list(
        version.signoffs.filter(round=version.round).select_related("person").order_by("signed_at")
    )
    reviews = {s.person_id: s for s in signoffs if s.kind == SignoffKind.REVIEW}
    approvals = {s.person_id: s for s in signoffs if s.kind == SignoffKind.APPROVAL}
    reviewers = list(version.reviewers.all())
    approvers = list(version.approvers.all())
    return {
        "reviews": reviews,
        "approvals": approvals,
        "reviewers": reviewers,
        "approvers": approvers,
        "reviewer_rows": [{"person": p, "signoff": reviews.get(p.pk)} for p in reviewers],
        "approver_rows": [{"person": p, "signoff": approvals.get(p.pk)} for p in approvers],
        "reviews_awaited": [
            p
            for p in reviewers
            if p.pk not in reviews or reviews[p.pk].decision != SignoffDecision.ENDORSED
        ],
        "approvals_awaited": [p for p in approvers if p.pk not in approvals],
    }


def version_approve(
    *,
    actor,
    version: DocumentVersion,
    comment: str = "",
    exception_reason: str = "",
    now=None,
) -> DocumentVersion:
    """An approver signs a version in review. Rules: when the version names approvers only
    they sign, and it is approved once all have; every named reviewer must have endorsed it
    first. The author never approves his own version, except while nobody else in his
    organisation may approve documents: then he approves it alone, as a recorded exception
    with ``exception_reason`` (required). Once approved it takes effect on its planned date
    (today when none or past): the version in force until then becomes obsolete on that
    date."""
    now = now or timezone.now()
    if not documents_may_approve(actor):
        raise PermissionDenied
    errors: dict = {}
    comment = text_clean(comment, "comment", errors, limit=COMMENT_LIMIT)
    today = timezone.localdate(now)
    with transaction.atomic():
        document = _locked_document(version.document)
        version = (
            DocumentVersion.objects.select_for_update(of=("self",))
            .select_related("author")
            .get(pk=version.pk)
        )
        if version.status != VersionStatus.IN_REVIEW:
            raise ValidationError(_("Only a version in review can be approved."))
        by_author = version.author_id == actor.pk
        others = []
        if by_author:
            others = list(queries.approvers_besides_author(version)[:10]) or list(
                queries.document_approvers_besides(actor)[:10]
            )
        reason = _exception_reason(
            exception_reason,
            by_author=by_author,
            others=others,
            refused=_("The author cannot approve his own version: %(names)s may approve it."),
            missing=_(
                "Nobody else may approve documents, so you approve your own version only as "
                "a recorded exception: say why."
            ),
            errors=errors,
        )
        if errors:
            raise ValidationError(errors)
        state = signoff_state(version)
        named = {p.pk for p in state["approvers"]}
        # the author's exception: the approvers named on the version can no longer approve
        if named and actor.pk not in named and not by_author:
            raise PermissionDenied(_("Only the approvers named on this version approve it."))
        if actor.pk in state["approvals"]:
            raise ValidationError(_("You have already approved this version."))
        if state["reviews_awaited"]:
            raise ValidationError(
                _("Every reviewer must endorse the version first; awaited: %(names)s.")
                % {"names": _names(state["reviews_awaited"])}
            )
        DocumentSignoff.objects.create(
            version=version,
            round=version.round,
            person=actor,
            kind=SignoffKind.APPROVAL,
            decision=SignoffDecision.APPROVED,
            comment=comment,
            by_author=by_author,
            exception_reason=reason,
            signed_at=now,
        )
        remaining = set() if by_author else named - set(state["approvals"]) - {actor.pk}
        payload = {"version": version.number, "round": version.round, "complete": not remaining}
        if by_author:
            payload |= {"approved_by_author": True, "exception_reason": reason}
        if not remaining:
            version.status = VersionStatus.APPROVED
            version.approved_at = now
            version.approved_by = actor
            version.approved_by_author = by_author
            version.approval_exception_reason = reason
            planned = version.planned_effective
            version.effective_from = planned if planned and planned > today else today
            version.updated_at = now
            version.save()
            payload["effective_from"] = version.effective_from
            if version.effective_from <= today:
                _make_effective(version, document, on=version.effective_from, now=now)
                payload["effective"] = True
        record_touch(document, now)
        audit_record(actor=actor, verb="document.version_approved", obj=document, payload=payload)
    return version
