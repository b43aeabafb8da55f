"""Named reads of the signal proposals and rules: the inbox with its filters, the counts,
the rules in declaration order with what each reads."""

from django.db.models import Count, Q

from serviceloop.improvement.models import SIGNALS, Proposal, ProposalState, SignalRule


def proposals_for_list(
    user,
    *,
    status: str = "",
    open_only: bool = False,
    kind: str = "",
    signal: str = "",
    owner=None,
    q: str = "",
):
    """The inbox as the user may see it (staff), filtered, newest first."""
    rows = Proposal.objects.visible_to(user).select_related("owner", "decided_by")
    if status:
        rows = rows.filter(status=status)
    if open_only:
        rows = rows.open()
    if kind:
        rows = rows.filter(kind=kind)
    if signal:
        rows = rows.filter(signal=signal)
    if owner is not None:
        rows = rows.filter(owner=owner)
    q = (q or "").strip()
    if q:
        rows = rows.filter(
            Q(title__icontains=q)
            | Q(reference__iexact=q)
            | Q(description__icontains=q)
            | Q(record_reference__iexact=q)
        )
    return rows.order_by("-raised_at", "-id")


def pending_counts(user) -> dict[str, int]:
    """Pending proposals per kind (one grouped query)."""
    rows = (
        Proposal.objects.visible_to(user)
        .filter(status=ProposalState.PROPOSED)
        .values("kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["kind"]: row["n"] for row in rows}


def rules_in_order() -> list[SignalRule]:
    """Every rule, in the order the signals are declared (missing ones left out)."""
    rules = {rule.kind: rule for rule in SignalRule.objects.select_related("updated_by")}
    return [rules[spec.kind] for spec in SIGNALS if spec.kind in rules]
