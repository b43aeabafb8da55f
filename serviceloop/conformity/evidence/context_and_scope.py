"""Evidence of the context of the organisation (clause 4): the issues and interested parties
kept under review, and the scope statement in force covering the live services."""

from django.db.models import Count, Q
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


@evidence_register("4.1")
def context_issues_under_review(today):
    """4.1: current internal and external issues whose review date has not passed."""
    from serviceloop.planning.models import ContextIssue, IssueKind

    counts = ContextIssue.objects.filter(is_active=True).aggregate(
        whole=Count("pk"),
        part=Count("pk", filter=Q(review_on__gte=today)),
        internal=Count("pk", filter=Q(kind=IssueKind.INTERNAL)),
        external=Count("pk", filter=Q(kind=IssueKind.EXTERNAL)),
    )
    detail = ""
    if counts["whole"]:
        detail = _("%(internal)d internal and %(external)d external issues recorded.") % counts
    return share(
        "4.1",
        _("Current issues not past their review date"),
        counts["part"],
        counts["whole"],
        detail=detail,
        url=list_url("context_issue_list"),
    )


@evidence_register("4.2")
def interested_parties_addressed(today):
    """4.2: current interested parties whose requirements say how they are addressed (the
    parties past their review date are named in the detail)."""
    from serviceloop.planning.models import InterestedParty

    counts = InterestedParty.objects.filter(is_active=True).aggregate(
        whole=Count("pk"),
        part=Count("pk", filter=~Q(requirements="") & ~Q(how_addressed="")),
        overdue=Count("pk", filter=Q(review_on__lt=today)),
    )
    detail = ""
    if counts["overdue"]:
        detail = _("%(overdue)d past their review date.") % counts
    return share(
        "4.2",
        _("Current interested parties with their requirements and how they are addressed"),
        counts["part"],
        counts["whole"],
        detail=detail,
        url=list_url("context_party_list"),
    )


@evidence_register("4.3")
def live_services_in_scope(today):
    """4.3: the approved scope statement, and the share of live services it names."""
    from serviceloop.planning.models import ScopeStatement, VersionStatus
    from serviceloop.portfolio.models import Service

    label = _("Live services in the approved scope statement")
    url = list_url("scope_list")
    # "approved" sorts before "draft": the approved statement if there is one (one query)
    scope = (
        ScopeStatement.objects.filter(status__in=(VersionStatus.APPROVED, VersionStatus.DRAFT))
        .order_by("status")
        .first()
    )
    if scope is None:
        return nothing_yet("4.3", label, url=url)
    if scope.status != VersionStatus.APPROVED:
        return Evidence(
            "4.3", label, _("no approved scope statement"), None, "bad",
            _("A draft awaits approval."), url,
        )  # fmt: skip
    live = Service.objects.live()
    exclusions = scope.exclusions.count()
    detail = ngettext(
        "Version %(number)d, approved on %(date)s; %(n)d exclusion.",
        "Version %(number)d, approved on %(date)s; %(n)d exclusions.",
        exclusions,
    ) % {"number": scope.number, "date": local_date(scope.approved_at), "n": exclusions}
    return share(
        "4.3",
        label,
        live.filter(pk__in=scope.services.values("pk")).count(),
        live.count(),
        detail=detail,
        url=url,
        empty=_("no live service yet"),
    )
