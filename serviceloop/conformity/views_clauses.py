"""The clause screens: the clause tree with our guidance, and one clause with its live
evidence. Read by provider staff (management-system people, auditors); 404 to customers."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from serviceloop.conformity import queries
from serviceloop.conformity.evidence import evidence_clauses, evidence_for
from serviceloop.conformity.forms import ClauseFilterForm
from serviceloop.conformity.permissions import get_clause_for, require_staff
from serviceloop.core.exports import Column, export_format, export_response

# Bootstrap's padding classes for the tree's levels (no inline styles: strict CSP).
INDENT = {1: "ps-0", 2: "ps-3", 3: "ps-5", 4: "ps-5 ms-3"}

EXPORT_COLUMNS = [
    Column(_("Clause"), "number"),
    Column(_("Level"), "level"),
    Column(_("Title (English)"), "title_en"),
    Column(_("Title (Chinese)"), "title_zh"),
    Column(_("Area"), "area"),
    Column(_("Guidance (English)"), "guidance_en"),
    Column(_("Guidance (Chinese)"), "guidance_zh"),
]


@login_required
def clause_list(request):
    require_staff(request.user)
    form = ClauseFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    clauses = queries.clauses_for_list(
        request.user, q=filters.get("q", ""), top=filters.get("top", "")
    )
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "clauses", EXPORT_COLUMNS, clauses)
    with_evidence = evidence_clauses()
    rows = [
        {
            "clause": c,
            "indent": INDENT.get(c.level, INDENT[4]),
            "has_evidence": c.number in with_evidence,
        }
        for c in clauses
    ]
    return render(request, "conformity/clause_list.html", {"form": form, "rows": rows})


@login_required
def clause_detail(request, number):
    require_staff(request.user)
    clause = get_clause_for(request.user, number)
    subtree = list(queries.clause_subtree(clause))
    evidence = evidence_for([c.number for c in subtree])
    context = {
        "clause": clause,
        "ancestors": queries.clause_ancestors(clause),
        "children": [c for c in subtree if c.parent_id == clause.pk],
        "evidence": [(c, evidence[c.number]) for c in subtree if c.number in evidence],
    }
    return render(request, "conformity/clause_detail.html", context)
