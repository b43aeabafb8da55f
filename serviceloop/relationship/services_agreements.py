"""SLAs and OLAs as documents (clause 8.3.3): every write except reviews (see _reviews).

An agreement is created with its first draft version. A draft is edited (validity, review
date, services, text, targets), submitted for review, returned to draft or agreed; agreeing a
version supersedes the agreement's previous agreed version in the same transaction. Each write
checks the actor's right, validates (ValidationError, nothing written), writes the change, its
history event and its audit row in one transaction.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record, field_changes, snapshot
from serviceloop.core.models import OrganisationKind
from serviceloop.core.numbering import reference_allocate
from serviceloop.relationship.models import (
    Agreement,
    AgreementKind,
    AgreementTarget,
    AgreementVersion,
    AgreementVersionEvent,
    TargetMetric,
    TargetUnit,
    VersionStatus,
    version_transition_for,
)
from serviceloop.relationship.models.agreements import AGREEMENT_SUBMITTER, DESK_METRICS
from serviceloop.relationship.permissions_agreements import (
    agreement_roles,
)
from serviceloop.relationship.permissions_customers import require_relationship_writer
from serviceloop.relationship.services_customers import (
    TEXT_LIMIT,
    check_version,
    clean_date,
    clean_rich_text,
    clean_text,
)

VERSION_FIELDS = ("valid_from", "valid_until", "review_on", "body", "change_note")
MAX_TARGETS = 60

# --- Validation ----------------------------------------------------------------------------


def _clean_parties(kind: str, customers, teams, errors: dict) -> tuple[list, list]:
    customers = list(customers or [])
    teams = list(teams or [])
    if kind == AgreementKind.SLA:
        if not customers:
            errors["customers"] = _("An SLA names at least one customer.")
        elif any(c.kind != OrganisationKind.CUSTOMER for c in customers):
            errors["customers"] = _("Choose customer organisations only.")
        if teams:
            errors["teams"] = _("An SLA is agreed with customers, not internal teams.")
    elif kind == AgreementKind.OLA:
        if len({t.pk for t in teams}) < 2:
            errors["teams"] = _("An OLA is agreed between at least two internal teams.")
        elif any(not t.organisation.is_provider for t in teams):
            errors["teams"] = _("Choose the provider's own teams.")
        if customers:
            errors["customers"] = _("An OLA is internal: it names no customer.")
    else:
        errors["kind"] = _("Choose SLA or OLA.")
    return customers, teams


def _clean_version(fields: dict, errors: dict, version: AgreementVersion | None = None) -> dict:
    cleaned = {}
    if "valid_from" in fields:
        cleaned["valid_from"] = clean_date(
            fields["valid_from"], "valid_from", errors, required=_("Say from when it is valid.")
        )
    for name in ("valid_until", "review_on"):
        if name in fields:
            cleaned[name] = clean_date(fields[name], name, errors)
    start = cleaned.get("valid_from", getattr(version, "valid_from", None))
    until = cleaned.get("valid_until", getattr(version, "valid_until", None))
    if start and until and until < start:
        errors["valid_until"] = _("The validity ends before it starts.")
    if "body" in fields:
        cleaned["body"] = clean_rich_text(fields["body"], "body", errors, limit=TEXT_LIMIT * 4)
    if "change_note" in fields:
        cleaned["change_note"] = clean_text(fields["change_note"], "change_note", errors, limit=500)
    if "services" in fields:
        cleaned["services"] = list(fields["services"] or [])
    return cleaned


def version_event_add(version, kind, *, actor, at, from_status="", to_status="", note=""):
    return AgreementVersionEvent.objects.create(
        version=version,
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        at=at,
        from_status=from_status,
        to_status=to_status,
        note=note,
    )


def _version_payload(version: AgreementVersion) -> dict:
    return {
        "number": version.number,
        **snapshot(version, VERSION_FIELDS),
        "services": sorted(version.services.values_list("pk", flat=True)),
    }


# --- Agreements ----------------------------------------------------------------------------


def agreement_create(
    *,
    actor,
    kind: str,
    title: str,
    valid_from,
    customers=(),
    teams=(),
    valid_until=None,
    review_on=None,
    services=(),
    body: str = "",
    change_note: str = "",
    now=None,
) -> Agreement:
    """Create an SLA (``SLA-YYYY-NNNNNN``, one or more customers) or an OLA (``OLA-…``, two
    or more provider teams) with its first version, a draft authored by the actor."""
    require_relationship_writer(actor)
    now = now or timezone.now()
    errors = {}
    title = clean_text(title, "title", errors, limit=200, required=_("Give the agreement a title."))
    customers, teams = _clean_parties(kind, customers, teams, errors)
    cleaned = _clean_version(
        {
            "valid_from": valid_from,
            "valid_until": valid_until,
            "review_on": review_on,
            "body": body,
            "change_note": change_note,
            "services": services,
        },
        errors,
    )
    if errors:
        raise ValidationError(errors)
    services = cleaned.pop("services")
    with transaction.atomic():
        agreement = Agreement.objects.create(
            reference=reference_allocate(kind=kind.upper(), year=timezone.localdate(now).year),
            kind=kind,
            title=title,
            created_by=actor,
        )
        agreement.customers.set(customers)
        agreement.teams.set(teams)
        version = AgreementVersion.objects.create(
            agreement=agreement,
            number=1,
            author=actor,
            created_at=now,
            updated_at=now,
            **cleaned,
        )
        version.services.set(services)
        version_event_add(version, "created", actor=actor, at=now, to_status=version.status)
        audit_record(
            actor=actor,
            verb="agreement.created",
            obj=agreement,
            payload={
                "reference": agreement.reference,
                "kind": kind,
                "title": title,
                "customers": [c.pk for c in customers],
                "teams": [t.pk for t in teams],
                "version": _version_payload(version),
            },
        )
    return agreement


def agreement_update(*, actor, agreement: Agreement, title=None, customers=None, teams=None):
    """Rename an agreement; its customers or teams may change only until a version was first
    agreed (after that, the parties are part of what was agreed)."""
    require_relationship_writer(actor)
    errors = {}
    changes = {}
    with transaction.atomic():
        agreement = Agreement.objects.select_for_update(of=("self",)).get(pk=agreement.pk)
        if title is not None:
            title = clean_text(
                title, "title", errors, limit=200, required=_("Give the agreement a title.")
            )
        parties_change = customers is not None or teams is not None
        if parties_change:
            new_customers = (
                list(customers) if customers is not None else list(agreement.customers.all())
            )
            new_teams = list(teams) if teams is not None else list(agreement.teams.all())
            new_customers, new_teams = _clean_parties(
                agreement.kind, new_customers, new_teams, errors
            )
            old = (
                sorted(agreement.customers.values_list("pk", flat=True)),
                sorted(agreement.teams.values_list("pk", flat=True)),
            )
            new = (sorted(c.pk for c in new_customers), sorted(t.pk for t in new_teams))
            if old != new and agreement.versions.filter(agreed_at__isnull=False).exists():
                errors["customers" if agreement.kind == AgreementKind.SLA else "teams"] = _(
                    "The parties of an agreed agreement cannot change; "
                    "create a new agreement instead."
                )
        if errors:
            raise ValidationError(errors)
        if title is not None and title != agreement.title:
            changes["title"] = [agreement.title, title]
            agreement.title = title
            agreement.save(update_fields=["title"])
        if parties_change and old != new:
            agreement.customers.set(new_customers)
            agreement.teams.set(new_teams)
            changes["customers"] = [old[0], new[0]]
            changes["teams"] = [old[1], new[1]]
        if changes:
            audit_record(actor=actor, verb="agreement.updated", obj=agreement, payload=changes)
    return agreement


# --- Versions ------------------------------------------------------------------------------


def locked_version(version: AgreementVersion, expected_version: int | None = None):
    current = (
        AgreementVersion.objects.select_for_update(of=("self",))
        .select_related("agreement")
        .get(pk=version.pk)
    )
    check_version(current.version, expected_version)
    return current


def _require_draft(version: AgreementVersion) -> None:
    if version.status != VersionStatus.DRAFT:
        raise ValidationError(_("Only a draft version can be changed; create a new version."))


def agreement_version_update(
    *, actor, version: AgreementVersion, expected_version: int | None = None, now=None, **fields
) -> AgreementVersion:
    """Change a draft version's validity, review date, services, text or change note."""
    require_relationship_writer(actor)
    now = now or timezone.now()
    unknown = set(fields) - {*VERSION_FIELDS, "services"}
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    with transaction.atomic():
        version = locked_version(version, expected_version)
        _require_draft(version)
        errors = {}
        cleaned = _clean_version(fields, errors, version)
        if errors:
            raise ValidationError(errors)
        before = snapshot(version, VERSION_FIELDS)
        changes = {}
        if "services" in cleaned:
            services = cleaned.pop("services")
            old = sorted(version.services.values_list("pk", flat=True))
            new = sorted(s.pk for s in services)
            if old != new:
                version.services.set(services)
                changes["services"] = [old, new]
        for name, value in cleaned.items():
            setattr(version, name, value)
        changes.update(field_changes(version, before, VERSION_FIELDS))
        if changes:
            version.updated_at = now
            version.version = F("version") + 1
            version.save()
            version.refresh_from_db()
            version_event_add(
                version, "edited", actor=actor, at=now, note=", ".join(sorted(changes))
            )
            audit_record(
                actor=actor,
                verb="agreement_version.updated",
                obj=version,
                payload={"agreement": version.agreement.reference, "number": version.number,
                         **changes},
            )  # fmt: skip
    return version


