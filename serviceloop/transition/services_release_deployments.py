"""Deployments of a release (clause 8.5.3), environment by environment, its rollbacks, and
its moves: it is approved for deployment only when every acceptance criterion passed and
every grouped change is approved; a successful production deployment makes it "deployed"
and starts its early-life support; a production rollback makes it "rolled back". Each
service checks the right to operate (403 for read-only staff), validates, and writes the
change, a history row and one audit row in one transaction.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.transition.change_moves import actor_role
from serviceloop.transition.lifecycle import MANAGER, ChangeStatus, ReleaseStatus
from serviceloop.transition.models import (
    CriterionResult,
    Deployment,
    DeploymentOutcome,
    Environment,
    Release,
    Rollback,
)
from serviceloop.transition.release_moves import release_declared, release_event, release_locked
from serviceloop.transition.validation import bump, clean_instant, clean_text, raise_if

RS = ReleaseStatus
# A grouped change must be approved (or further along, and not abandoned) to deploy.
DEPLOYABLE_CHANGE_STATUSES = frozenset(
    {
        ChangeStatus.APPROVED,
        ChangeStatus.SCHEDULED,
        ChangeStatus.IMPLEMENTING,
        ChangeStatus.IMPLEMENTED,
        ChangeStatus.REVIEWED,
        ChangeStatus.CLOSED,
    }
)


def release_deploy(
    *,
    actor,
    release: Release,
    environment: str,
    outcome: str,
    notes: str = "",
    deployed_at=None,
    now=None,
) -> Deployment:
    """Record a deployment into an environment. Development and test deployments happen
    while testing (or deploying); production only once approved for deployment. A failed
    deployment needs notes."""
    now = now or timezone.now()
    actor_role(actor)
    errors: dict = {}
    if environment not in Environment.values:
        errors["environment"] = _("Choose an environment.")
    if outcome not in DeploymentOutcome.values:
        errors["outcome"] = _("Choose an outcome.")
    required = _("Say what went wrong.") if outcome == DeploymentOutcome.FAILED else ""
    notes = clean_text(notes, "notes", errors, limit=5000, required=required)
    deployed_at = clean_instant(deployed_at, "deployed_at", errors) or now
    raise_if(errors)
    with transaction.atomic():
        release = release_locked(release)
        allowed = (
            {RS.DEPLOYING}
            if environment == Environment.PROD
            else {RS.TESTING, RS.DEPLOYING, RS.ROLLED_BACK}
        )
        if release.status not in allowed:
            message = (
                _("A release is deployed to production once it is approved for deployment.")
                if environment == Environment.PROD
                else _("Development and test deployments are recorded while the release is tested.")
            )
            raise ValidationError({"environment": message})
        deployment = Deployment.objects.create(
            release=release,
            environment=environment,
            outcome=outcome,
            notes=notes,
            deployed_at=deployed_at,
            deployed_by=actor,
        )
        release_event(
            release,
            "deployment",
            actor=actor,
            at=now,
            to_value=f"{environment}:{outcome}",
            notes=notes,
        )
        bump(release, now)
        audit_record(
            actor=actor,
            verb="release.deployment",
            obj=release,
            payload={
                "environment": environment,
                "outcome": outcome,
                "deployed_at": deployed_at,
                "notes": notes,
            },
        )
    return deployment


def _acceptance_refusals(release: Release) -> list[str]:
    refusals = []
    criteria = list(release.criteria.all())
    if not criteria:
        refusals.append(_("Set at least one acceptance criterion."))
    open_ = [c.description for c in criteria if c.result != CriterionResult.PASS]
    if open_:
        refusals.append(
            _("Every acceptance criterion must pass first: %(list)s.") % {"list": "; ".join(open_)}
        )
    unapproved = sorted(
        c.reference for c in release.changes.all() if c.status not in DEPLOYABLE_CHANGE_STATUSES
    )
    if unapproved:
        refusals.append(
            _("These changes are not approved yet: %(refs)s.") % {"refs": ", ".join(unapproved)}
        )
    return refusals


def release_rollback(
    *, actor, release: Release, environment: str, reason: str, deployment=None, now=None
) -> Rollback:
    """Record a rollback in an environment. A production rollback also moves a deploying or
    deployed release to "rolled back" (one more history row and audit row)."""
    now = now or timezone.now()
    role = actor_role(actor)
    errors: dict = {}
    if environment not in Environment.values:
        errors["environment"] = _("Choose an environment.")
    reason = clean_text(reason, "reason", errors, required=_("Say why it is rolled back."))
    raise_if(errors)
    with transaction.atomic():
        release = release_locked(release)
        if environment == Environment.PROD:
            release_declared(release, RS.ROLLED_BACK, role)
        elif release.status not in (RS.TESTING, RS.DEPLOYING, RS.ROLLED_BACK):
            raise ValidationError(
                {"environment": _("Nothing is deployed in this environment at this stage.")}
            )
        if deployment is not None and deployment.release_id != release.pk:
            raise ValidationError({"deployment": _("This deployment belongs to another release.")})
        rollback = Rollback.objects.create(
            release=release,
            deployment=deployment,
            environment=environment,
            reason=reason,
            rolled_back_at=now,
            rolled_back_by=actor,
        )
        old = release.status
        if environment == Environment.PROD:
            release.status = RS.ROLLED_BACK
            release.status_note = reason
        release_event(
            release,
            "rollback",
            actor=actor,
            at=now,
            from_value=old,
            to_value=release.status,
            environment=environment,
            reason=reason,
        )
        bump(release, now)
        audit_record(
            actor=actor,
            verb="release.rollback",
            obj=release,
            payload={"environment": environment, "reason": reason, "status": [old, release.status]},
        )
    return rollback


def release_transition(
    *, actor, release: Release, target: str, note: str = "", expected_version=None, now=None
) -> Release:
    """Move the release to ``target`` if the declared lifecycle allows it and its needs are
    met: approving for deployment needs every criterion passed and every change approved;
    "deployed" needs a successful production deployment and the end of early-life support;
    rolling back (a production rollback) and cancelling need a note."""
    now = now or timezone.now()
    role = actor_role(actor)
    if target == RS.ROLLED_BACK:
        rollback = release_rollback(
            actor=actor, release=release, environment=Environment.PROD, reason=note, now=now
        )
        return rollback.release
    errors: dict = {}
    note = clean_text(note, "note", errors)
    raise_if(errors)
    with transaction.atomic():
        release = release_locked(release, expected_version)
        move = release_declared(release, target, role if role else MANAGER)
        if move.needs == "note" and not note:
            raise ValidationError({"note": _("Give the reason.")})
        if move.needs == "accepted":
            refusals = _acceptance_refusals(release)
            if refusals:
                raise ValidationError({"status": refusals})
        if move.needs == "production":
            deployed = (
                release.deployments.filter(
                    environment=Environment.PROD, outcome=DeploymentOutcome.SUCCEEDED
                )
                .order_by("-deployed_at")
                .first()
            )
            missing = {}
            if deployed is None:
                missing["status"] = _("Record a successful production deployment first.")
            if release.els_end is None:
                missing["els_end"] = _("Set the end of early-life support first.")
            elif deployed is not None and release.els_end <= deployed.deployed_at:
                missing["els_end"] = _("Early-life support must end after the deployment.")
            raise_if(missing)
            release.actual_deploy_at = deployed.deployed_at
        old = release.status
        release.status = target
        if note:
            release.status_note = note
        release_event(
            release, "status", actor=actor, at=now, from_value=old, to_value=target, note=note
        )
        bump(release, now)
        audit_record(
            actor=actor,
            verb=f"release.{target}",
            obj=release,
            payload={"status": [old, target], "note": note},
        )
    return release
