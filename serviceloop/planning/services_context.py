"""Context writes (clause 4): internal and external issues (4.1), interested parties (4.2)
and the versioned scope statement (4.3).

Each service checks the actor's right, validates, writes the change and one audit row in one
transaction, and raises ValidationError (translated messages, nothing written) on bad input.

The scope statement moves draft → approved → superseded. One draft at a time: it starts as a
copy of the approved version (or empty), plus an exclusion for every module switched off by
tailoring that the copy does not exclude yet. Approving it supersedes the approved version;
an approved version never changes.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record, field_changes, snapshot
from serviceloop.core.models import Organisation, OrganisationKind
from serviceloop.planning.field_cleaning import (
    check_version,
    clean_choice,
    clean_date,
    clean_lines,
    clean_owner,
    clean_text,
    raise_if,
    require_manager,
)
from serviceloop.planning.models import (
    ContextIssue,
    InterestedParty,
    IssueKind,
    Module,
    PartyCategory,
    ScopeExclusion,
    ScopeStatement,
    VersionStatus,
)
from serviceloop.planning.permissions_management import can_approve_scope
from serviceloop.planning.queries_tailoring import tailoring_setting
from serviceloop.portfolio.models import Service

ISSUE_FIELDS = ("kind", "title", "description", "impact", "owner", "review_on")
PARTY_FIELDS = ("name", "category", "requirements", "how_addressed", "owner", "review_on")
SCOPE_FIELDS = ("statement", "change_summary", "locations")


# --- Issues and interested parties ---------------------------------------------------------


def _clean_issue(values: dict, errors: dict) -> dict:
    cleaned = {}
    if "kind" in values:
        cleaned["kind"] = clean_choice(values["kind"], IssueKind.values, "kind", errors)
    if "title" in values:
        cleaned["title"] = clean_text(values["title"], "title", errors, limit=200, required=True)
    for name in ("description", "impact"):
        if name in values:
            cleaned[name] = clean_text(values[name], name, errors)
    if "owner" in values:
        cleaned["owner"] = clean_owner(values["owner"], errors)
    if "review_on" in values:
        cleaned["review_on"] = clean_date(values["review_on"], "review_on", errors)
    return cleaned


def _clean_party(values: dict, errors: dict) -> dict:
    cleaned = {}
    if "name" in values:
        cleaned["name"] = clean_text(values["name"], "name", errors, limit=200, required=True)
    if "category" in values:
        cleaned["category"] = clean_choice(
            values["category"], PartyCategory.values, "category", errors
        )
    if "requirements" in values:
        cleaned["requirements"] = clean_text(
            values["requirements"], "requirements", errors, required=True
        )
    if "how_addressed" in values:
        cleaned["how_addressed"] = clean_text(values["how_addressed"], "how_addressed", errors)
    if "owner" in values:
        cleaned["owner"] = clean_owner(values["owner"], errors)
    if "review_on" in values:
        cleaned["review_on"] = clean_date(values["review_on"], "review_on", errors)
    return cleaned


def _create(model, cleaner, verb, *, actor, values: dict):
    require_manager(actor)
    errors: dict = {}
    cleaned = cleaner(values, errors)
    raise_if(errors)
    now = timezone.now()
    with transaction.atomic():
        record = model.objects.create(created_by=actor, created_at=now, updated_at=now, **cleaned)
        audit_record(actor=actor, verb=verb, obj=record, payload=snapshot(record, list(cleaned)))
    return record


def _update(model, cleaner, fields, verb, *, actor, record, expected_version, changes: dict):
    require_manager(actor)
    unknown = set(changes) - set(fields)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    errors: dict = {}
    cleaned = cleaner(changes, errors)
    raise_if(errors)
    with transaction.atomic():
        record = model.objects.select_for_update(of=("self",)).get(pk=record.pk)
        check_version(record, expected_version)
        before = snapshot(record, fields)
        for name, value in cleaned.items():
            setattr(record, name, value)
        made = field_changes(record, before, fields)
        if not made:
            return record
        record.updated_at = timezone.now()
        record.version += 1
        record.save()
        audit_record(actor=actor, verb=verb, obj=record, payload=made)
    return record


def _set_current(model, verb, *, actor, record, current: bool, reason: str, expected_version):
    require_manager(actor)
    errors: dict = {}
    reason = clean_text(reason, "reason", errors, limit=2000)
    if not current and not reason and "reason" not in errors:
        errors["reason"] = _("Say why it no longer applies.")
    raise_if(errors)
    with transaction.atomic():
        record = model.objects.select_for_update(of=("self",)).get(pk=record.pk)
        check_version(record, expected_version)
        if record.is_active == current:
            raise ValidationError(
                {"target": _("It is already current.") if current else _("It is already retired.")}
            )
        record.is_active = current
        record.retired_reason = "" if current else reason
        record.updated_at = timezone.now()
        record.version += 1
        record.save()
        audit_record(
            actor=actor,
            verb=f"{verb}.{'reinstated' if current else 'retired'}",
            obj=record,
            payload={"reason": reason},
        )
    return record


def issue_create(
    *, actor, kind: str, title: str, owner, review_on, description: str = "", impact: str = ""
) -> ContextIssue:
    """Record an internal or external issue (4.1) with its impact, owner and review date."""
    values = {
        "kind": kind, "title": title, "description": description, "impact": impact,
        "owner": owner, "review_on": review_on,
    }  # fmt: skip
    return _create(ContextIssue, _clean_issue, "context_issue.created", actor=actor, values=values)


def issue_update(
    *, actor, issue: ContextIssue, expected_version: int | None = None, **changes
) -> ContextIssue:
    return _update(
        ContextIssue, _clean_issue, ISSUE_FIELDS, "context_issue.updated",
        actor=actor, record=issue, expected_version=expected_version, changes=changes,
    )  # fmt: skip


def issue_set_current(
    *, actor, issue: ContextIssue, current: bool, reason: str = "", expected_version=None
) -> ContextIssue:
    """Retire an issue that no longer applies (with the reason), or reinstate it. Retired
    issues stay on record: they are evidence of past reviews."""
    return _set_current(
        ContextIssue, "context_issue",
        actor=actor, record=issue, current=current, reason=reason,
        expected_version=expected_version,
    )  # fmt: skip


def party_create(
    *, actor, name: str, category: str, requirements: str, owner, review_on, how_addressed=""
) -> InterestedParty:
    """Record an interested party (4.2), its requirements and how they are addressed."""
    values = {
        "name": name, "category": category, "requirements": requirements,
        "how_addressed": how_addressed, "owner": owner, "review_on": review_on,
    }  # fmt: skip
    return _create(
        InterestedParty, _clean_party, "interested_party.created", actor=actor, values=values
    )


def party_update(
    *, actor, party: InterestedParty, expected_version: int | None = None, **changes
) -> InterestedParty:
    return _update(
        InterestedParty, _clean_party, PARTY_FIELDS, "interested_party.updated",
        actor=actor, record=party, expected_version=expected_version, changes=changes,
    )  # fmt: skip


def party_set_current(
    *, actor, party: InterestedParty, current: bool, reason: str = "", expected_version=None
) -> InterestedParty:
    return _set_current(
        InterestedParty, "interested_party",
        actor=actor, record=party, current=current, reason=reason,
        expected_version=expected_version,
    )  # fmt: skip


# --- Scope statement -----------------------------------------------------------------------


def _clean_exclusions(rows, errors: dict) -> list[dict]:
    """``[{"subject", "justification", "module"}]``: each needs both texts; a module at most
    once."""
    if rows is None:
        return []
    if not isinstance(rows, list | tuple):
        errors["exclusions"] = _("Give the exclusions as a list.")
        return []
    cleaned, problems, modules = [], [], set()
    for row in rows:
        if not isinstance(row, dict):
            problems.append(_("Give each exclusion its subject and justification."))
            continue
        local: dict = {}
        subject = clean_text(row.get("subject"), "subject", local, limit=200)
        justification = clean_text(row.get("justification"), "justification", local)
        module = row.get("module") or ""
        if module and module not in Module.values:
            local["module"] = _("Choose a module from the list.")
        if not subject and not justification and not module:
            continue  # an empty row of a form
        if not subject:
            subject = str(Module(module).label) if module in Module.values else ""
        if not subject or not justification:
            local.setdefault(
                "justification",
                _("Every exclusion needs what is excluded and the justification."),
            )
        if module and module in modules:
            local["module"] = _("The module %(module)s is excluded twice.") % {"module": module}
        modules.add(module)
        problems.extend(str(message) for message in local.values())
        cleaned.append({"subject": subject, "justification": justification, "module": module})
    if problems:
        errors["exclusions"] = list(dict.fromkeys(problems))
    return cleaned


def _clean_scope(values: dict, errors: dict) -> dict:
    cleaned = {}
    if "statement" in values:
        cleaned["statement"] = clean_text(values["statement"], "statement", errors)
    if "change_summary" in values:
        cleaned["change_summary"] = clean_text(values["change_summary"], "change_summary", errors)
    if "locations" in values:
        cleaned["locations"] = clean_lines(values["locations"], "locations", errors)
    if "services" in values:
        services = list(values["services"] or [])
        if any(not isinstance(s, Service) for s in services):
            errors["services"] = _("Choose services from the catalogue.")
        cleaned["services"] = services
    if "customers" in values:
        customers = list(values["customers"] or [])
        if any(
            not isinstance(c, Organisation) or c.kind != OrganisationKind.CUSTOMER
            for c in customers
        ):
            errors["customers"] = _("Choose customer organisations.")
        cleaned["customers"] = customers
    if "exclusions" in values:
        cleaned["exclusions"] = _clean_exclusions(values["exclusions"], errors)
    return cleaned


def _next_number(model) -> int:
    return (model.objects.aggregate(n=Max("number"))["n"] or 0) + 1


def _exclusion_rows(scope: ScopeStatement) -> list[dict]:
    return [
        {"subject": e.subject, "justification": e.justification, "module": e.module}
        for e in scope.exclusions.order_by("id")
    ]


def _switched_off_rows(covered: set[str]) -> list[dict]:
    """An exclusion row for each module switched off in Tailoring and not in ``covered``,
    with the reason given when it was switched off."""
    setting = tailoring_setting()
    return [
        {
            "subject": str(Module(module).label),
            "justification": (setting.module_reasons or {}).get(module, ""),
            "module": module,
        }
        for module in setting.disabled_modules or []
        if module not in covered and module in Module.values
    ]


def scope_missing_exclusions(scope: ScopeStatement) -> list[dict]:
    """The exclusion rows a draft lacks (nothing written): one for each module switched off
    in Tailoring since the draft was started, as ``scope_draft_create`` would have added."""
    return _switched_off_rows(
        set(scope.exclusions.exclude(module="").values_list("module", flat=True))
    )


def scope_draft_create(*, actor) -> ScopeStatement:
    """Start the next version of the scope statement as a draft (one draft at a time): a copy
    of the approved version, plus an exclusion for each switched-off module it does not
    exclude yet, with the reason given when the module was switched off."""
    require_manager(actor)
    now = timezone.now()
    with transaction.atomic():
        if (
            ScopeStatement.objects.select_for_update(of=("self",))
            .filter(status=VersionStatus.DRAFT)
            .exists()
        ):
            raise ValidationError(
                _("A draft of the scope statement exists already: edit or discard it first.")
            )
        current = ScopeStatement.objects.filter(status=VersionStatus.APPROVED).first()
        draft = ScopeStatement.objects.create(
            number=_next_number(ScopeStatement),
            statement=current.statement if current else "",
            locations=list(current.locations) if current else [],
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        exclusions = _exclusion_rows(current) if current else []
        if current:
            draft.services.set(current.services.all())
            draft.customers.set(current.customers.all())
        exclusions += _switched_off_rows({row["module"] for row in exclusions})
        ScopeExclusion.objects.bulk_create(ScopeExclusion(scope=draft, **row) for row in exclusions)
        audit_record(
            actor=actor,
            verb="scope.draft_created",
            obj=draft,
            payload={"number": draft.number, "from": current.number if current else None},
        )
    return draft


def scope_update(
    *, actor, scope: ScopeStatement, expected_version: int | None = None, **changes
) -> ScopeStatement:
    """Change the draft: statement, what changed, locations, services, customers, exclusions
    (the whole list)."""
    require_manager(actor)
    unknown = set(changes) - {*SCOPE_FIELDS, "services", "customers", "exclusions"}
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    errors: dict = {}
    cleaned = _clean_scope(changes, errors)
    raise_if(errors)
    with transaction.atomic():
        scope = ScopeStatement.objects.select_for_update(of=("self",)).get(pk=scope.pk)
        check_version(scope, expected_version)
        if not scope.is_draft:
            raise ValidationError(_("Only a draft can be changed: start a new version."))
        before = snapshot(scope, SCOPE_FIELDS)
        for name in SCOPE_FIELDS:
            if name in cleaned:
                setattr(scope, name, cleaned[name])
        made = field_changes(scope, before, SCOPE_FIELDS)
        for name, key in (("services", "code"), ("customers", "name")):
            if name in cleaned:
                old = sorted(getattr(scope, name).values_list(key, flat=True))
                new = sorted(getattr(item, key) for item in cleaned[name])
                if old != new:
                    made[name] = [old, new]
                    getattr(scope, name).set(cleaned[name])
        if "exclusions" in cleaned:
            old = _exclusion_rows(scope)
            if old != cleaned["exclusions"]:
                made["exclusions"] = [old, cleaned["exclusions"]]
                scope.exclusions.all().delete()
                ScopeExclusion.objects.bulk_create(
                    ScopeExclusion(scope=scope, **row) for row in cleaned["exclusions"]
                )
        if not made:
            return scope
        scope.updated_at = timezone.now()
        scope.version += 1
        scope.save()
        audit_record(actor=actor, verb="scope.updated", obj=scope, payload=made)
    return scope


def scope_approval_problems(scope: ScopeStatement) -> list[str]:
    """What stops the draft from being approved (empty: it may be)."""
    problems = []
    if not scope.statement.strip():
        problems.append(_("Write the scope statement."))
    if not scope.services.exists():
        problems.append(_("Name at least one service in scope."))
    excluded = set(scope.exclusions.exclude(module="").values_list("module", flat=True))
    missing = [
        str(Module(m).label)
        for m in tailoring_setting().disabled_modules or []
        if m in Module.values and m not in excluded
    ]
    if missing:
        problems.append(
            _("Switched-off modules must be listed as exclusions with a justification: %(m)s.")
            % {"m": ", ".join(missing)}
        )
    if scope.exclusions.filter(justification="").exists():
        problems.append(_("Every exclusion needs a justification."))
    return problems


def _approve(model, *, actor, document, note: str, problems, verb: str):
    errors: dict = {}
    note = clean_text(note, "note", errors, limit=2000)
    raise_if(errors)
    now = timezone.now()
    document = model.objects.select_for_update(of=("self",)).get(pk=document.pk)
    if not document.is_draft:
        raise ValidationError(_("Only a draft can be approved."))
    blocking = problems(document)
    if blocking:
        raise ValidationError(blocking)
    previous = (
        model.objects.select_for_update(of=("self",)).filter(status=VersionStatus.APPROVED).first()
    )
    if previous is not None:
        previous.status = VersionStatus.SUPERSEDED
        previous.superseded_at = now
        previous.version += 1
        previous.save(update_fields=["status", "superseded_at", "version"])
    document.status = VersionStatus.APPROVED
    document.approved_by = actor
    document.approved_at = now
    document.approval_note = note
    document.updated_at = now
    document.version += 1
    document.save()
    audit_record(
        actor=actor,
        verb=verb,
        obj=document,
        payload={
            "number": document.number,
            "supersedes": previous.number if previous else None,
            "note": note,
        },
    )
    return document


def scope_approve(
    *, actor, scope: ScopeStatement, note: str = "", expected_version: int | None = None
) -> ScopeStatement:
    """Approve the draft (top management or the management-system owner): it needs a
    statement, a service in scope, and every exclusion justified, including one for each
    module switched off by tailoring. The approved version before it is superseded."""
    if not can_approve_scope(actor):
        raise PermissionDenied
    with transaction.atomic():
        check_version(ScopeStatement.objects.get(pk=scope.pk), expected_version)
        return _approve(
            ScopeStatement,
            actor=actor,
            document=scope,
            note=note,
            problems=scope_approval_problems,
            verb="scope.approved",
        )


def scope_draft_discard(*, actor, scope: ScopeStatement) -> None:
    """Throw a draft away (a draft is not evidence; approved versions are never deleted)."""
    require_manager(actor)
    with transaction.atomic():
        scope = ScopeStatement.objects.select_for_update(of=("self",)).get(pk=scope.pk)
        if not scope.is_draft:
            raise ValidationError(_("Only a draft can be discarded."))
        audit_record(actor=actor, verb="scope.draft_discarded", obj=scope, payload={})
        scope.delete()