def agreement_version_new(*, actor, agreement: Agreement, now=None) -> AgreementVersion:
    """Start the next version as a draft copy of the newest one (text, validity, services,
    targets). Refused while a draft or a version in review exists."""
    require_relationship_writer(actor)
    now = now or timezone.now()
    with transaction.atomic():
        agreement = Agreement.objects.select_for_update(of=("self",)).get(pk=agreement.pk)
        versions = AgreementVersion.objects.filter(agreement=agreement)
        if versions.filter(status__in=[VersionStatus.DRAFT, VersionStatus.IN_REVIEW]).exists():
            raise ValidationError(
                _("A version of this agreement is already being worked on; finish it first.")
            )
        source = versions.order_by("-number").first()
        number = (versions.aggregate(last=Max("number"))["last"] or 0) + 1
        version = AgreementVersion.objects.create(
            agreement=agreement,
            number=number,
            author=actor,
            created_at=now,
            updated_at=now,
            valid_from=max(source.valid_from, timezone.localdate(now)) if source else
            timezone.localdate(now),
            valid_until=source.valid_until if source else None,
            review_on=source.review_on if source else None,
            body=source.body if source else "",
        )  # fmt: skip
        if version.valid_until and version.valid_until < version.valid_from:
            version.valid_until = None
            version.save(update_fields=["valid_until"])
        if source is not None:
            version.services.set(source.services.all())
            AgreementTarget.objects.bulk_create(
                AgreementTarget(
                    version=version,
                    metric=t.metric,
                    label=t.label,
                    priority=t.priority,
                    service_id=t.service_id,
                    target_value=t.target_value,
                    unit=t.unit,
                    sla_policy_id=t.sla_policy_id,
                    sla_policy_version_id=t.sla_policy_version_id,
                    position=t.position,
                )
                for t in source.targets.all()
            )
        version_event_add(
            version,
            "created",
            actor=actor,
            at=now,
            to_status=version.status,
            note=_("copied from version %(n)s") % {"n": source.number} if source else "",
        )
        audit_record(
            actor=actor,
            verb="agreement_version.created",
            obj=version,
            payload={
                "agreement": agreement.reference,
                "from": source.number if source else None,
                **_version_payload(version),
            },
        )
    return version


