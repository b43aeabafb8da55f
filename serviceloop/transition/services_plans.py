"""Every write of service transition plans (clause 8.5.2): a new or changed service is
checked against its acceptance criteria, each with its evidence and who checked it when,
and goes live only once all are met.

The "SLA agreed" criterion is checked by the product when the relationship app's
agreements are installed (``relationship.queries_agreements``): a live service must not be
among ``services_without_agreement``; a service not yet live must be covered by an SLA in
force (the same rule, before the service is live). Without that module it is confirmed by a
person like the others (support team trained, knowledge articles published, monitoring in
place — manual until those areas record them).

Going live puts the plan's service live in the catalogue too, when it is not live yet,
through the portfolio's own ``service_transition`` (its rules: an owner, a description for
customers, the plan-new-service checklist done; its audit row). The plan's go-live is the
authority for that move, so the catalogue move is made by the system on the plan's behalf
(the plan operator need not be an editor of the service); both audit rows share the
request id and the plan's row names the service move. A service that cannot go live
refuses the plan's go-live, and nothing changes.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.models import User
from serviceloop.core.numbering import reference_allocate
from serviceloop.core.roles import Capability
from serviceloop.portfolio.lifecycle import ServiceStatus
from serviceloop.portfolio.models import Service
from serviceloop.portfolio.services_catalogue import checklist_open_items, service_transition
from serviceloop.transition.lifecycle import PlanStatus, plan_transition_for
from serviceloop.transition.models import (
    CriterionKey,
    PlanCriterion,
    PlanKind,
    Release,
    TransitionPlan,
)
from serviceloop.transition.permissions import change_role
from serviceloop.transition.validation import bump, check_version, clean_text, raise_if


def _role(actor) -> str:
    role = change_role(actor)
    if role is None:
        raise PermissionDenied
    return role


def _agreements():
    """The relationship app's agreement queries, or None when they are not installed."""
    try:
        from serviceloop.relationship import queries_agreements
    except ImportError:
        return None
    if not hasattr(queries_agreements, "services_without_agreement"):
        return None
    return queries_agreements


def sla_is_automatic() -> bool:
    return _agreements() is not None


def sla_check(service: Service, on_date: datetime.date) -> tuple[bool, str]:
    """Whether an SLA in force on ``on_date`` covers ``service``, and the evidence (the
    agreements' references). Only call when ``sla_is_automatic()``."""
    queries = _agreements()
    if service.status == ServiceStatus.LIVE:
        missing = queries.services_without_agreement(on_date).filter(pk=service.pk).exists()
        if missing:
            return False, ""
    versions = list(queries.agreements_in_force(on_date, kind="sla").filter(services=service))
    if not versions:
        return False, ""
    return True, ", ".join(sorted(str(v) for v in versions))


