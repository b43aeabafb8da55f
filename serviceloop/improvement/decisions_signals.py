"""Deciding on signal proposals: accept (which creates the record proposed), dismiss with a
reason, or mark an action item done. Moves follow ``PROPOSAL_TRANSITIONS``.

Accepting creates, in the same transaction as the decision and its audit row:
- a nonconformity through ``services_nonconformities.nonconformity_raise``;
- a preventive action through ``services_nonconformities.preventive_action_raise``;
- a problem through the desk's own problem service (``new_problem``), with the cluster's
  incidents linked (those not linked to another problem meanwhile);
both improvement services return the open record of the same cause instead of a second one.
A dismissed proposal keeps its cause key, so the same cause is never proposed again.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.roles import Capability
from serviceloop.core.services.notifications import notify
from serviceloop.improvement.detectors_signals import url_for
from serviceloop.improvement.models import (
    Proposal,
    ProposalKind,
    ProposalState,
    SignalKind,
    proposal_transition_for,
)
from serviceloop.improvement.models.signals import MANAGER, OWNER, PROBLEM_MANAGER
from serviceloop.improvement.permissions_signals import proposal_roles
from serviceloop.planning.field_cleaning import check_version, clean_owner, clean_text, raise_if

# The nonconformity (or preventive action) source of each signal.
NC_SOURCES = {
    SignalKind.KPI_MISSED: "kpi",
    SignalKind.KPI_TREND: "kpi",
    SignalKind.PROBLEM_RECURRENCE: "problem",
}


def _subject(proposal: Proposal) -> str:
    evidence = proposal.evidence or {}
    for name in ("kpi", "problem", "document", "agreement", "plan", "finding"):
        if evidence.get(name):
            return str(evidence[name])[:100]
    return proposal.reference


def _locked(proposal: Proposal, expected_version) -> Proposal:
    proposal = (
        Proposal.objects.select_for_update(of=("self",)).select_related("owner").get(pk=proposal.pk)
    )
    check_version(proposal, expected_version)
    return proposal


def _move(actor, proposal: Proposal, target: str):
    roles = proposal_roles(actor, proposal)
    move = proposal_transition_for(proposal.kind, proposal.status, target, roles)
    if move is not None:
        return move
    if proposal.status != ProposalState.PROPOSED and not (
        proposal.status == ProposalState.ACCEPTED and proposal.kind == ProposalKind.ACTION_ITEM
    ):
        raise ValidationError(
            _("This proposal was already decided (%(status)s).")
            % {"status": ProposalState(proposal.status).label.lower()}
        )
    everyone = {MANAGER, PROBLEM_MANAGER, OWNER}
    if proposal_transition_for(proposal.kind, proposal.status, target, everyone):
        raise PermissionDenied
    raise ValidationError({"target": _("This proposal cannot move to that status.")})


def _finish(actor, proposal: Proposal, target: str, note: str, now, **payload) -> None:
    previous = proposal.status
    proposal.status = target
    proposal.decided_by = actor if getattr(actor, "pk", None) else None
    proposal.decided_at = now
    proposal.decision_note = note
    proposal.version += 1
    proposal.save()
    audit_record(
        actor=actor,
        verb=f"proposal.{target}",
        obj=proposal,
        payload={"from": previous, "to": target, "note": note, **payload},
    )


def _operator(*candidates):
    """The first candidate who works problems (the desk's owner rule)."""
    for person in candidates:
        if person is not None and person.is_active and person.has_capability(Capability.OPERATE):
            return person
    return None


def _create_problem(actor, proposal: Proposal, *, title: str, owner, now):
    from serviceloop.desk.models import Category, ProblemIncident, Ticket
    from serviceloop.desk.services.problems import (
        link_incidents,
        new_problem,
        problem_managers,
    )

    evidence = proposal.evidence or {}
    ids = [pk for pk in evidence.get("incident_ids", []) if isinstance(pk, int)]
    incidents = list(
        Ticket.objects.filter(pk__in=ids)
        .exclude(pk__in=ProblemIncident.objects.values("incident_id"))
        .order_by("created_at", "pk")
    )
    managers = problem_managers()
    problem = new_problem(
        actor=actor,
        title=title or evidence.get("suggested_title") or proposal.title,
        description="\n".join(
            [
                proposal.description,
                _("Raised from proposal %(reference)s.") % {"reference": proposal.reference},
            ]
        ),
        service=evidence.get("service", ""),
        category=Category.objects.filter(pk=evidence.get("category_id")).first(),
        owner=_operator(owner, proposal.owner, actor, *managers[:1]),
        now=now,
    )
    linked = link_incidents(problem=problem, incidents=incidents, actor=actor, now=now)
    audit_record(
        actor=actor,
        verb="problem.created_from_signal",
        obj=problem,
        payload={
            "reference": problem.reference,
            "proposal": proposal.reference,
            "cause_key": proposal.cause_key,
            "title": problem.title,
            "owner": problem.owner_id,
            "incidents": [t.reference for t in linked],
        },
    )
    return "desk.problem", problem.reference, url_for("problem_detail", problem.reference)


def _create_record(actor, proposal: Proposal, *, title: str, owner):
    from serviceloop.improvement.services_nonconformities import (
        nonconformity_raise,
        preventive_action_raise,
    )

    common = {
        "title": title or proposal.title,
        "source": NC_SOURCES.get(proposal.signal, "other"),
        "description": proposal.description,
        "source_reference": _subject(proposal),
        "owner": owner or proposal.owner,
        "cause_key": proposal.cause_key,
    }
    if proposal.kind == ProposalKind.NONCONFORMITY:
        record = nonconformity_raise(actor, **common)
        return (
            "improvement.nonconformity",
            record.reference,
            url_for("nonconformity_detail", record.reference),
        )
    record = preventive_action_raise(actor, due_on=proposal.due_on, **common)
    return "improvement.action", record.reference, url_for("action_detail", record.reference)


def proposal_accept(
    *,
    actor,
    proposal: Proposal,
    title: str = "",
    owner=None,
    note: str = "",
    expected_version: int | None = None,
    now=None,
) -> Proposal:
    """Accept a proposal: a nonconformity, preventive action or problem is created (title and
    owner as given, else the proposal's) and linked; an action item is taken on. One
    transaction; one audit row on the proposal (and the created record's own)."""
    now = now or timezone.now()
    errors: dict = {}
    title = clean_text(title, "title", errors, limit=200)
    note = clean_text(note, "note", errors, limit=2000)
    if owner is not None:
        owner = clean_owner(owner, errors)
    raise_if(errors)
    with transaction.atomic():
        proposal = _locked(proposal, expected_version)
        _move(actor, proposal, ProposalState.ACCEPTED)
        if proposal.kind == ProposalKind.PROBLEM:
            record = _create_problem(actor, proposal, title=title, owner=owner, now=now)
        elif proposal.kind in (ProposalKind.NONCONFORMITY, ProposalKind.PREVENTIVE_ACTION):
            record = _create_record(actor, proposal, title=title, owner=owner)
        else:
            record = ("", "", "")
            if owner is not None:
                proposal.owner = owner
        proposal.record_type, proposal.record_reference, proposal.record_url = record
        _finish(actor, proposal, ProposalState.ACCEPTED, note, now, record=record[1])
        if proposal.kind == ProposalKind.ACTION_ITEM and proposal.owner_id != actor.pk:
            notify(
                recipients=[proposal.owner],
                kind="proposal_action_item",
                context={"proposal": proposal},
                url=url_for("proposal_detail", proposal.reference),
            )
    return proposal


def proposal_dismiss(
    *,
    actor,
    proposal: Proposal,
    reason: str,
    expected_version: int | None = None,
    now=None,
) -> Proposal:
    """Dismiss a proposal, saying why. Its cause key stays: the same cause is not proposed
    again. One transaction, one audit row."""
    now = now or timezone.now()
    errors: dict = {}
    reason = clean_text(reason, "reason", errors, limit=2000, required=True)
    if "reason" in errors:
        errors["reason"] = _("Say why.")
    raise_if(errors)
    with transaction.atomic():
        proposal = _locked(proposal, expected_version)
        _move(actor, proposal, ProposalState.DISMISSED)
        _finish(actor, proposal, ProposalState.DISMISSED, reason, now)
    return proposal


def proposal_done(
    *,
    actor,
    proposal: Proposal,
    note: str = "",
    expected_version: int | None = None,
    now=None,
) -> Proposal:
    """Mark an action item done (its owner or a manager). One transaction, one audit row."""
    now = now or timezone.now()
    errors: dict = {}
    note = clean_text(note, "note", errors, limit=2000)
    raise_if(errors)
    with transaction.atomic():
        proposal = _locked(proposal, expected_version)
        _move(actor, proposal, ProposalState.DONE)
        _finish(actor, proposal, ProposalState.DONE, note, now)
    return proposal


def proposal_decide(
    *, actor, proposal: Proposal, target: str, note: str = "", title: str = "", owner=None,
    expected_version: int | None = None,
) -> Proposal:  # fmt: skip
    """One entry for the screens and the API: ``target`` accepted, dismissed (``note`` is
    the reason) or done."""
    if target == ProposalState.ACCEPTED:
        return proposal_accept(
            actor=actor, proposal=proposal, title=title, owner=owner, note=note,
            expected_version=expected_version,
        )  # fmt: skip
    if target == ProposalState.DISMISSED:
        return proposal_dismiss(
            actor=actor, proposal=proposal, reason=note, expected_version=expected_version
        )
    if target == ProposalState.DONE:
        return proposal_done(
            actor=actor, proposal=proposal, note=note, expected_version=expected_version
        )
    raise ValidationError({"target": _("This proposal cannot move to that status.")})