# --- Targets -------------------------------------------------------------------------------


def _clean_target(version: AgreementVersion, fields: dict, errors: dict) -> dict:
    metric = fields.get("metric")
    if metric not in TargetMetric.values:
        errors["metric"] = _("Choose a metric.")
    unit = fields.get("unit")
    if unit not in TargetUnit.values:
        errors["unit"] = _("Choose a unit.")
    priority = fields.get("priority") or ""
    if priority not in ("", "P1", "P2", "P3", "P4"):
        errors["priority"] = _("Choose a priority from P1 to P4, or none for every priority.")
    label = clean_text(fields.get("label"), "label", errors, limit=200)
    if metric == TargetMetric.OTHER and not label:
        errors["label"] = _("Describe what an “other” target measures.")
    try:
        value = Decimal(str(fields.get("target_value")))
        if not value.is_finite():
            raise InvalidOperation
    except (InvalidOperation, TypeError, ValueError):
        errors["target_value"] = _("Enter the target as a number.")
        value = None
    if value is not None:
        if value <= 0 or value >= Decimal("1000000000"):
            errors["target_value"] = _("The target is a positive number.")
        elif unit == TargetUnit.PERCENT and value > 100:
            errors["target_value"] = _("A percentage is at most 100.")
    if metric == TargetMetric.AVAILABILITY and unit and unit != TargetUnit.PERCENT:
        errors["unit"] = _("Availability is measured in percent.")
    if metric in DESK_METRICS and unit and unit not in (TargetUnit.MINUTES, TargetUnit.HOURS):
        errors["unit"] = _("Response and resolution times are measured in minutes or hours.")
    service = fields.get("service")
    if service is not None and not version.services.filter(pk=service.pk).exists():
        errors["service"] = _("Choose one of the services this version covers.")
    policy = fields.get("sla_policy")
    policy_version = fields.get("sla_policy_version")
    if policy_version is not None:
        if policy is None:
            policy = policy_version.policy
        elif policy_version.policy_id != policy.pk:
            errors["sla_policy_version"] = _("This version belongs to another SLA policy.")
    if (policy is not None or policy_version is not None) and metric not in DESK_METRICS:
        errors["sla_policy"] = _(
            "Only response and resolution times are measured by a desk SLA policy."
        )
    return {
        "metric": metric,
        "unit": unit,
        "priority": priority,
        "label": label,
        "target_value": value,
        "service": service,
        "sla_policy": policy,
        "sla_policy_version": policy_version,
    }


