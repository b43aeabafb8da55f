"""Evidence of leadership (clause 5): the service management policy approved, communicated
and acknowledged, and the roles of the RACI matrix held for each process."""

from django.db.models import Count, Max, Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from serviceloop.conformity.evidence.registry import (
    Evidence,
    evidence_register,
    list_url,
    local_date,
    nothing_yet,
    share,
)


@evidence_register("5.2.1")
def policy_in_force(today):
    """5.2.1: a service management policy approved by top management and in force (an
    approved version stays in force until the next approval supersedes it)."""
    from serviceloop.planning.models import PolicyVersion, VersionStatus

    label = _("Service management policy in force")
    url = list_url("policy_list")
    # "approved" sorts before "draft": the version in force if there is one (one query)
    policy = (
        PolicyVersion.objects.filter(status__in=(VersionStatus.APPROVED, VersionStatus.DRAFT))
        .select_related("approved_by")
        .order_by("status")
        .first()
    )
    if policy is None:
        return nothing_yet("5.2.1", label, url=url)
    if policy.status != VersionStatus.APPROVED:
        return Evidence(
            "5.2.1", label, _("none approved yet"), None, "bad",
            _("A draft awaits approval."), url,
        )  # fmt: skip
    value = _("version %(number)d, approved on %(date)s") % {
        "number": policy.number,
        "date": local_date(policy.approved_at),
    }
    detail = (
        _("Approved by %(person)s.") % {"person": policy.approved_by} if policy.approved_by else ""
    )
    return Evidence("5.2.1", label, value, None, "good", detail, url)


@evidence_register("5.2.2")
def policy_communicated(today):
    """5.2.2: the communications recorded for the policy version in force (none: a gap;
    no approved policy: nothing to say, 5.2.1 says it)."""
    from serviceloop.planning.models import PolicyVersion, VersionStatus

    policy = PolicyVersion.objects.filter(status=VersionStatus.APPROVED).first()
    if policy is None:
        return None
    counts = policy.communications.aggregate(n=Count("pk"), last=Max("communicated_on"))
    n = counts["n"]
    value = ngettext("%(n)d communication", "%(n)d communications", n) % {"n": n}
    detail = _("Last on %(date)s.") % {"date": counts["last"].isoformat()} if n else ""
    return Evidence(
        "5.2.2",
        _("Communications of the policy in force"),
        value,
        None,
        "good" if n else "bad",
        detail,
        list_url("policy_communication_list"),
    )


@evidence_register("5.2.2")
def policy_acknowledged(today):
    """5.2.2: of the people asked to read a policy document in force (a controlled policy
    document citing 5.2, in its version in force), those who acknowledged every such request."""
    from serviceloop.planning.queries_policy import POLICY_CLAUSES
    from serviceloop.support.models import (
        Acknowledgement,
        Document,
        DocumentKind,
        DocumentStatus,
    )

    documents = Document.objects.filter(kind=DocumentKind.POLICY, status=DocumentStatus.EFFECTIVE)
    versions = [
        d.effective_version_id
        for d in documents.only("clauses", "effective_version_id")
        if d.effective_version_id and set(d.clause_list) & set(POLICY_CLAUSES)
    ]
    people = (
        Acknowledgement.objects.filter(campaign__version_id__in=versions)
        .values("person_id")
        .annotate(open=Count("pk", filter=Q(acknowledged_at__isnull=True)))
    )
    rows = list(people)
    return share(
        "5.2.2",
        _("People who acknowledged the policy documents in force"),
        sum(1 for row in rows if not row["open"]),
        len(rows),
        detail=ngettext(
            "%(n)d policy document in force.", "%(n)d policy documents in force.", len(versions)
        )
        % {"n": len(versions)},
        url=list_url("document_campaign_list"),
        empty=_("nobody asked to acknowledge it yet"),
    )


@evidence_register("5.3")
def processes_with_roles(today):
    """5.3: processes in scope (their tailoring module on) with one accountable role and a
    responsible role in the RACI matrix, each held by at least one active person."""
    from serviceloop.core.models import User
    from serviceloop.planning.models import PROCESSES, RaciAssignment
    from serviceloop.planning.queries_tailoring import disabled_modules

    label = _("Processes with an accountable and a responsible role held by someone")
    url = list_url("raci_matrix")
    cells = list(RaciAssignment.objects.values_list("process", "role", "letters"))
    if not cells:
        return nothing_yet("5.3", label, url=url)
    off = disabled_modules()
    in_scope = [p.code for p in PROCESSES if not (p.module and p.module in off)]
    held = set(User.objects.filter(is_active=True).values_list("role", flat=True))
    roles: dict[tuple[str, str], set[str]] = {}
    for process, role, letters in cells:
        for letter in "AR":
            if letter in letters:
                roles.setdefault((process, letter), set()).add(role)
    covered = sum(
        1
        for code in in_scope
        if len(roles.get((code, "A"), ())) == 1
        and roles[(code, "A")] & held
        and roles.get((code, "R"), set()) & held
    )
    return share(
        "5.3",
        label,
        covered,
        len(in_scope),
        detail=_("A role counts when at least one active person holds it."),
        url=url,
    )
