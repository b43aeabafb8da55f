"""Documented information (clause 7.5), continued: the versions of a document, moving them
through review and approval, and the daily task that puts approved versions into force. The
reviewers' and approvers' sign-offs are in ``services_document_signoffs`` (``version_review``,
``version_approve`` and ``signoff_state`` are importable from here too). Who may do what is
declared in ``services_documents``; each service validates, writes the change and appends
one audit row in one transaction."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.services.notifications import notify
from serviceloop.support.models import (
    DOCUMENT_APPROVER,
    DOCUMENT_EDITOR,
    Document,
    DocumentStatus,
    DocumentVersion,
    ObsoleteReason,
    VersionStatus,
    version_transition_for,
)
from serviceloop.support.models.documents import OPEN_VERSION_STATUSES
from serviceloop.support.record_writing import (
    pks_sorted,
    record_touch,
    text_clean,
)
from serviceloop.support.services_document_signoffs import (
    _make_effective,
    signoff_state,
    version_approve,
    version_review,
)
from serviceloop.support.services_documents import (
    COMMENT_LIMIT,
    SUMMARY_LIMIT,
    UNSET,
    _clean_body,
    _clean_people,
    _clean_planned,
    _locked_document,
    _require_edit,
    document_roles,
)

# Sign-offs live in services_document_signoffs; callers may import them from here.
__all__ = [
    "documents_take_effect",
    "signoff_state",
    "version_approve",
    "version_create",
    "version_review",
    "version_transition",
    "version_update",
]

# --- Versions ------------------------------------------------------------------------------


def version_create(
    *,
    actor,
    document: Document,
    body=None,
    change_summary: str = "",
    reviewers=None,
    approvers=None,
    planned_effective=None,
    now=None,
) -> DocumentVersion:
    """Open the next version as a draft by the actor. The text, reviewers and approvers
    start as the newest version's unless given. One open revision at a time."""
    now = now or timezone.now()
    _require_edit(actor)
    today = timezone.localdate(now)
    with transaction.atomic():
        document = _locked_document(document)
        if document.status == DocumentStatus.WITHDRAWN:
            raise ValidationError(_("This document is withdrawn; it gets no new versions."))
        newest = document.current_version
        if newest is not None and newest.status in OPEN_VERSION_STATUSES:
            raise ValidationError(
                _("Version %(n)d is still open (draft, in review or approved): finish it first.")
                % {"n": newest.number}
            )
        errors: dict = {}
        body = _clean_body(newest.body if body is None and newest else body, errors)
        change_summary = text_clean(change_summary, "change_summary", errors, limit=SUMMARY_LIMIT)
        if reviewers is None:
            reviewers = [p for p in newest.reviewers.all() if p.pk != actor.pk] if newest else []
        if approvers is None:
            approvers = [p for p in newest.approvers.all() if p.pk != actor.pk] if newest else []
        reviewers = _clean_people(reviewers, "reviewers", errors, approvers=False, author=actor)
        approvers = _clean_people(approvers, "approvers", errors, approvers=True, author=actor)
        planned_effective = _clean_planned(planned_effective, errors, today=today)
        if errors:
            raise ValidationError(errors)
        version = DocumentVersion.objects.create(
            document=document,
            number=(newest.number + 1) if newest else 1,
            body=body,
            change_summary=change_summary,
            author=actor,
            planned_effective=planned_effective,
            created_at=now,
            updated_at=now,
        )
        version.reviewers.set(reviewers)
        version.approvers.set(approvers)
        document.current_version = version
        record_touch(document, now)
        audit_record(
            actor=actor,
            verb="document.version_created",
            obj=document,
            payload={"version": version.number, "change_summary": change_summary},
        )
    return version


def version_update(
    *,
    actor,
    version: DocumentVersion,
    body=UNSET,
    change_summary=UNSET,
    reviewers=UNSET,
    approvers=UNSET,
    planned_effective=UNSET,
    now=None,
) -> DocumentVersion:
    """Change a draft version: its text, change summary, reviewers, approvers or planned
    effective date. A version submitted for review is frozen."""
    now = now or timezone.now()
    _require_edit(actor)
    today = timezone.localdate(now)
    with transaction.atomic():
        _locked_document(version.document)
        version = DocumentVersion.objects.select_related("document", "author").get(pk=version.pk)
        if version.status != VersionStatus.DRAFT:
            raise ValidationError(
                _("Only a draft can be changed; return it to draft or start a new version.")
            )
        errors: dict = {}
        changes: dict = {}
        if body is not UNSET:
            new_body = _clean_body(body, errors)
            if new_body != version.body:
                changes["body"] = True
                version.body = new_body
        if change_summary is not UNSET:
            summary = text_clean(change_summary, "change_summary", errors, limit=SUMMARY_LIMIT)
            if summary != version.change_summary:
                changes["change_summary"] = [version.change_summary, summary]
                version.change_summary = summary
        if planned_effective is not UNSET:
            planned = _clean_planned(planned_effective, errors, today=today)
            if planned != version.planned_effective:
                changes["planned_effective"] = [version.planned_effective, planned]
                version.planned_effective = planned
        people = {}
        for field, given, is_approver in (
            ("reviewers", reviewers, False),
            ("approvers", approvers, True),
        ):
            if given is UNSET:
                continue
            given = _clean_people(
                given, field, errors, approvers=is_approver, author=version.author
            )
            old, new = pks_sorted(getattr(version, field).all()), pks_sorted(given)
            if old != new:
                changes[field] = [old, new]
                people[field] = given
        if errors:
            raise ValidationError(errors)
        if not changes:
            return version
        version.updated_at = now
        version.save()
        for field, given in people.items():
            getattr(version, field).set(given)
        audit_record(
            actor=actor,
            verb="document.version_updated",
            obj=version.document,
            payload={"version": version.number, **changes},
        )
    return version