def agreement_target_add(*, actor, version: AgreementVersion, **fields) -> AgreementTarget:
    """Add a measurable target to a draft version: ``metric``, ``target_value``, ``unit``, and
    optionally ``priority``, ``service``, ``label``, ``sla_policy``, ``sla_policy_version``."""
    require_relationship_writer(actor)
    known = {
        "metric", "unit", "priority", "label", "target_value", "service", "sla_policy",
        "sla_policy_version",
    }  # fmt: skip
    unknown = set(fields) - known
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    with transaction.atomic():
        version = locked_version(version)
        _require_draft(version)
        errors = {}
        cleaned = _clean_target(version, fields, errors)
        if version.targets.count() >= MAX_TARGETS:
            errors["metric"] = _("A version has at most %(n)d targets.") % {"n": MAX_TARGETS}
        if errors:
            raise ValidationError(errors)
        position = (version.targets.aggregate(last=Max("position"))["last"] or 0) + 1
        target = AgreementTarget.objects.create(version=version, position=position, **cleaned)
        AgreementVersion.objects.filter(pk=version.pk).update(version=F("version") + 1)
        audit_record(
            actor=actor,
            verb="agreement_version.target_added",
            obj=version,
            payload={
                "target": target.pk,
                "metric": target.metric,
                "priority": target.priority,
                "value": target.target_value,
                "unit": target.unit,
                "service": target.service_id,
                "sla_policy": target.sla_policy_id,
                "sla_policy_version": target.sla_policy_version_id,
            },
        )
    return target


