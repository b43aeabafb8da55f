"""Automatic raising from operational signals: the rules (switch and thresholds), and the
run that turns what the detectors (``detectors_signals``) find into proposals.

``signals_detect`` runs every enabled rule and records one ``Proposal`` per cause:

- a new cause is proposed (audit row, the people who decide are told);
- a cause already proposed and still pending gets its evidence refreshed when it changed
  (audit row), otherwise nothing is written; accepted, dismissed and done proposals are
  left alone, so a dismissed cause stays dismissed;
- an open action item whose cause is gone (the document was reviewed, the plan tested) is
  marked done by the system.

Idempotent: running twice writes nothing the second time. Decisions on proposals are in
``decisions_signals``.
"""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record, field_changes, snapshot
from serviceloop.core.numbering import reference_allocate
from serviceloop.core.services.notifications import notify
from serviceloop.improvement.detectors_signals import DETECTORS, Cause, url_for
from serviceloop.improvement.models import (
    SIGNALS,
    Proposal,
    ProposalKind,
    ProposalState,
    SignalKind,
    SignalRule,
    signal_spec,
)
from serviceloop.improvement.permissions_improvements import managers
from serviceloop.planning.field_cleaning import check_version, raise_if, require_manager

logger = logging.getLogger(__name__)
REFERENCE_KIND = "PRP"
LOCK_NAME = "improvement-signals"


# --- Rules ---------------------------------------------------------------------------------


def signal_rules_load(model=None) -> int:
    """Create the rule of every signal kind that has none, with its default thresholds (on);
    existing rules are left as they are. Returns how many were created. A data migration
    passes its historical model: ``signal_rules_load(apps.get_model("improvement",
    "SignalRule"))``."""
    model = model or SignalRule
    created = 0
    with transaction.atomic():
        for spec in SIGNALS:
            _rule, new = model.objects.get_or_create(
                kind=spec.kind,
                defaults={
                    "enabled": spec.enabled,
                    "threshold": spec.threshold,
                    "window_days": spec.window_days,
                    "margin_percent": spec.margin_percent,
                },
            )
            created += new
    return created


# Lowest and highest value of each threshold, per signal kind.
LIMITS = {
    SignalKind.KPI_MISSED: (1, 24),
    SignalKind.KPI_TREND: (2, 24),
    SignalKind.INCIDENT_CLUSTER: (2, 1000),
    SignalKind.PROBLEM_RECURRENCE: (1, 1000),
}
GRACE_LIMITS = (0, 365)


def signal_rule_update(
    *,
    actor,
    rule: SignalRule,
    enabled: bool,
    threshold: int,
    window_days: int | None = None,
    margin_percent: int | None = None,
    expected_version: int | None = None,
) -> SignalRule:
    """Switch a rule on or off and set its thresholds (those its signal reads; the others
    are ignored). Managers only; one audit row with what changed."""
    require_manager(actor)
    spec = signal_spec(rule.kind)
    errors: dict = {}
    low, high = LIMITS.get(rule.kind, GRACE_LIMITS)

    def number(value, name, lo, hi):
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            errors[name] = _("Enter a whole number from %(low)d to %(high)d.") % {
                "low": lo,
                "high": hi,
            }
        return value

    threshold = number(threshold, "threshold", low, high)
    window_days = number(window_days, "window_days", 1, 730) if spec.window_days else None
    margin_percent = (
        number(margin_percent, "margin_percent", 1, 100) if spec.margin_percent else None
    )
    raise_if(errors)
    fields = ("enabled", "threshold", "window_days", "margin_percent")
    with transaction.atomic():
        rule = SignalRule.objects.select_for_update().get(pk=rule.pk)
        check_version(rule, expected_version)
        before = snapshot(rule, fields)
        rule.enabled = bool(enabled)
        rule.threshold, rule.window_days, rule.margin_percent = (
            threshold,
            window_days,
            margin_percent,
        )
        made = field_changes(rule, before, fields)
        if not made:
            return rule
        rule.updated_by = actor
        rule.updated_at = timezone.now()
        rule.version += 1
        rule.save()
        audit_record(
            actor=actor, verb="signal_rule.updated", obj=rule, payload={"kind": rule.kind, **made}
        )
    return rule


# --- The run -------------------------------------------------------------------------------


def _recipients(kind: str, owner) -> list:
    """Who hears of a new proposal: an action item its owner (managers when it has none); a
    problem the problem managers; the rest the managers; the owner in every case."""
    from serviceloop.desk.services.problems import problem_managers

    if kind == ProposalKind.ACTION_ITEM:
        people = [owner] if owner is not None else managers()
    elif kind == ProposalKind.PROBLEM:
        people = [*problem_managers(), owner]
    else:
        people = [*managers(), owner]
    return [p for p in people if p is not None]


