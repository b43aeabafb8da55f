"""Evidence of support (clause 7): budgets provided for the live services, competence held
against what roles require, awareness (acknowledgements), the communication plan kept, and
documents reviewed on schedule."""

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from serviceloop.conformity.evidence.registry import (
    evidence_register,
    list_url,
    nothing_yet,
    share,
    year_before,
)


@evidence_register("7.1")
def live_services_with_budget(today):
    """7.1 (financial resources): live services with a budget for a period that includes
    today. Nothing to say when budgeting is switched off by tailoring."""
    from serviceloop.demand.models import Budget
    from serviceloop.planning.models import Module
    from serviceloop.planning.queries_tailoring import module_enabled
    from serviceloop.portfolio.models import Service

    if not module_enabled(Module.BUDGET):
        return None
    current = Budget.objects.filter(period_start__lte=today, period_end__gt=today)
    counts = Service.objects.live().aggregate(
        whole=Count("pk"), part=Count("pk", filter=Q(pk__in=current.values("service_id")))
    )
    return share(
        "7.1",
        _("Live services with a budget for the current period"),
        counts["part"],
        counts["whole"],
        url=list_url("budget_list"),
    )


@evidence_register("7.2")
def people_competent_for_their_role(today):
    """7.2: active provider staff of whom some competence is required (by their role or the
    desk categories of their teams) who hold every one at the level required; a lapsed
    certification counts as level 0."""
    from serviceloop.core.models import User
    from serviceloop.core.roles import PROVIDER_ROLES
    from serviceloop.support.models import CompetenceRequirement, PersonCompetence
    from serviceloop.support.queries_competence import required_levels

    requirements = list(
        CompetenceRequirement.objects.select_related("category").filter(competence__is_active=True)
    )
    label = _("People holding every competence their work requires")
    url = list_url("competence_matrix")
    if not requirements:
        return nothing_yet("7.2", label, url=url)
    people = User.objects.filter(is_active=True, role__in=list(PROVIDER_ROLES)).prefetch_related(
        "teams"
    )
    held = {
        (h.person_id, h.competence_id): h.effective_level(today)
        for h in PersonCompetence.objects.filter(person__is_active=True)
    }
    whole = part = gaps = 0
    for person in people:
        required = required_levels(
            person, requirements=requirements, team_ids={t.pk for t in person.teams.all()}
        )
        if not required:
            continue
        missing = sum(
            1
            for competence, level in required.items()
            if held.get((person.pk, competence), 0) < level
        )
        whole += 1
        part += not missing
        gaps += missing
    detail = ""
    if gaps:
        detail = ngettext("%(n)d competence gap in all.", "%(n)d competence gaps in all.", gaps)
        detail %= {"n": gaps}
    return share("7.2", label, part, whole, detail=detail, url=url)


@evidence_register("7.3")
def acknowledgements_on_time(today):
    """7.3: acknowledgements asked by campaigns whose deadline fell in the last 12 months
    (deadline before today), given by the deadline."""
    from serviceloop.support.queries_documents import acknowledgement_rate

    rate = acknowledgement_rate(year_before(today), today)
    detail = ""
    if rate.asked:
        detail = _("%(late)d given late, %(missing)d not given.") % {
            "late": rate.acknowledged - rate.on_time,
            "missing": rate.asked - rate.acknowledged,
        }
    return share(
        "7.3",
        _("Acknowledgements given by the deadline (campaigns due in the last 12 months)"),
        rate.on_time,
        rate.asked,
        detail=detail,
        url=list_url("document_campaign_list"),
    )


@evidence_register("7.4")
def communications_on_time(today):
    """7.4: active items of the communication plan with a next date that is not overdue;
    the detail counts the communications held in the last 12 months."""
    from serviceloop.support.models import CommunicationItem, CommunicationRecord

    counts = CommunicationItem.objects.filter(is_active=True, next_due__isnull=False).aggregate(
        whole=Count("pk"), part=Count("pk", filter=Q(next_due__gte=today))
    )
    held = CommunicationRecord.objects.filter(
        held_on__gte=year_before(today), held_on__lte=today
    ).count()
    return share(
        "7.4",
        _("Planned communications not overdue"),
        counts["part"],
        counts["whole"],
        detail=ngettext(
            "%(n)d communication held in the last 12 months.",
            "%(n)d communications held in the last 12 months.",
            held,
        )
        % {"n": held},
        url=list_url("communication_list"),
    )


@evidence_register("7.5.2")
def documents_reviewed_on_schedule(today):
    """7.5.2: documents in force whose next review date has not passed."""
    from serviceloop.support.models import Document, DocumentStatus

    counts = Document.objects.filter(status=DocumentStatus.EFFECTIVE).aggregate(
        whole=Count("pk"), overdue=Count("pk", filter=Q(next_review__lt=today))
    )
    return share(
        "7.5.2",
        _("Documents in force not past their review date"),
        counts["whole"] - counts["overdue"],
        counts["whole"],
        url=list_url("document_list"),
    )