def agreement_target_remove(*, actor, target: AgreementTarget) -> None:
    """Remove a target from a draft version."""
    require_relationship_writer(actor)
    with transaction.atomic():
        version = locked_version(target.version)
        _require_draft(version)
        audit_record(
            actor=actor,
            verb="agreement_version.target_removed",
            obj=version,
            payload={"target": target.pk, "metric": target.metric, "value": target.target_value},
        )
        target.delete()
        AgreementVersion.objects.filter(pk=version.pk).update(version=F("version") + 1)


# --- Status moves --------------------------------------------------------------------------


def _ready_for_review(version: AgreementVersion) -> None:
    problems = []
    if not version.body.strip():
        problems.append(_("Write the agreement's text."))
    if not version.services.exists():
        problems.append(_("Name at least one service covered."))
    if not version.targets.exists():
        problems.append(_("Add at least one measurable target."))
    if problems:
        raise ValidationError(problems)


def agreement_version_transition(
    *,
    actor,
    version: AgreementVersion,
    target: str,
    note: str = "",
    expected_version: int | None = None,
    now=None,
) -> AgreementVersion:
    """Move a version along ``VERSION_TRANSITIONS``.

    Submit (draft → in review): a submitter, once the version has text, services and targets.
    Return to draft: a submitter or approver. Agree (in review → agreed): an approver who is
    not the version's author; the agreement's previous agreed version becomes superseded in
    the same transaction, in force until the day the new one takes effect. Others: 403.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    errors = {}
    note = clean_text(note, "note", errors, limit=2000)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # Lock the agreement first: two versions of one agreement never race to be agreed.
        Agreement.objects.select_for_update(of=("self",)).filter(pk=version.agreement_id).first()
        version = locked_version(version, expected_version)
        agreement = version.agreement
        if version.status == target:
            raise ValidationError(_("The version is already in this status."))
        roles = agreement_roles(actor, agreement, version)
        if AGREEMENT_SUBMITTER not in roles:
            raise PermissionDenied  # read-only staff, customers, staff not in charge of it
        move = version_transition_for(version.status, target, roles)
        if move is None:
            possible = version_transition_for(version.status, target, {"submitter", "approver"})
            if possible is None:
                raise ValidationError(_("This status change is not allowed."))
            raise PermissionDenied(_("The author of a version cannot agree it."))
        source = version.status
        superseded = None
        if target == VersionStatus.IN_REVIEW:
            _ready_for_review(version)
            version.submitted_by, version.submitted_at = actor, now
        elif target == VersionStatus.AGREED:
            superseded = (
                AgreementVersion.objects.select_for_update(of=("self",))
                .filter(agreement=agreement, status=VersionStatus.AGREED)
                .exclude(pk=version.pk)
                .first()
            )
            if superseded is not None:
                superseded.status = VersionStatus.SUPERSEDED
                superseded.superseded_by = version
                superseded.superseded_on = max(version.valid_from, today)
                superseded.version = F("version") + 1
                superseded.save()
                superseded.refresh_from_db()
                version_event_add(
                    superseded,
                    "status",
                    actor=actor,
                    at=now,
                    from_status=VersionStatus.AGREED,
                    to_status=VersionStatus.SUPERSEDED,
                    note=_("superseded by version %(n)s") % {"n": version.number},
                )
                audit_record(
                    actor=actor,
                    verb="agreement_version.superseded",
                    obj=superseded,
                    payload={
                        "agreement": agreement.reference,
                        "number": superseded.number,
                        "superseded_by": version.number,
                        "superseded_on": superseded.superseded_on,
                    },
                )
            version.agreed_by, version.agreed_at, version.agreed_on = actor, now, today
        elif target == VersionStatus.DRAFT:
            version.submitted_by, version.submitted_at = None, None
        version.status = target
        version.updated_at = now
        version.version = F("version") + 1
        version.save()
        version.refresh_from_db()
        version_event_add(version, "status", actor=actor, at=now, from_status=source, to_status=target,
               note=note)  # fmt: skip
        audit_record(
            actor=actor,
            verb="agreement_version.status",
            obj=version,
            payload={
                "agreement": agreement.reference,
                "number": version.number,
                "status": [source, target],
                "note": note,
                "superseded": superseded.number if superseded else None,
            },
        )
    return version
