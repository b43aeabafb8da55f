"""Named reads of the clause model."""

from django.db.models import Q

from serviceloop.conformity.models import Clause


def clauses_for_list(user, *, q: str = "", top: str = ""):
    """The clauses the user may read, in the list's order; ``q`` matches a number prefix or
    either title, ``top`` keeps one top-level clause ("4" … "10") with its sub-clauses."""
    clauses = Clause.objects.visible_to(user).in_order()
    if top:
        clauses = clauses.filter(Q(number=top) | Q(number__startswith=f"{top}."))
    if q:
        clauses = clauses.filter(
            Q(number__startswith=q) | Q(title_en__icontains=q) | Q(title_zh__icontains=q)
        )
    return clauses


def top_level_clauses(user):
    return Clause.objects.visible_to(user).filter(parent__isnull=True).in_order()


def clause_ancestors(clause: Clause) -> list[Clause]:
    """The clause's parents from the top level down (one query for the whole chain)."""
    parts = clause.number.split(".")
    numbers = [".".join(parts[:i]) for i in range(1, len(parts))]
    return list(Clause.objects.filter(number__in=numbers).order_by("level"))


def clause_subtree(clause: Clause):
    """The clause and all its sub-clauses, in order."""
    return Clause.objects.filter(
        Q(pk=clause.pk) | Q(number__startswith=f"{clause.number}.")
    ).in_order()
