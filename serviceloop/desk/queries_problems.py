"""Named reads of problems and known errors: the list, the known-error search, an
incident's problems."""

from django.db.models import Count, Q

from serviceloop.desk.models import Problem, ProblemStatus, Ticket


def problems_for_list(user, *, status: str = "", owner=None, q: str = ""):
    """The problems list: visible to ``user``, filtered, with the owner, the category and the
    number of linked incidents in the same query."""
    problems = (
        Problem.objects.visible_to(user)
        .select_related("owner", "category")
        .annotate(incident_count=Count("incident_links"))
    )
    if status:
        problems = problems.filter(status=status)
    if owner is not None:
        problems = problems.filter(owner=owner)
    q = (q or "").strip()
    if q:
        problems = problems.filter(Q(title__icontains=q) | Q(reference__iexact=q))
    return problems.order_by("-created_at", "-id")


def known_errors_matching(user, q: str = ""):
    """The known-error database for ``user`` (staff; nobody else), searched by ``q`` in the
    title, workaround and root cause: the whole query as a substring, OR-ed, when it holds
    Chinese text, with each of its jieba tokens (so "VPN连接失败" finds "无法连接 VPN")."""
    errors = (
        Problem.objects.visible_to(user)
        .known_errors()
        .select_related("owner", "category")
        .annotate(incident_count=Count("incident_links"))
    )
    q = (q or "").strip()[:200]
    if not q:
        return errors.order_by("-updated_at", "-id")

    def anywhere(text):
        return (
            Q(title__icontains=text) | Q(workaround__icontains=text) | Q(root_cause__icontains=text)
        )

    condition = anywhere(q) | Q(reference__iexact=q)
    from serviceloop.desk.services.recurrence import has_cjk, search_tokens

    if has_cjk(q):
        for token in search_tokens(q)[:20]:
            condition |= anywhere(token)
    return errors.filter(condition).order_by("-updated_at", "-id")


def incident_problems(ticket: Ticket) -> list[Problem]:
    """The problems an incident is linked to, newest first."""
    return list(ticket.problems.select_related("owner").order_by("-created_at", "-id"))


def problems_to_link(ticket: Ticket) -> list[Problem]:
    """Open and known-error problems the incident is not linked to yet, known errors first."""
    problems = Problem.objects.exclude(status=ProblemStatus.CLOSED).exclude(
        incident_links__incident=ticket
    )
    return sorted(
        problems.order_by("-updated_at", "-id")[:200],
        key=lambda p: not p.is_known_error,
    )
