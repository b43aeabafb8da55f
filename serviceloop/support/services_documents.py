"""Documented information (clause 7.5): every write, and who may do what.

Who may do what (declared once here; the views and the API ask these functions):

- **read everything** (drafts, reviews, campaigns): the management-system owner,
  administrators, internal auditors and top management (``documents_read_all``).
- **read what is in force**: other staff read every document's effective version, and the
  versions that name them as reviewer or approver. Anyone a campaign asks to read a document
  (a customer too) reads its effective version and the campaign's version. Everyone else:
  404.
- **edit** (documents, versions, moving them, campaigns): the manage-system or administer
  capability. Others get 403 on every write.
- **approve**: top management (review capability) and editors, never the version's author;
  when a version names approvers, only they, and it is approved once all of them signed.
- **review**: the reviewers a version names, while it is in review (not its author).
- **acknowledge**: each person a campaign asks, once.

Each service validates, writes the change and appends one audit row in one transaction; bad
input raises ValidationError (nothing written), a missing right PermissionDenied.
"""

import calendar
import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.html import linebreaks
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.models import Notification, Team, User
from serviceloop.core.numbering import reference_allocate
from serviceloop.core.roles import Capability, Role
from serviceloop.core.sanitise import clean_html
from serviceloop.core.services.notifications import notify
from serviceloop.support.models import (
    DOCUMENT_APPROVER,
    DOCUMENT_EDITOR,
    Acknowledgement,
    AcknowledgementCampaign,
    CampaignStatus,
    Document,
    DocumentKind,
    DocumentSignoff,
    DocumentStatus,
    DocumentVersion,
    ObsoleteReason,
    SignoffDecision,
    SignoffKind,
    VersionStatus,
    clauses_normalise,
    documents_read_all,
    version_transition_for,
)
from serviceloop.support.models.documents import OPEN_VERSION_STATUSES

TITLE_LIMIT = 200
SUMMARY_LIMIT = 300
BODY_LIMIT = 300_000
COMMENT_LIMIT = 2_000
MAX_INTERVAL_MONTHS = 60
REMIND_BEFORE_DEADLINE = datetime.timedelta(days=3)
UNSET = object()

# --- Who may do what -----------------------------------------------------------------------


def documents_may_edit(user) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and (
            user.has_capability(Capability.MANAGE_SYSTEM)
            or user.has_capability(Capability.ADMINISTER)
        )
    )


def documents_may_approve(user) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.has_capability(Capability.REVIEW) or documents_may_edit(user))
    )


def document_roles(user) -> set[str]:
    """The lifecycle roles of ``user``: ``editor``, ``approver``, both or none."""
    roles = set()
    if documents_may_edit(user):
        roles.add(DOCUMENT_EDITOR)
    if documents_may_approve(user):
        roles.add(DOCUMENT_APPROVER)
    return roles


def _require_edit(user) -> None:
    if not documents_may_edit(user):
        raise PermissionDenied


