"""The risk register inside the single-point-of-failure pages (``core.slots``): assurance never
imports planning; these registrations put the risks that name a finding as their source
into the slots its templates declare.

- ``assurance.spof_detail.risk`` and ``assurance.spof_list.risk``: the risks raised for the
  finding's item, linked to their pages (staff; nothing when none, so the page shows the
  entry named by hand before the link existed).
- ``assurance.spof_detail.side``: for the managers of the management system, "Add to risk
  register" (the risk pre-filled from the finding), a form linking an open risk, and the
  unlinking of each linked risk; auditors and other staff read the risks only.

One query per page: the risks of every finding on it are read at the first panel and kept
on the request.
"""

from django.db.models import F

from serviceloop.assurance.models import SpofFinding
from serviceloop.core.slots import slot_register
from serviceloop.planning.forms_risks import SpofRiskLinkForm
from serviceloop.planning.models import Risk
from serviceloop.planning.permissions import can_manage
from serviceloop.planning.services_risk_sources import spof_risk_defaults


def _user(context):
    user = getattr(context.get("request"), "user", None)
    return user if user is not None and user.is_authenticated else None


def _risks_of(context, finding) -> list[Risk]:
    """The risks raised for ``finding``'s item that the reader may see, open ones first: a
    risk names one finding as its source but covers every service the item carries, so the
    findings of the other services show it too. Read for every item on the page at once and
    kept on the request."""
    request = context.get("request")
    known = request.__dict__.setdefault("_planning_spof_risks", {})
    item = finding.configuration_item_id
    if item not in known:
        page = context.get("page") or ()
        wanted = {row.configuration_item_id for row in page if isinstance(row, SpofFinding)}
        wanted = {pk for pk in wanted if pk not in known} | {item}
        for pk in wanted:
            known[pk] = []
        risks = (
            Risk.objects.visible_to(request.user)
            .filter(spof_finding__configuration_item_id__in=wanted)
            .annotate(source_item=F("spof_finding__configuration_item_id"))
            .order_by(F("closed_on").asc(nulls_first=True), "reference")  # open ones first
        )
        for risk in risks:
            known[risk.source_item].append(risk)
    return known[item]


def risk_entry_context(context) -> dict | None:
    user, finding = _user(context), context.get("finding")
    if user is None or finding is None:
        return None
    risks = _risks_of(context, finding)
    return {"spof_risks": risks} if risks else None


def risk_panel_context(context) -> dict | None:
    user, finding = _user(context), context.get("finding")
    if user is None or finding is None or not can_manage(user):
        return None
    risks = _risks_of(context, finding)
    treated = any(risk.is_open for risk in risks)
    panel = {
        # unlinked here only from the finding they name (the others show on its own page)
        "spof_unlinkable_risks": [risk for risk in risks if risk.spof_finding_id == finding.pk],
        "spof_risk_defaults": None if treated else spof_risk_defaults(finding, actor=user),
        "spof_risk_link_form": None if treated else SpofRiskLinkForm(),
    }
    return panel if any(panel.values()) else None


def register() -> None:
    slot_register(
        "assurance.spof_detail.risk", "planning/spof_risk_entry.html", context=risk_entry_context
    )
    slot_register(
        "assurance.spof_list.risk", "planning/spof_risk_cell.html", context=risk_entry_context
    )
    slot_register(
        "assurance.spof_detail.side", "planning/spof_risk_panel.html", context=risk_panel_context
    )
