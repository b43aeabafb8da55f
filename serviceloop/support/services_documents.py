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
- **the lone author's exception**: while nobody else in his organisation may approve (or
  review), the author approves (or reviews) his own version with a written reason, recorded
  as an exception (``services_document_signoffs``).
- **acknowledge**: each person a campaign asks, once.

Each service validates, writes the change and appends one audit row in one transaction; bad
input raises ValidationError (nothing written), a missing right PermissionDenied.

This module holds the rights, the validation, documents and their periodic review; the
versions are in ``services_document_versions``, their sign-offs in
``services_document_signoffs``, the read-and-acknowledge campaigns in
``services_document_campaigns``.
"""

import calendar
import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.html import linebreaks
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.models import User
from serviceloop.core.numbering import reference_allocate
from serviceloop.core.roles import Capability
from serviceloop.core.sanitise import clean_html
from serviceloop.support import queries_documents as queries
from serviceloop.support.models import (
    DOCUMENT_APPROVER,
    DOCUMENT_EDITOR,
    AcknowledgementCampaign,
    Document,
    DocumentKind,
    DocumentStatus,
    DocumentVersion,
    VersionStatus,
    clauses_normalise,
    documents_read_all,
)
from serviceloop.support.record_writing import (
    pks_sorted,
    record_lock,
    record_touch,
    reminders_send,
    text_clean,
)

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
        # the lone author's exception (services_document_signoffs): he may be named only
        # while nobody else in his organisation may sign, and signs with a written reason
        others = (
            queries.document_approvers_besides(author)
            if approvers
            else queries.document_reviewers_besides(author)
        )
        if others.exists():
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
    return record_lock(
        document,
        expected_version,
        _("Someone else changed this document meanwhile; check it and try again."),
    )


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
    title = text_clean(
        title, "title", errors, limit=TITLE_LIMIT, required_message=_("Give a title.")
    )
    kind = _clean_kind(kind, errors)
    owner = _clean_owner(owner or actor, errors)
    clauses = _clean_clauses(clauses, errors)
    interval = _clean_interval(review_interval_months, errors)
    body = _clean_body(body, errors)
    change_summary = text_clean(change_summary, "change_summary", errors, limit=SUMMARY_LIMIT)
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
                "reviewers": pks_sorted(reviewers),
                "approvers": pks_sorted(approvers),
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
        new["title"] = text_clean(
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
        record_touch(document, now)
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
        record_touch(document, now)
        audit_record(
            actor=actor,
            verb="document.reviewed",
            obj=document,
            payload={"next_review": [old, next_review]},
        )
    return document


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
    return reminders_send(
        due,
        key=review_reminder_key,
        recipient=lambda document: document.owner,
        kind="document_review_due",
        context=lambda document: {"document": document, "next_review": document.next_review},
        url=lambda document: reverse("document_detail", args=[document.reference]),
        verb="document.review_reminded",
        payload=lambda document: {"owner": document.owner_id, "next_review": document.next_review},
    )