def version_transition(
    *,
    actor,
    version: DocumentVersion,
    target: str,
    comment: str = "",
    exception_reason: str = "",
    now=None,
) -> DocumentVersion:
    """Move a version along the declared lifecycle (``VERSION_TRANSITIONS``) if one of the
    actor's roles allows it. ``approved`` is a sign-off (``version_approve``, which alone
    takes an ``exception_reason``: the lone author approving his own version)."""
    now = now or timezone.now()
    roles = document_roles(actor)
    if not roles:
        raise PermissionDenied
    if target == VersionStatus.APPROVED:
        return version_approve(
            actor=actor,
            version=version,
            comment=comment,
            exception_reason=exception_reason,
            now=now,
        )
    errors: dict = {}
    comment = text_clean(comment, "comment", errors, limit=COMMENT_LIMIT)
    if isinstance(exception_reason, str) and exception_reason.strip():
        errors["exception_reason"] = _(
            "Only an author signing his own version gives a reason for the exception."
        )
    if errors:
        raise ValidationError(errors)
    today = timezone.localdate(now)
    with transaction.atomic():
        document = _locked_document(version.document)
        version = DocumentVersion.objects.select_for_update(of=("self",)).get(pk=version.pk)
        source = version.status
        move = version_transition_for(source, target, roles)
        if move is None:
            if version_transition_for(source, target, {DOCUMENT_EDITOR, DOCUMENT_APPROVER}):
                raise PermissionDenied(_("You may not do this."))
            label = VersionStatus(target).label if target in VersionStatus.values else target
            raise ValidationError(
                {
                    "status": _("A version cannot go from “%(from)s” to “%(to)s”.")
                    % {"from": VersionStatus(source).label, "to": label}
                }
            )
        payload = {"version": version.number, "from": source, "to": target}
        if target == VersionStatus.IN_REVIEW:
            if not version.body:
                raise ValidationError({"body": _("Write the version's text first.")})
            version.status = target
            version.round += 1
            version.submitted_at = now
            version.updated_at = now
            version.save()
            payload["round"] = version.round
        elif target == VersionStatus.DRAFT:
            version.status = target
            version.updated_at = now
            version.save()
        elif target == VersionStatus.EFFECTIVE:
            _make_effective(version, document, on=today, now=now)
        elif target == VersionStatus.OBSOLETE:
            version.status = target
            version.obsolete_from = today
            version.obsolete_reason = ObsoleteReason.WITHDRAWN
            version.updated_at = now
            version.save()
            if document.effective_version_id == version.pk:
                document.effective_version = None
                document.status = DocumentStatus.WITHDRAWN
                document.next_review = None
        if comment:
            payload["comment"] = comment
        record_touch(document, now)
        audit_record(actor=actor, verb="document.version_transition", obj=document, payload=payload)
        if target == VersionStatus.IN_REVIEW:
            _ask_for_signoffs(version)
    return version


def _ask_for_signoffs(version: DocumentVersion) -> None:
    """Tell the named reviewers and approvers that a version waits for them (inside the
    transition's transaction: a rolled-back submission notifies nobody)."""
    document = version.document
    people = [*version.reviewers.all(), *version.approvers.all()]
    if people:
        notify(
            recipients=people,
            kind="document_signoff_requested",
            context={"document": document, "version": version},
            url=reverse("document_version", args=[document.reference, version.number]),
            dedupe_key=f"document-signoff:{version.pk}:{version.round}",
        )


def documents_take_effect(*, today: datetime.date | None = None, now=None) -> int:
    """Put into force every approved version whose effective date has come (the daily
    task); the previous version becomes obsolete on that date. Returns how many."""
    today = today or timezone.localdate()
    now = now or timezone.now()
    due = DocumentVersion.objects.filter(
        status=VersionStatus.APPROVED, effective_from__lte=today
    ).values_list("pk", flat=True)
    done = 0
    for pk in list(due):
        with transaction.atomic():
            version = DocumentVersion.objects.select_related("document").get(pk=pk)
            document = _locked_document(version.document)
            version = DocumentVersion.objects.select_for_update(of=("self",)).get(pk=pk)
            if version.status != VersionStatus.APPROVED:
                continue  # taken by another worker
            _make_effective(version, document, on=version.effective_from, now=now)
            record_touch(document, now)
            audit_record(
                actor=None,
                verb="document.version_effective",
                obj=document,
                payload={"version": version.number, "effective_from": version.effective_from},
            )
            done += 1
    return done