def _raise(rule: SignalRule, cause: Cause, *, now) -> str:
    """Record one cause: ``raised``, ``refreshed`` (pending, evidence changed),
    ``unchanged`` or ``skipped`` (decided already)."""
    kind = rule.spec.raises
    evidence = {**cause.evidence, "signal": rule.kind}
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().filter(cause_key=cause.key).first()
        if proposal is not None:
            if proposal.status != ProposalState.PROPOSED:
                return "skipped"
            if proposal.evidence == evidence and proposal.links == cause.links:
                return "unchanged"
            before = proposal.evidence
            proposal.evidence, proposal.links = evidence, cause.links
            proposal.description = cause.description
            proposal.last_seen_at = now
            proposal.version += 1
            proposal.save()
            audit_record(
                actor=None,
                verb="proposal.refreshed",
                obj=proposal,
                payload={"cause_key": cause.key, "before": before, "after": evidence},
            )
            return "refreshed"
        try:
            with transaction.atomic():
                proposal = Proposal.objects.create(
                    reference=reference_allocate(
                        kind=REFERENCE_KIND, year=timezone.localdate(now).year
                    ),
                    kind=kind,
                    signal=rule.kind,
                    cause_key=cause.key,
                    title=cause.title[:200],
                    description=cause.description,
                    owner=cause.owner,
                    due_on=cause.due_on,
                    evidence=evidence,
                    links=cause.links,
                    raised_at=now,
                    last_seen_at=now,
                )
        except IntegrityError:
            return "unchanged"  # another run recorded this cause a moment ago
        audit_record(
            actor=None,
            verb="proposal.raised",
            obj=proposal,
            payload={
                "kind": kind,
                "signal": rule.kind,
                "cause_key": cause.key,
                "owner": proposal.owner_id,
                "evidence": evidence,
            },
        )
        notify(
            recipients=_recipients(kind, cause.owner),
            kind="proposal_action_item" if kind == ProposalKind.ACTION_ITEM else "proposal_raised",
            context={"proposal": proposal},
            url=url_for("proposal_detail", proposal.reference),
            dedupe_key=f"proposal-raised:{proposal.pk}",
        )
    return "raised"


def _clear(rule: SignalRule, keys: set[str], *, now) -> int:
    """Mark done the open action items of ``rule`` whose cause is gone; returns how many."""
    if rule.spec.raises != ProposalKind.ACTION_ITEM:
        return 0
    gone = (
        Proposal.objects.open()
        .filter(signal=rule.kind)
        .exclude(cause_key__in=keys)
        .values_list("pk", flat=True)
    )
    cleared = 0
    for pk in list(gone):
        with transaction.atomic():
            proposal = Proposal.objects.select_for_update().get(pk=pk)
            if not proposal.is_open:
                continue
            previous = proposal.status
            proposal.status = ProposalState.DONE
            proposal.decided_at = now
            proposal.decision_note = _("The cause is gone: the record was brought up to date.")
            proposal.version += 1
            proposal.save()
            audit_record(
                actor=None,
                verb="proposal.cleared",
                obj=proposal,
                payload={"from": previous, "cause_key": proposal.cause_key},
            )
            cleared += 1
    return cleared


def signals_detect(*, now=None, kinds=None) -> dict[str, dict]:
    """Run the detector of every enabled rule (or of ``kinds`` only, if enabled) and record
    what it found (see the module docstring). Idempotent. Each rule's counts are stored on
    it as its last result and returned: ``{kind: {"raised", "refreshed", "unchanged",
    "skipped", "cleared"}}`` (``{"error": ...}`` when its detector failed; the others run)."""
    now = now or timezone.now()
    results = {}
    rules = SignalRule.objects.filter(enabled=True).order_by("pk")
    if kinds is not None:
        rules = rules.filter(kind__in=list(kinds))
    for rule in rules:
        detector = DETECTORS.get(rule.kind)
        if detector is None:
            continue
        counts = dict.fromkeys(("raised", "refreshed", "unchanged", "skipped", "cleared"), 0)
        try:
            with translation.override(settings.LANGUAGE_CODE):
                causes = detector(rule, now=now)
                for cause in causes:
                    counts[_raise(rule, cause, now=now)] += 1
                counts["cleared"] = _clear(rule, {c.key for c in causes}, now=now)
        except Exception as exc:  # one broken detector must not stop the others
            logger.exception("signal detector %s failed", rule.kind)
            counts = {**counts, "error": f"{type(exc).__name__}: {exc}"[:500]}
        SignalRule.objects.filter(pk=rule.pk).update(last_run_at=now, last_result=counts)
        results[rule.kind] = counts
    return results


def signals_run_now(*, actor, now=None) -> dict[str, dict]:
    """A manager's "Run now": every enabled detector at once, under the same lock as the daily
    job (a ValidationError when a run is already going). One audit row with the counts."""
    from huey.contrib.djhuey import HUEY
    from huey.exceptions import TaskLockedException

    require_manager(actor)
    try:
        with HUEY.lock_task(LOCK_NAME):
            results = signals_detect(now=now)
    except TaskLockedException as exc:
        raise ValidationError(
            _("The detectors are running already. Try again in a minute.")
        ) from exc
    with transaction.atomic():
        audit_record(
            actor=actor,
            verb="signals.run",
            object_type="improvement.signalrule",
            object_id="all",
            payload=results,
        )
    return results