def plan_create(
    *,
    actor,
    service: Service,
    title: str,
    kind: str = PlanKind.NEW,
    description: str = "",
    owner: User | None = None,
    release: Release | None = None,
    target_go_live=None,
    now=None,
) -> TransitionPlan:
    """Open a transition plan (reference ``STP-YYYY-NNNNNN``) with the standard acceptance
    criteria, none met yet."""
    now = now or timezone.now()
    _role(actor)
    errors: dict = {}
    title = clean_text(title, "title", errors, limit=200, required=_("Give the plan a title."))
    description = clean_text(description, "description", errors)
    if kind not in PlanKind.values:
        errors["kind"] = _("Choose whether the service is new or changed.")
    if not isinstance(service, Service) or service.status == ServiceStatus.RETIRED:
        errors["service"] = _("Choose a service that is not retired.")
    owner = owner or actor
    if not (owner.is_active and owner.has_capability(Capability.OPERATE)):
        errors["owner"] = _("Choose a member of staff who works operational records.")
    if target_go_live is not None and not isinstance(target_go_live, datetime.date):
        errors["target_go_live"] = _("Enter a date.")
    raise_if(errors)
    automatic = sla_is_automatic()
    with transaction.atomic():
        plan = TransitionPlan.objects.create(
            reference=reference_allocate(kind="STP", year=timezone.localtime(now).year),
            service=service,
            kind=kind,
            title=title,
            description=description,
            owner=owner,
            release=release,
            target_go_live=target_go_live,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        PlanCriterion.objects.bulk_create(
            PlanCriterion(
                plan=plan,
                key=key,
                automatic=automatic and key == CriterionKey.SLA_AGREED,
            )
            for key in CriterionKey.values
        )
        audit_record(
            actor=actor,
            verb="transition_plan.created",
            obj=plan,
            payload={
                "reference": plan.reference,
                "service": service.code,
                "kind": kind,
                "title": title,
                "release": release.reference if release else None,
            },
        )
    return plan


def _locked(plan, expected_version=None) -> TransitionPlan:
    current = (
        TransitionPlan.objects.select_for_update(of=("self",))
        .select_related("service")
        .get(pk=plan.pk)
    )
    check_version(current, expected_version)
    return current


def plan_criterion_record(
    *, actor, criterion: PlanCriterion, met: bool, evidence: str = "", now=None
) -> PlanCriterion:
    """Mark a criterion met (with its evidence: what shows it) or not met. The automatic SLA
    criterion is met only when an SLA in force covers the service; its evidence names it."""
    now = now or timezone.now()
    _role(actor)
    errors: dict = {}
    if not isinstance(met, bool):
        errors["met"] = _("Say whether the criterion is met.")
    evidence = clean_text(evidence, "evidence", errors, limit=5000)
    if met and not evidence and not criterion.automatic:
        errors["evidence"] = _("Say what shows that the criterion is met.")
    raise_if(errors)
    with transaction.atomic():
        plan = _locked(criterion.plan)
        if plan.status != PlanStatus.OPEN:
            raise ValidationError(_("This plan is no longer open."))
        criterion = PlanCriterion.objects.select_for_update(of=("self",)).get(pk=criterion.pk)
        if met and criterion.automatic:
            covered, found = sla_check(plan.service, timezone.localdate(now))
            if not covered:
                raise ValidationError(
                    {
                        "met": _("No SLA in force covers %(service)s yet.")
                        % {"service": plan.service}
                    }
                )
            note = _("SLA in force: %(list)s.") % {"list": found}
            evidence = f"{note}\n{evidence}" if evidence else note
        old = [criterion.met, criterion.evidence]
        criterion.met, criterion.evidence = met, evidence
        criterion.checked_by, criterion.checked_at = actor, now
        criterion.save()
        bump(plan, now)
        audit_record(
            actor=actor,
            verb="transition_plan.criterion",
            obj=plan,
            payload={"criterion": criterion.key, "met": [old[0], met], "evidence": evidence},
        )
    return criterion


def go_live_refusals(plan: TransitionPlan, on_date: datetime.date) -> list[str]:
    """Why the plan may not go live yet (empty: it may): its criteria, and (for a service not
    live yet) what the catalogue asks before the service goes live."""
    refusals = []
    for criterion in plan.criteria.all():
        label = CriterionKey(criterion.key).label
        if not criterion.met:
            refusals.append(_("Not met yet: %(criterion)s.") % {"criterion": label})
        elif criterion.automatic and not sla_check(plan.service, on_date)[0]:
            refusals.append(
                _("No SLA in force covers %(service)s any more.") % {"service": plan.service}
            )
    return refusals + catalogue_refusals(plan.service)


def catalogue_refusals(service: Service) -> list[str]:
    """What keeps ``service`` from going live in the catalogue (empty when it is live or may
    go live); a preview of ``portfolio.services_catalogue.service_transition``'s rules, which
    decide at go-live."""
    if service.status == ServiceStatus.LIVE:
        return []
    if service.status == ServiceStatus.RETIRED:
        return [
            _("%(service)s is retired in the catalogue: plan it again first.")
            % {"service": service}
        ]
    refusals = []
    if service.owner_id is None:
        refusals.append(_("Name the owner of %(service)s in the catalogue.") % {"service": service})
    if not service.summary:
        refusals.append(
            _("Write the description for customers of %(service)s in the catalogue.")
            % {"service": service}
        )
    open_items = checklist_open_items(service)
    if open_items:
        refusals.append(
            _("The catalogue checklist of %(service)s is still open: %(items)s.")
            % {"service": service, "items": "; ".join(item.label for item in open_items)}
        )
    return refusals


def _service_go_live(plan: TransitionPlan) -> list[str] | None:
    """Put the plan's service live in the catalogue if it is not (inside the plan's
    transaction); ``[old, new]`` status when it moved, None when it was live already."""
    service = plan.service
    if service.status == ServiceStatus.LIVE:
        return None
    try:
        moved = service_transition(actor=None, service=service, target=ServiceStatus.LIVE)
    except ValidationError as error:
        raise ValidationError(
            {
                "status": [
                    _("%(service)s cannot go live in the catalogue yet.") % {"service": service},
                    *error.messages,
                ]
            }
        ) from error
    plan.service = moved
    return [service.status, moved.status]


def plan_transition(
    *, actor, plan: TransitionPlan, target: str, note: str = "", expected_version=None, now=None
) -> TransitionPlan:
    """Go live (refused until every criterion is met, the SLA checked again) or cancel (with
    a reason)."""
    now = now or timezone.now()
    role = _role(actor)
    errors: dict = {}
    note = clean_text(note, "note", errors)
    raise_if(errors)
    with transaction.atomic():
        plan = _locked(plan, expected_version)
        move = plan_transition_for(plan.status, target, role)
        if move is None:
            raise ValidationError({"status": _("This plan cannot make that move.")})
        if move.needs == "note" and not note:
            raise ValidationError({"note": _("Give the reason.")})
        if move.needs == "criteria":
            refusals = go_live_refusals(plan, timezone.localdate(now))
            if refusals:
                raise ValidationError({"status": refusals})
            service_moved = _service_go_live(plan)
            plan.went_live_at, plan.went_live_by = now, actor
        if target == PlanStatus.CANCELLED:
            plan.cancel_reason = note
        old = plan.status
        plan.status = target
        bump(plan, now)
        payload = {"status": [old, target], "note": note}
        if move.needs == "criteria":
            payload["service"] = {"code": plan.service.code, "status": service_moved}
        audit_record(actor=actor, verb=f"transition_plan.{target}", obj=plan, payload=payload)
    return plan
