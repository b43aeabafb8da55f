"""Named reads beside the service management policy (5.2): the controlled policy documents
in force that cite it. Read-and-acknowledge campaigns run on controlled documents (support),
so the policy pages point to them."""

from django.db.models import Q, QuerySet

from serviceloop.support.models import Document, DocumentKind, DocumentStatus

POLICY_CLAUSES = ("5.2", "5.2.1", "5.2.2")


def _cites(clause: str) -> Q:
    # clauses are stored as "5.2, 7.5": match whole numbers only
    return (
        Q(clauses=clause)
        | Q(clauses__startswith=f"{clause}, ")
        | Q(clauses__endswith=f", {clause}")
        | Q(clauses__contains=f", {clause}, ")
    )


def policy_documents_in_force(user) -> QuerySet:
    """The policy documents ``user`` may see that are in force and cite clause 5.2 (or one of
    its sub-clauses), with their version in force, by reference."""
    cites_policy = Q()
    for clause in POLICY_CLAUSES:
        cites_policy |= _cites(clause)
    return (
        Document.objects.visible_to(user)
        .filter(cites_policy, kind=DocumentKind.POLICY, status=DocumentStatus.EFFECTIVE)
        .select_related("effective_version")
        .order_by("reference")
    )
