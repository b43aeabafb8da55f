"""Named reads of nonconformities and actions (clause 10.1): the register with its filters,
the action lists ("my actions" among them), and a nonconformity's page data."""

from django.db.models import Count, Prefetch, Q

from serviceloop.improvement.models import (
    ACTION_OPEN_STATUSES,
    Action,
    ActionVerification,
    Nonconformity,
    VerificationKind,
)
from serviceloop.improvement.verification import kpi_condition_progress

OPEN = "not_closed"  # the status filter's "every status not closed or cancelled"


def nonconformities_for_list(
    user, *, status="", source="", severity="", owner=None, overdue_on=None, q=""
):
    """The register as the user may see it (staff), filtered, newest first, with the count
    of actions and of actions not yet decided; ``overdue_on``: not closed and due before
    that day."""
    rows = (
        Nonconformity.objects.visible_to(user)
        .select_related("owner")
        .annotate(
            action_count=Count("actions"),
            actions_open=Count("actions", filter=Q(actions__status__in=ACTION_OPEN_STATUSES)),
        )
    )
    if status == OPEN:
        rows = rows.not_closed()
    elif status:
        rows = rows.filter(status=status)
    if source:
        rows = rows.filter(source=source)
    if severity:
        rows = rows.filter(severity=severity)
    if owner is not None:
        rows = rows.filter(owner=owner)
    if overdue_on is not None:
        rows = rows.overdue(overdue_on)
    q = (q or "").strip()
    if q:
        rows = rows.filter(
            Q(title__icontains=q)
            | Q(reference__iexact=q)
            | Q(source_reference__icontains=q)
            | Q(description__icontains=q)
        )
    return rows.order_by("-raised_on", "-reference")


def actions_for_list(
    user, *, owner=None, status="", kind="", overdue_on=None, open_only=False, q=""
):
    """Corrective and preventive actions as the user may see them (staff), filtered, the
    soonest due first (undated last)."""
    rows = Action.objects.visible_to(user).select_related("owner", "nonconformity", "kpi")
    if owner is not None:
        rows = rows.filter(owner=owner)
    if status:
        rows = rows.filter(status=status)
    if open_only:
        rows = rows.not_decided()
    if kind:
        rows = rows.filter(kind=kind)
    if overdue_on is not None:
        rows = rows.overdue(overdue_on)
    q = (q or "").strip()
    if q:
        rows = rows.filter(
            Q(title__icontains=q)
            | Q(reference__iexact=q)
            | Q(nonconformity__reference__iexact=q)
            | Q(source_reference__icontains=q)
        )
    return rows.order_by("status", "due_on", "reference")


def _with_history(actions):
    return actions.prefetch_related(
        Prefetch(
            "verifications",
            queryset=ActionVerification.objects.select_related("verified_by").order_by(
                "period_start", "id"
            ),
        )
    )


def action_rows(actions) -> list[dict]:
    """Each action with its KPI condition's progress (periods checked, run met) and its
    outcome rows, from one prefetch."""
    out = []
    for action in _with_history(actions):
        history = list(action.verifications.all())
        periods = [r for r in history if r.kind == VerificationKind.PERIOD]
        out.append(
            {
                "action": action,
                "progress": kpi_condition_progress(action, periods),
                "outcomes": [r for r in history if r.kind == VerificationKind.DECISION],
            }
        )
    return out


def nonconformity_actions(nonconformity: Nonconformity) -> list[dict]:
    return action_rows(
        nonconformity.actions.select_related("owner", "kpi").order_by("created_at", "pk")
    )
