"""Every write of release and deployment management (clause 8.5.3) but the deployments:
releases, their acceptance criteria and early-life incidents. (Deployments, rollbacks and
the release's moves: ``services_release_deployments``.)

A release groups changes and is tested against its acceptance criteria; it is approved for
deployment only when every criterion passed and every grouped change is approved; it is
deployed environment by environment (a deployment record each); it reaches "deployed" with
a successful production deployment, which starts its early-life support (ELS) up to
``els_end``; a rollback is recorded per environment, and a production rollback moves the
release to "rolled back". Each service checks the right to operate (403 for read-only
staff), validates, and writes the change, a history row and one audit row in one
transaction.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.models import User
from serviceloop.core.numbering import reference_allocate
from serviceloop.core.roles import Capability
from serviceloop.desk.models import Kind, Ticket
from serviceloop.portfolio.lifecycle import ServiceStatus
from serviceloop.transition.change_moves import actor_role
from serviceloop.transition.lifecycle import EDITABLE_RELEASE_STATUSES, ChangeStatus, ReleaseStatus
from serviceloop.transition.models import (
    AcceptanceCriterion,
    CriterionResult,
    Release,
    ReleaseIncident,
)
from serviceloop.transition.release_moves import release_event, release_locked
from serviceloop.transition.validation import bump, clean_instant, clean_text, raise_if

RS = ReleaseStatus
FINAL = frozenset({RS.CLOSED, RS.CANCELLED})
RELEASE_FIELDS = (
    "name",
    "description",
    "owner",
    "changes",
    "services",
    "planned_deploy_at",
    "els_end",
)
# Fields still editable once the release is deploying or deployed.
LATE_FIELDS = frozenset({"description", "owner", "els_end"})


def _clean(fields: dict, errors: dict) -> dict:
    cleaned = {}
    if "name" in fields:
        cleaned["name"] = clean_text(
            fields["name"], "name", errors, limit=200, required=_("Give the release a name.")
        )
    if "description" in fields:
        cleaned["description"] = clean_text(fields["description"], "description", errors)
    if "owner" in fields:
        owner = fields["owner"]
        if owner is not None and not (
            isinstance(owner, User) and owner.is_active and owner.has_capability(Capability.OPERATE)
        ):
            errors["owner"] = _("Choose a member of staff who works operational records.")
        cleaned["owner"] = owner
    if "changes" in fields:
        changes = list({c.pk: c for c in fields["changes"] or []}.values())
        abandoned = sorted(
            c.reference
            for c in changes
            if c.status in (ChangeStatus.CANCELLED, ChangeStatus.REJECTED)
        )
        if abandoned:
            errors["changes"] = _("Cancelled or rejected changes cannot be released: %(refs)s.") % {
                "refs": ", ".join(abandoned)
            }
        cleaned["changes"] = changes
    if "services" in fields:
        services = list({s.pk: s for s in fields["services"] or []}.values())
        if any(s.status == ServiceStatus.RETIRED for s in services):
            errors["services"] = _("A retired service takes no release.")
        cleaned["services"] = services
    for name in ("planned_deploy_at", "els_end"):
        if name in fields:
            cleaned[name] = clean_instant(fields[name], name, errors)
    return cleaned


def release_create(
    *,
    actor,
    name: str,
    description: str = "",
    owner: User | None = None,
    changes=(),
    services=(),
    planned_deploy_at=None,
    els_end=None,
    criteria=(),
    now=None,
) -> Release:
    """Plan a release (reference ``REL-YYYY-NNNNNN``) with its changes, services, dates and
    acceptance criteria (one text each); the owner defaults to the actor."""
    now = now or timezone.now()
    actor_role(actor)
    errors: dict = {}
    cleaned = _clean(
        {
            "name": name,
            "description": description,
            "owner": owner or actor,
            "changes": changes,
            "services": services,
            "planned_deploy_at": planned_deploy_at,
            "els_end": els_end,
        },
        errors,
    )
    texts = [clean_text(c, "criteria", errors, limit=300) for c in criteria or []]
    raise_if(errors)
    chosen_changes, chosen_services = cleaned.pop("changes"), cleaned.pop("services")
    with transaction.atomic():
        release = Release.objects.create(
            reference=reference_allocate(kind="REL", year=timezone.localtime(now).year),
            created_by=actor,
            created_at=now,
            updated_at=now,
            **cleaned,
        )
        release.changes.set(chosen_changes)
        release.services.set(chosen_services)
        AcceptanceCriterion.objects.bulk_create(
            AcceptanceCriterion(release=release, position=n, description=text)
            for n, text in enumerate((t for t in texts if t), start=1)
        )
        release_event(release, "created", actor=actor, at=now, to_value=release.status)
        audit_record(
            actor=actor,
            verb="release.created",
            obj=release,
            payload={
                "reference": release.reference,
                "name": release.name,
                "changes": sorted(c.reference for c in chosen_changes),
                "services": sorted(s.code for s in chosen_services),
                "criteria": [t for t in texts if t],
            },
        )
    return release


def _current(release, name):
    if name in ("changes", "services"):
        return sorted(getattr(release, name).values_list("pk", flat=True))
    if name == "owner":
        return release.owner_id
    return getattr(release, name)


def release_update(*, actor, release: Release, expected_version=None, now=None, **fields):
    """Change a release's details. Its changes, services, name and planned date only while it
    is planned, in test or rolled back; the description, owner and the end of early-life
    support until it is closed."""
    now = now or timezone.now()
    actor_role(actor)
    unknown = set(fields) - set(RELEASE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    errors: dict = {}
    cleaned = _clean(fields, errors)
    raise_if(errors)
    with transaction.atomic():
        release = release_locked(release, expected_version)
        if release.status in FINAL:
            raise ValidationError(_("This release is closed; its record can no longer change."))
        changes = {}
        for name, value in cleaned.items():
            new = (
                sorted(v.pk for v in value)
                if name in ("changes", "services")
                else (value.pk if isinstance(value, User) else value)
            )
            if _current(release, name) != new:
                changes[name] = [_current(release, name), new]
        if not changes:
            return release
        late = set(changes) - LATE_FIELDS
        if late and release.status not in EDITABLE_RELEASE_STATUSES:
            raise ValidationError(
                _(
                    "Once a release is deploying, only its description, owner and early-life support end can change."
                )
            )
        for name in changes:
            if name in ("changes", "services"):
                getattr(release, name).set(cleaned[name])
            else:
                setattr(release, name, cleaned[name])
        release_event(release, "updated", actor=actor, at=now, fields=sorted(changes))
        bump(release, now)
        audit_record(actor=actor, verb="release.updated", obj=release, payload=changes)
    return release


# --- Acceptance criteria -------------------------------------------------------------------


def release_criterion_add(*, actor, release: Release, description: str, now=None):
    now = now or timezone.now()
    actor_role(actor)
    errors: dict = {}
    description = clean_text(
        description, "description", errors, limit=300, required=_("Describe the criterion.")
    )
    raise_if(errors)
    with transaction.atomic():
        release = release_locked(release)
        if release.status not in EDITABLE_RELEASE_STATUSES:
            raise ValidationError(_("Criteria are set before the release is deployed."))
        position = (
            release.criteria.order_by("-position").values_list("position", flat=True).first() or 0
        ) + 1
        criterion = AcceptanceCriterion.objects.create(
            release=release, position=position, description=description
        )
        release_event(release, "criterion", actor=actor, at=now, to_value=description[:120])
        bump(release, now)
        audit_record(
            actor=actor,
            verb="release.criterion_added",
            obj=release,
            payload={"criterion": criterion.pk, "description": description},
        )
    return criterion


def release_criterion_record(
    *, actor, criterion: AcceptanceCriterion, result: str, note: str = "", now=None
):
    """Record a test result (pass / fail / not tested) with its note; a fail needs a note."""
    now = now or timezone.now()
    actor_role(actor)
    errors: dict = {}
    if result not in CriterionResult.values:
        errors["result"] = _("Choose a result.")
    required = _("Say what failed.") if result == CriterionResult.FAIL else ""
    note = clean_text(note, "note", errors, limit=5000, required=required)
    raise_if(errors)
    with transaction.atomic():
        release = release_locked(criterion.release)
        if release.status not in EDITABLE_RELEASE_STATUSES:
            raise ValidationError(_("Test results are recorded before the release is deployed."))
        criterion = AcceptanceCriterion.objects.select_for_update(of=("self",)).get(pk=criterion.pk)
        old = criterion.result
        criterion.result, criterion.note = result, note
        criterion.tested_by, criterion.tested_at = actor, now
        criterion.save()
        release_event(
            release,
            "test",
            actor=actor,
            at=now,
            from_value=old,
            to_value=result,
            criterion=criterion.description,
            note=note,
        )
        bump(release, now)
        audit_record(
            actor=actor,
            verb="release.criterion_result",
            obj=release,
            payload={
                "criterion": criterion.description,
                "result": [old, result],
                "note": note,
            },
        )
    return criterion


# --- Early-life support --------------------------------------------------------------------


def release_tag_incidents(*, actor, release: Release, incidents, now=None) -> list[Ticket]:
    """Tag incidents to the release (early-life support); returns the newly tagged ones."""
    now = now or timezone.now()
    actor_role(actor)
    incidents = list({t.pk: t for t in incidents}.values())
    wrong = sorted(t.reference for t in incidents if t.kind != Kind.INCIDENT)
    if wrong:
        raise ValidationError(
            {"incidents": _("Only incidents can be tagged: %(refs)s.") % {"refs": ", ".join(wrong)}}
        )
    with transaction.atomic():
        release = release_locked(release)
        if release.actual_deploy_at is None:
            raise ValidationError(
                {"incidents": _("Incidents are tagged once the release is in production.")}
            )
        already = set(
            ReleaseIncident.objects.filter(release=release, incident__in=incidents).values_list(
                "incident_id", flat=True
            )
        )
        new = [t for t in incidents if t.pk not in already]
        if not new:
            return []
        ReleaseIncident.objects.bulk_create(
            ReleaseIncident(release=release, incident=t, linked_at=now, linked_by=actor)
            for t in new
        )
        references = sorted(t.reference for t in new)
        release_event(release, "incidents", actor=actor, at=now, incidents=references)
        bump(release, now)
        audit_record(
            actor=actor,
            verb="release.incidents_tagged",
            obj=release,
            payload={"incidents": references},
        )
    return new


def release_untag_incident(*, actor, release: Release, incident: Ticket, now=None) -> bool:
    now = now or timezone.now()
    actor_role(actor)
    with transaction.atomic():
        release = release_locked(release)
        deleted, _rows = ReleaseIncident.objects.filter(release=release, incident=incident).delete()
        if not deleted:
            return False
        release_event(release, "untagged", actor=actor, at=now, to_value=incident.reference)
        bump(release, now)
        audit_record(
            actor=actor,
            verb="release.incident_untagged",
            obj=release,
            payload={"incident": incident.reference},
        )
    return True