def get_document_for(user, reference: str, *, write: bool = False) -> Document:
    """The document by reference if the user may see it (else 404); with ``write``, 403
    unless the user may edit documents."""
    try:
        document = (
            Document.objects.visible_to(user)
            .select_related("owner", "current_version", "effective_version", "created_by")
            .get(reference=reference)
        )
    except (Document.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404 from exc
    if write:
        _require_edit(user)
    return document


def readable_versions(user, document: Document):
    """The versions of ``document`` that ``user`` may read, newest first."""
    versions = document.versions.select_related("author", "approved_by")
    if documents_read_all(user):
        return versions
    shown = Q(status=VersionStatus.EFFECTIVE) | Q(campaigns__acknowledgements__person=user)
    if user.has_capability(Capability.STAFF):
        shown |= Q(reviewers=user) | Q(approvers=user)
    return versions.filter(shown).distinct()


def get_version_for(user, document: Document, number) -> DocumentVersion:
    try:
        return readable_versions(user, document).get(number=number)
    except (DocumentVersion.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def get_version_by_uuid(user, uuid) -> DocumentVersion:
    try:
        version = DocumentVersion.objects.select_related("document").get(uuid=uuid)
    except (DocumentVersion.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404 from exc
    document = get_document_for(user, version.document.reference)
    return get_version_for(user, document, version.number)


def get_campaign_for(user, reference: str, *, write: bool = False) -> AcknowledgementCampaign:
    try:
        campaign = (
            AcknowledgementCampaign.objects.visible_to(user)
            .select_related("document", "version", "created_by")
            .get(reference=reference)
        )
    except (AcknowledgementCampaign.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404 from exc
    if write:
        _require_edit(user)
    return campaign


# --- Validation ----------------------------------------------------------------------------


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` plus ``months`` calendar months, the day clamped to the month's last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def body_clean(body: str) -> str:
    """Sanitised HTML; text without any tag is taken as plain text (paragraphs kept)."""
    body = (body or "").strip()
    if not body:
        return ""
    if "<" not in body:
        body = linebreaks(body, autoescape=True)
    return clean_html(body).strip()


def _text(value, field: str, errors: dict, *, limit: int, required_message: str = "") -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = _("Enter text.")
        return ""
    value = value.strip()
    if len(value) > limit:
        errors[field] = _("Keep it under %(n)d characters.") % {"n": limit}
    elif not value and required_message:
        errors[field] = required_message
    return value


def _clean_kind(kind, errors: dict) -> str:
    if kind not in DocumentKind.values:
        errors["kind"] = _("Choose the kind of document.")
    return kind


def _clean_owner(owner, errors: dict):
    if owner is None or not isinstance(owner, User):
        errors["owner"] = _("A document needs an owner.")
    elif not (owner.is_active and owner.has_capability(Capability.STAFF)):
        errors["owner"] = _("The owner must be an active member of staff.")
    return owner


def _clean_clauses(text, errors: dict) -> str:
    if not isinstance(text, str):
        text = ""
    clauses, bad = clauses_normalise(text)
    if bad:
        errors["clauses"] = _("Not clause numbers: %(bad)s. Write them like 7.5, 8.6.1.") % {
            "bad": ", ".join(bad)
        }
    elif len(clauses) > 200:
        errors["clauses"] = _("Keep it under %(n)d characters.") % {"n": 200}
    return clauses


def _clean_interval(value, errors: dict) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 60:
        errors["review_interval_months"] = _("Review at least every %(n)d months.") % {
            "n": MAX_INTERVAL_MONTHS
        }
        return 12
    return value


def _clean_people(people, field: str, errors: dict, *, approvers: bool, author=None) -> list:
    people = list(people or [])
    for person in people:
        if not isinstance(person, User) or not (
            person.is_active and person.has_capability(Capability.STAFF)
        ):
            errors[field] = _("Name active members of staff only.")
            return people
        if approvers and not documents_may_approve(person):
            errors[field] = _("%(name)s may not approve documents.") % {"name": person}
            return people
    if author is not None and any(p.pk == author.pk for p in people):
        errors[field] = (
            _("The author cannot approve his own version.")
            if approvers
            else _("The author cannot review his own version.")
        )
    return people


def _clean_planned(value, errors: dict, *, today) -> datetime.date | None:
    if value in (None, ""):
        return None
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        errors["planned_effective"] = _("Enter a date.")
        return None
    if value < today:
        errors["planned_effective"] = _("The planned effective date cannot be in the past.")
    return value


def _locked_document(document: Document, expected_version: int | None = None) -> Document:
    current = Document.objects.select_for_update(of=("self",)).get(pk=document.pk)
    if expected_version is not None and current.version != expected_version:
        raise ValidationError(
            _("Someone else changed this document meanwhile; check it and try again."),
            code="stale",
        )
    return current


def _touch(document: Document, now) -> Document:
    document.updated_at = now
    document.version = F("version") + 1
    document.save()
    document.refresh_from_db(fields=["version"])
    return document


def _ids(objects) -> list[int]:
    return sorted(o.pk for o in objects)


# --- Documents -----------------------------------------------------------------------------


def document_create(
    *,
    actor,
    title: str,
    kind: str,
    owner: User | None = None,
    clauses: str = "",
    review_interval_months: int = 12,
    body: str = "",
    change_summary: str = "",
    reviewers=(),
    approvers=(),
    planned_effective: datetime.date | None = None,
    now=None,
) -> Document:
    """A new document (reference ``DOC-YYYY-NNNN``) with version 1 as a draft written by the
    actor. The owner defaults to the actor."""
    now = now or timezone.now()
    _require_edit(actor)
    today = timezone.localdate(now)
    errors: dict = {}
    title = _text(title, "title", errors, limit=TITLE_LIMIT, required_message=_("Give a title."))
    kind = _clean_kind(kind, errors)
    owner = _clean_owner(owner or actor, errors)
    clauses = _clean_clauses(clauses, errors)
    interval = _clean_interval(review_interval_months, errors)
    body = _clean_body(body, errors)
    change_summary = _text(change_summary, "change_summary", errors, limit=SUMMARY_LIMIT)
    reviewers = _clean_people(reviewers, "reviewers", errors, approvers=False, author=actor)
    approvers = _clean_people(approvers, "approvers", errors, approvers=True, author=actor)
    planned_effective = _clean_planned(planned_effective, errors, today=today)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        document = Document.objects.create(
            reference=reference_allocate(kind="DOC", year=today.year, width=4),
            title=title,
            kind=kind,
            owner=owner,
            clauses=clauses,
            review_interval_months=interval,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        version = DocumentVersion.objects.create(
            document=document,
            number=1,
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
        document.save(update_fields=["current_version"])
        audit_record(
            actor=actor,
            verb="document.created",
            obj=document,
            payload={
                "reference": document.reference,
                "title": title,
                "kind": kind,
                "owner": owner.pk,
                "clauses": clauses,
                "review_interval_months": interval,
                "reviewers": _ids(reviewers),
                "approvers": _ids(approvers),
            },
        )
    return document


def _clean_body(body, errors: dict) -> str:
    if body is not None and not isinstance(body, str):
        errors["body"] = _("Enter text.")
        return ""
    if len(body or "") > BODY_LIMIT:
        errors["body"] = _("Keep it under %(n)d characters.") % {"n": BODY_LIMIT}
        return ""
    return body_clean(body or "")


def document_update(
    *,
    actor,
    document: Document,
    title=UNSET,
    kind=UNSET,
    owner=UNSET,
    clauses=UNSET,
    review_interval_months=UNSET,
    next_review=UNSET,
    expected_version: int | None = None,
    now=None,
) -> Document:
    """Change a document's metadata (its text changes through versions). Nothing is
    written when nothing changed."""
    now = now or timezone.now()
    _require_edit(actor)
    errors: dict = {}
    new = {}
    if title is not UNSET:
        new["title"] = _text(
            title, "title", errors, limit=TITLE_LIMIT, required_message=_("Give a title.")
        )
    if kind is not UNSET:
        new["kind"] = _clean_kind(kind, errors)
    if owner is not UNSET:
        new["owner"] = _clean_owner(owner, errors)
    if clauses is not UNSET:
        new["clauses"] = _clean_clauses(clauses, errors)
    if review_interval_months is not UNSET:
        new["review_interval_months"] = _clean_interval(review_interval_months, errors)
    if next_review is not UNSET:
        if next_review is not None and (
            not isinstance(next_review, datetime.date) or next_review < timezone.localdate(now)
        ):
            errors["next_review"] = _("The next review cannot be in the past.")
        new["next_review"] = next_review
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        document = _locked_document(document, expected_version)
        changes = {}
        for name, value in new.items():
            old = document.owner_id if name == "owner" else getattr(document, name)
            value_id = value.pk if name == "owner" else value
            if old != value_id:
                changes[name] = [old, value_id]
                setattr(document, name, value)
        if not changes:
            return document
        _touch(document, now)
        audit_record(actor=actor, verb="document.updated", obj=document, payload=changes)
    return document


def document_mark_reviewed(
    *, actor, document: Document, next_review: datetime.date | None = None, now=None
) -> Document:
    """Record the periodic review of a document in force: it still holds. The next review
    moves to ``next_review`` (default: the review interval from today). An editor or the
    document's owner."""
    now = now or timezone.now()
    if not (
        documents_may_edit(actor) or (actor.is_authenticated and actor.pk == document.owner_id)
    ):
        raise PermissionDenied
    today = timezone.localdate(now)
    with transaction.atomic():
        document = _locked_document(document)
        if document.status != DocumentStatus.EFFECTIVE:
            raise ValidationError(_("Only a document in force is reviewed."))
        next_review = next_review or add_months(today, document.review_interval_months)
        if not isinstance(next_review, datetime.date) or next_review <= today:
            raise ValidationError({"next_review": _("The next review must be after today.")})
        old = document.next_review
        document.next_review = next_review
        document.last_reviewed_at = now
        _touch(document, now)
        audit_record(
            actor=actor,
            verb="document.reviewed",
            obj=document,
            payload={"next_review": [old, next_review]},
        )
    return document


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
        change_summary = _text(change_summary, "change_summary", errors, limit=SUMMARY_LIMIT)
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
        _touch(document, now)
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
            summary = _text(change_summary, "change_summary", errors, limit=SUMMARY_LIMIT)
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
            old, new = _ids(getattr(version, field).all()), _ids(given)
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
    *, actor, version: DocumentVersion, target: str, comment: str = "", now=None
) -> DocumentVersion:
    """Move a version along the declared lifecycle (``VERSION_TRANSITIONS``) if one of the
    actor's roles allows it. ``approved`` is a sign-off (``version_approve``)."""
    now = now or timezone.now()
    roles = document_roles(actor)
    if not roles:
        raise PermissionDenied
    if target == VersionStatus.APPROVED:
        return version_approve(actor=actor, version=version, comment=comment, now=now)
    errors: dict = {}
    comment = _text(comment, "comment", errors, limit=COMMENT_LIMIT)
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
        _touch(document, now)
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


def version_review(
    *, actor, version: DocumentVersion, decision: str, comment: str = "", now=None
) -> DocumentSignoff:
    """A named reviewer's word on a version in review: endorsed, or changes requested (with
    a comment). One word per reviewer and round; a new word replaces it."""
    now = now or timezone.now()
    if decision not in (SignoffDecision.ENDORSED, SignoffDecision.CHANGES_REQUESTED):
        raise ValidationError({"decision": _("Endorse the version or ask for changes.")})
    errors: dict = {}
    comment = _text(comment, "comment", errors, limit=COMMENT_LIMIT)
    if decision == SignoffDecision.CHANGES_REQUESTED and not comment:
        errors["comment"] = _("Say which changes you ask for.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        document = _locked_document(version.document)
        version = DocumentVersion.objects.select_for_update(of=("self",)).get(pk=version.pk)
        if not version.reviewers.filter(pk=actor.pk).exists():
            raise PermissionDenied(_("Only the reviewers named on this version review it."))
        if version.status != VersionStatus.IN_REVIEW:
            raise ValidationError(_("This version is not in review."))
        signoff, created = DocumentSignoff.objects.update_or_create(
            version=version,
            round=version.round,
            person=actor,
            kind=SignoffKind.REVIEW,
            defaults={"decision": decision, "comment": comment, "signed_at": now},
        )
        audit_record(
            actor=actor,
            verb="document.version_reviewed",
            obj=document,
            payload={"version": version.number, "round": version.round, "decision": decision},
        )
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
    *, actor, version: DocumentVersion, comment: str = "", now=None
) -> DocumentVersion:
    """An approver signs a version in review. Rules: the author never approves his own
    version; when the version names approvers only they sign, and it is approved once all
    have; every named reviewer must have endorsed it first. Once approved it takes effect on
    its planned date (today when none or past): the version in force until then becomes
    obsolete on that date."""
    now = now or timezone.now()
    if not documents_may_approve(actor):
        raise PermissionDenied
    errors: dict = {}
    comment = _text(comment, "comment", errors, limit=COMMENT_LIMIT)
    if errors:
        raise ValidationError(errors)
    today = timezone.localdate(now)
    with transaction.atomic():
        document = _locked_document(version.document)
        version = DocumentVersion.objects.select_for_update(of=("self",)).get(pk=version.pk)
        if version.status != VersionStatus.IN_REVIEW:
            raise ValidationError(_("Only a version in review can be approved."))
        if version.author_id == actor.pk:
            raise ValidationError(_("The author cannot approve his own version."))
        state = signoff_state(version)
        named = {p.pk for p in state["approvers"]}
        if named and actor.pk not in named:
            raise PermissionDenied(_("Only the approvers named on this version approve it."))
        if actor.pk in state["approvals"]:
            raise ValidationError(_("You have already approved this version."))
        if state["reviews_awaited"]:
            raise ValidationError(
                _("Every reviewer must endorse the version first; awaited: %(names)s.")
                % {"names": ", ".join(str(p) for p in state["reviews_awaited"])}
            )
        DocumentSignoff.objects.create(
            version=version,
            round=version.round,
            person=actor,
            kind=SignoffKind.APPROVAL,
            decision=SignoffDecision.APPROVED,
            comment=comment,
            signed_at=now,
        )
        remaining = named - set(state["approvals"]) - {actor.pk}
        payload = {"version": version.number, "round": version.round, "complete": not remaining}
        if not remaining:
            version.status = VersionStatus.APPROVED
            version.approved_at = now
            version.approved_by = actor
            planned = version.planned_effective
            version.effective_from = planned if planned and planned > today else today
            version.updated_at = now
            version.save()
            payload["effective_from"] = version.effective_from
            if version.effective_from <= today:
                _make_effective(version, document, on=version.effective_from, now=now)
                payload["effective"] = True
        _touch(document, now)
        audit_record(actor=actor, verb="document.version_approved", obj=document, payload=payload)
    return version


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
            _touch(document, now)
            audit_record(
                actor=None,
                verb="document.version_effective",
                obj=document,
                payload={"version": version.number, "effective_from": version.effective_from},
            )
            done += 1
    return done


# --- Periodic review reminders ---------------------------------------------------------------


def review_reminder_key(document: Document) -> str:
    return f"document-review:{document.pk}:{document.next_review.isoformat()}"


def document_review_remind(*, today: datetime.date | None = None) -> int:
    """Remind the owner of every document in force whose review falls due (today or before).

    Exactly once per document and review date: the notification's dedupe key names both, and
    no second reminder goes out for that key, even to a new owner. Returns how many were
    sent."""
    today = today or timezone.localdate()
    due = (
        Document.objects.filter(status=DocumentStatus.EFFECTIVE, next_review__lte=today)
        .select_related("owner")
        .order_by("pk")
    )
    sent = 0
    for document in due:
        key = review_reminder_key(document)
        if Notification.objects.filter(dedupe_key=key).exists():
            continue
        with transaction.atomic():
            created = notify(
                recipients=[document.owner],
                kind="document_review_due",
                context={"document": document, "next_review": document.next_review},
                url=reverse("document_detail", args=[document.reference]),
                dedupe_key=key,
            )
            if created:
                audit_record(
                    actor=None,
                    verb="document.review_reminded",
                    obj=document,
                    payload={"owner": document.owner_id, "next_review": document.next_review},
                )
                sent += 1
    return sent


# --- Read-and-acknowledge campaigns ----------------------------------------------------------


def _clean_roles(roles, errors: dict) -> list[str]:
    roles = list(roles or [])
    bad = [r for r in roles if r not in Role.values]
    if bad:
        errors["roles"] = _("Unknown roles: %(roles)s.") % {"roles": ", ".join(map(str, bad))}
    return sorted(set(roles) - set(bad))


def campaign_audience(*, people=(), teams=(), roles=()):
    """The active people the targets name: the people themselves, the members of the teams
    and the holders of the roles."""
    query = Q(pk__in=[p.pk for p in people])
    team_ids = [t.pk for t in teams]
    if team_ids:
        query |= Q(teams__in=team_ids)
    if roles:
        query |= Q(role__in=list(roles))
    return User.objects.filter(query, is_active=True).distinct().order_by("username")


def _campaign_fields(deadline, title, message, people, teams, roles, errors, *, today):
    if not isinstance(deadline, datetime.date) or isinstance(deadline, datetime.datetime):
        errors["deadline"] = _("Enter the deadline.")
    elif deadline < today:
        errors["deadline"] = _("The deadline cannot be in the past.")
    title = _text(title, "title", errors, limit=TITLE_LIMIT)
    message = _text(message, "message", errors, limit=COMMENT_LIMIT)
    roles = _clean_roles(roles, errors)
    people = list(people or [])
    teams = list(teams or [])
    if any(not isinstance(t, Team) for t in teams):
        errors["teams"] = _("Choose teams.")
    return title, message, people, teams, roles


def _add_targets(campaign: AcknowledgementCampaign, audience, now) -> list[User]:
    existing = set(campaign.acknowledgements.values_list("person_id", flat=True))
    added = [p for p in audience if p.pk not in existing]
    Acknowledgement.objects.bulk_create(
        [Acknowledgement(campaign=campaign, person=p, added_at=now) for p in added]
    )
    return added


def _ask_to_read(campaign: AcknowledgementCampaign, people) -> None:
    for person in people:
        notify(
            recipients=[person],
            kind="document_read_request",
            context={"campaign": campaign, "document": campaign.document},
            url=reverse("document_detail", args=[campaign.document.reference]),
            dedupe_key=f"document-read:{campaign.pk}:{person.pk}",
        )


def campaign_create(
    *,
    actor,
    version: DocumentVersion,
    deadline: datetime.date,
    people=(),
    teams=(),
    roles=(),
    title: str = "",
    message: str = "",
    now=None,
) -> AcknowledgementCampaign:
    """Ask people (named, by team, by role) to read ``version`` and acknowledge it by
    ``deadline`` (reference ``ACK-YYYY-NNNN``). The version must be approved or in force.
    Each person asked gets one acknowledgement row and one notification."""
    now = now or timezone.now()
    _require_edit(actor)
    today = timezone.localdate(now)
    errors: dict = {}
    title, message, people, teams, roles = _campaign_fields(
        deadline, title, message, people, teams, roles, errors, today=today
    )
    if version.status not in (VersionStatus.APPROVED, VersionStatus.EFFECTIVE):
        errors["version"] = _("Only an approved or effective version is sent out to read.")
    audience = list(campaign_audience(people=people, teams=teams, roles=roles))
    if not audience and not errors:
        errors["people"] = _("Nobody matches: name people, teams or roles.")
    if errors:
        raise ValidationError(errors)
    document = version.document
    with transaction.atomic():
        campaign = AcknowledgementCampaign.objects.create(
            reference=reference_allocate(kind="ACK", year=today.year, width=4),
            document=document,
            version=version,
            title=title or document.title,
            message=message,
            deadline=deadline,
            roles=roles,
            created_by=actor,
            created_at=now,
        )
        campaign.people.set(people)
        campaign.teams.set(teams)
        added = _add_targets(campaign, audience, now)
        _ask_to_read(campaign, added)
        audit_record(
            actor=actor,
            verb="document.campaign_started",
            obj=campaign,
            payload={
                "reference": campaign.reference,
                "document": document.reference,
                "version": version.number,
                "deadline": deadline,
                "people": _ids(people),
                "teams": _ids(teams),
                "roles": roles,
                "asked": len(added),
            },
        )
    return campaign


def campaign_update(
    *,
    actor,
    campaign: AcknowledgementCampaign,
    deadline=UNSET,
    title=UNSET,
    message=UNSET,
    people=UNSET,
    teams=UNSET,
    roles=UNSET,
    now=None,
) -> AcknowledgementCampaign:
    """Change an open campaign: its deadline, wording or targets. New targets add people
    (and ask them); nobody already asked is removed — the rows are evidence."""
    now = now or timezone.now()
    _require_edit(actor)
    today = timezone.localdate(now)
    with transaction.atomic():
        campaign = AcknowledgementCampaign.objects.select_for_update(of=("self",)).get(
            pk=campaign.pk
        )
        if campaign.status != CampaignStatus.OPEN:
            raise ValidationError(_("This campaign is closed."))
        errors: dict = {}
        title, message, people, teams, roles = _campaign_fields(
            campaign.deadline if deadline is UNSET else deadline,
            campaign.title if title is UNSET else title,
            campaign.message if message is UNSET else message,
            list(campaign.people.all()) if people is UNSET else people,
            list(campaign.teams.all()) if teams is UNSET else teams,
            campaign.roles if roles is UNSET else roles,
            errors,
            today=min(today, campaign.deadline),
        )
        if not title:
            errors["title"] = _("Give a title.")
        if errors:
            raise ValidationError(errors)
        changes: dict = {}
        for name, value in (
            ("deadline", campaign.deadline if deadline is UNSET else deadline),
            ("title", title),
            ("message", message),
            ("roles", roles),
        ):
            if getattr(campaign, name) != value:
                changes[name] = [getattr(campaign, name), value]
                setattr(campaign, name, value)
        for name, value in (("people", people), ("teams", teams)):
            old, new = _ids(getattr(campaign, name).all()), _ids(value)
            if old != new:
                changes[name] = [old, new]
                getattr(campaign, name).set(value)
        if not changes:
            return campaign
        campaign.save()
        audience = campaign_audience(people=people, teams=teams, roles=roles)
        added = _add_targets(campaign, audience, now)
        _ask_to_read(campaign, added)
        changes["asked"] = len(added)
        audit_record(actor=actor, verb="document.campaign_updated", obj=campaign, payload=changes)
    return campaign


def campaign_close(*, actor, campaign: AcknowledgementCampaign, now=None):
    """Close a campaign: no more acknowledgements or reminders. Its figures stay."""
    now = now or timezone.now()
    _require_edit(actor)
    with transaction.atomic():
        campaign = AcknowledgementCampaign.objects.select_for_update(of=("self",)).get(
            pk=campaign.pk
        )
        if campaign.status == CampaignStatus.CLOSED:
            raise ValidationError(_("This campaign is already closed."))
        campaign.status = CampaignStatus.CLOSED
        campaign.closed_at = now
        campaign.save(update_fields=["status", "closed_at"])
        outstanding = campaign.acknowledgements.filter(acknowledged_at__isnull=True).count()
        audit_record(
            actor=actor,
            verb="document.campaign_closed",
            obj=campaign,
            payload={"outstanding": outstanding},
        )
    return campaign


def acknowledgement_give(*, actor, campaign: AcknowledgementCampaign, now=None) -> Acknowledgement:
    """The actor states he has read and understood the campaign's version. Once per person
    and campaign; only while the campaign is open and the version approved or in force."""
    now = now or timezone.now()
    if not (actor.is_authenticated and actor.is_active):
        raise PermissionDenied
    with transaction.atomic():
        row = (
            Acknowledgement.objects.select_for_update(of=("self",))
            .select_related("campaign__version", "campaign__document")
            .filter(campaign=campaign, person=actor)
            .first()
        )
        if row is None:
            raise PermissionDenied(_("This campaign does not ask you to read the document."))
        campaign = row.campaign
        if row.acknowledged_at is not None:
            raise ValidationError(
                _("You acknowledged this on %(date)s.")
                % {"date": timezone.localtime(row.acknowledged_at).strftime("%Y-%m-%d")}
            )
        if campaign.status != CampaignStatus.OPEN:
            raise ValidationError(_("This campaign is closed."))
        if campaign.version.status not in (VersionStatus.APPROVED, VersionStatus.EFFECTIVE):
            raise ValidationError(_("This version is no longer in force."))
        updated = Acknowledgement.objects.filter(pk=row.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=now
        )
        if not updated:  # pragma: no cover - the row lock makes this a no-op
            raise ValidationError(_("You have already acknowledged this."))
        row.acknowledged_at = now
        audit_record(
            actor=actor,
            verb="document.acknowledged",
            obj=campaign,
            organisation=actor.organisation,
            payload={
                "document": campaign.document.reference,
                "version": campaign.version.number,
                "on_time": timezone.localdate(now) <= campaign.deadline,
            },
        )
    return row


def reminder_key(campaign_id: int, person_id: int) -> str:
    return f"document-ack-reminder:{campaign_id}:{person_id}"


def campaign_remind(*, today: datetime.date | None = None, now=None) -> int:
    """Remind the people who have not acknowledged yet, once the deadline is near
    (``REMIND_BEFORE_DEADLINE``) or past: exactly once per campaign and person (a
    conditional update of ``reminded_at`` and the notification's dedupe key both guard it).
    Open campaigns only; one transaction and one audit row per campaign. Returns the number
    of people reminded."""
    today = today or timezone.localdate()
    now = now or timezone.now()
    due = AcknowledgementCampaign.objects.filter(
        status=CampaignStatus.OPEN,
        deadline__lte=today + REMIND_BEFORE_DEADLINE,
        acknowledgements__acknowledged_at__isnull=True,
        acknowledgements__reminded_at__isnull=True,
    ).distinct()
    sent = 0
    for campaign in due.select_related("document").order_by("pk"):
        with transaction.atomic():
            rows = Acknowledgement.objects.filter(
                campaign=campaign, acknowledged_at__isnull=True, reminded_at__isnull=True
            ).select_related("person")
            reminded = []
            for row in rows.order_by("person_id"):
                claimed = Acknowledgement.objects.filter(
                    pk=row.pk, reminded_at__isnull=True, acknowledged_at__isnull=True
                ).update(reminded_at=now)
                if claimed and notify(
                    recipients=[row.person],
                    kind="document_ack_reminder",
                    context={"campaign": campaign, "document": campaign.document},
                    url=reverse("document_detail", args=[campaign.document.reference]),
                    dedupe_key=reminder_key(campaign.pk, row.person_id),
                ):
                    reminded.append(row.person_id)
            if reminded:
                audit_record(
                    actor=None,
                    verb="document.campaign_reminded",
                    obj=campaign,
                    payload={"reminded": reminded},
                )
                sent += len(reminded)
    return sent
