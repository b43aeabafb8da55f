"""The data snapshot of a service report (9.4): every figure and row the document shows.

``report_snapshot_build(...)`` reads the records of one period and scope and returns plain
JSON (numbers, strings, lists): the PDF, the XLSX and the web page are drawn from it and
from nothing else. KPI figures come from the KPI engine (``figures_reports``); the lists
(major incidents, changes, complaints, open problems, improvement actions) from the owning
apps' models, each row as it stood at the end of the period (an instant after the period is
never shown), so building a past period again gives the same snapshot.

``snapshot_checksum`` is the SHA-256 of the snapshot's canonical JSON text.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from serviceloop.evaluation import figures_reports as f
from serviceloop.evaluation.models import ReportSection
from serviceloop.evaluation.sections_lists_reports import (
    changes_section,
    csat_complaints,
    improvements_section,
    major_incidents_section,
    problems_section,
)

SNAPSHOT_FORMAT = 1


def snapshot_checksum(snapshot: dict) -> str:
    """SHA-256 of the canonical JSON text (sorted keys, no spaces, UTF-8)."""
    text = json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Build:
    """What the sections share while one snapshot is built (computed once, on demand)."""

    scope: f.ReportScope
    period: f.ReportPeriodBounds
    commentary: str
    kpis: dict = field(default_factory=dict)
    _current: dict | None = None
    _trend: list | None = None
    _by_priority: dict = field(default_factory=dict)

    @property
    def zone(self):
        return self.period.start.tzinfo

    def local(self, instant) -> str | None:
        """An instant as local text, or None when it is not before the period's end (the
        document shows each record as it stood at the end of the period)."""
        if instant is None or instant >= self.period.end:
            return None
        return instant.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")

    def current(self) -> dict:
        """The KPIs and counts of the period, merged over the scope's slices."""
        if self._current is None:
            definitions = [
                *(self.kpis.get(code) for code in f.KPI_CODES if code != f.AVAILABILITY),
                *f.COUNTS.values(),
            ]
            self._current = f.evaluate(
                definitions, self.period.start, self.period.end, self.scope.ticket_slices()
            )
        return self._current

    def kpi(self, code: str) -> dict:
        return f.figure(self.kpis.get(code), self.current().get(code), code)

    def per_priority(self, definition, priority: str):
        """The period's result of ``definition`` for one priority over the scope's slices;
        every priority of a definition is grouped in one query (per record set and slice)."""
        known = self._by_priority.get(definition.code, {})
        if priority not in known:
            from serviceloop.desk.models import Priority

            keys = sorted({*Priority.values, *known, priority})
            known = f.evaluate_by(
                [definition], self.period.start, self.period.end, "priority", keys,
                self.scope.ticket_slices(),
            )  # fmt: skip
            known = {key: results[definition.code] for key, results in known.items()}
            self._by_priority[definition.code] = known
        return known[priority]

    def trend(self) -> list[dict]:
        """Per period of the trend (oldest first): label, created, resolved, response and
        resolution within SLA."""
        if self._trend is None:
            definitions = [
                self.kpis.get(f.RESPONSE),
                self.kpis.get(f.RESOLUTION),
                f.COUNTS["created"],
                f.COUNTS["resolved"],
            ]
            periods = f.trend_periods(self.period)
            figures = f.evaluate_periods(definitions, periods, self.scope.ticket_slices())
            rows = []
            for period, results in zip(periods, figures, strict=True):
                rows.append(
                    {
                        "label": period.label,
                        "created": f.count_of(results, "created"),
                        "resolved": f.count_of(results, "resolved"),
                        "response": _value(results.get(f.RESPONSE)),
                        "resolution": _value(results.get(f.RESOLUTION)),
                    }
                )
            self._trend = rows
        return self._trend


def _value(result):
    return None if result is None or result.value is None else round(float(result.value), 6)


# --- SLA attainment ---------------------------------------------------------------------------


def _minutes_text(minutes) -> str:
    minutes = int(minutes)
    if minutes % 60 == 0:
        return _("%(n)s h (business time)") % {"n": minutes // 60}
    return _("%(n)s min (business time)") % {"n": minutes}


def _desk_row(build: Build, metric: str, priority: str, service, target_text: str, **extra):
    code = f.RESPONSE if metric == "first_response" else f.RESOLUTION
    definition = build.kpis.get(code)
    rule = {"priority": priority} if priority else {}
    if service is not None and build.scope.service is None:
        slices = [
            {**build.scope.base(), **rule, "service": alias}
            for alias in f.service_aliases(service, build.period.end)
        ]
        result = f.evaluate([definition], build.period.start, build.period.end, slices).get(code)
    elif priority and definition is not None:
        result = build.per_priority(definition, priority)
    else:
        slices = build.scope.ticket_slices(rule)
        result = f.evaluate([definition], build.period.start, build.period.end, slices).get(code)
    fig = f.figure(definition, result, code)
    return {
        **extra,
        "metric": metric,
        "priority": priority,
        "service": service.name if service is not None else "",
        "target": target_text,
        "kpi": code,
        "value": fig["value"],
        "met": fig["numerator"],
        "total": fig["denominator"],
        "objective": fig["target"],
        "status": fig["status"],
    }


def _availability_row(build: Build, target, service, **extra):
    definition = build.kpis.get(f.AVAILABILITY)
    rule = build.scope.availability_slice()
    if service is not None:
        rule["service"] = service.code
    result = f.evaluate([definition], build.period.start, build.period.end, [rule]).get(
        f.AVAILABILITY
    )
    fig = f.figure(definition, result, f.AVAILABILITY)
    goal = float(target.target_value)
    if fig["value"] is None:
        status = fig["status"] if fig["status"] == "unavailable" else "no_data"
    else:
        status = "ok" if fig["value"] >= goal else "breach"
    return {
        **extra,
        "metric": "availability",
        "priority": "",
        "service": service.name if service is not None else "",
        "target": f"{target.value_display}%",
        "kpi": f.AVAILABILITY,
        "value": fig["value"],
        "met": fig["numerator"],
        "total": fig["denominator"],
        "objective": goal,
        "status": status,
    }


def _agreement_rows(build: Build) -> tuple[list, list]:
    from serviceloop.relationship.models import AgreementKind, AgreementVersion, TargetMetric

    scope = build.scope
    versions = AgreementVersion.objects.in_force(build.period.last_day).filter(
        agreement__kind=AgreementKind.SLA
    )
    if scope.organisation is not None:
        versions = versions.filter(agreement__customers=scope.organisation)
    if scope.service is not None:
        versions = versions.filter(services=scope.service)
    versions = (
        versions.select_related("agreement")
        .prefetch_related("targets__service")
        .distinct()
        .order_by("agreement__reference", "number")
    )
    rows, names = [], []
    labels = dict(TargetMetric.choices)
    for version in versions:
        names.append(f"{version.agreement.reference} v{version.number} {version.agreement.title}")
        for target in version.targets.all():
            if scope.service is not None and target.service_id not in (None, scope.service.pk):
                continue
            extra = {
                "agreement": f"{version.agreement.reference} v{version.number}",
                "metric_label": str(labels.get(target.metric, target.metric)),
                "label": target.label,
            }
            service = target.service if scope.service is None else None
            if target.metric in (TargetMetric.FIRST_RESPONSE, TargetMetric.RESOLUTION):
                minutes = target.value_in_minutes
                text = (
                    _minutes_text(minutes)
                    if minutes is not None
                    else f"{target.value_display} {target.get_unit_display()}"
                )
                rows.append(
                    _desk_row(build, target.metric, target.priority, service, text, **extra)
                )
            elif target.metric == TargetMetric.AVAILABILITY:
                rows.append(_availability_row(build, target, service, **extra))
            else:
                rows.append(
                    {
                        **extra, "metric": target.metric, "priority": target.priority,
                        "service": service.name if service is not None else "",
                        "target": f"{target.value_display} {target.get_unit_display()}",
                        "kpi": "", "value": None, "met": None, "total": None,
                        "objective": None, "status": "unavailable",
                    }
                )  # fmt: skip
    return rows, names


def _policy_rows(build: Build) -> tuple[list, list]:
    """Without an agreement in force: the desk SLA policy that applies to the customer."""
    from serviceloop.desk.models import SlaPolicy

    scope = build.scope
    policies = SlaPolicy.objects.filter(is_active=True).order_by("rank", "name", "pk")
    if scope.organisation is not None:
        policies = policies.filter(Q(organisation=scope.organisation) | Q(organisation=None))
    else:
        policies = policies.filter(organisation=None)
    aliases = {a.lower() for a in scope.aliases}
    for policy in policies:
        if policy.service and scope.service is not None and policy.service.lower() not in aliases:
            continue
        version = (
            policy.versions.filter(published_at__lt=build.period.end).order_by("-number").first()
        )
        if version is None:
            continue
        labels = {"first_response": _("First response time"), "resolution": _("Resolution time")}
        rows = []
        for priority in sorted(version.targets):
            for metric, key in (("first_response", "response"), ("resolution", "resolution")):
                minutes = version.targets[priority].get(key)
                if minutes:
                    extra = {
                        "agreement": f"{policy.name} v{version.number}",
                        "metric_label": str(labels[metric]),
                        "label": "",
                    }
                    text = _minutes_text(minutes)
                    rows.append(_desk_row(build, metric, priority, None, text, **extra))
        return rows, [f"{policy.name} v{version.number}"]
    return [], []


def sla_section(build: Build) -> dict:
    rows, names = _agreement_rows(build)
    source = "agreement"
    if not rows:
        rows, names = _policy_rows(build)
        source = "policy" if rows else "none"
    trend = build.trend()
    return {
        "source": source,
        "agreements": names,
        "overall": [
            build.kpi(code)
            for code in (f.RESPONSE, f.RESOLUTION, f.RESPONSE_MEDIAN, f.TIME_TO_RESOLVE)
        ],
        "targets": rows,
        "trend": {
            "labels": [row["label"] for row in trend],
            "response": [row["response"] for row in trend],
            "resolution": [row["resolution"] for row in trend],
        },
    }


def volumes_section(build: Build) -> dict:
    current = build.current()
    trend = build.trend()
    previous = trend[-2]["created"] if len(trend) > 1 else None
    created = f.count_of(current, "created")
    return {
        "created": created,
        "resolved": f.count_of(current, "resolved"),
        "incidents": f.count_of(current, "incidents"),
        "requests": f.count_of(current, "requests"),
        "major": f.count_of(current, "major"),
        "previous_created": previous,
        "change_pct": round((created - previous) * 100 / previous, 1) if previous else None,
        "by_priority": [
            {"priority": p, "count": f.count_of(current, p)} for p in ("P1", "P2", "P3", "P4")
        ],
        "trend": {
            "labels": [row["label"] for row in trend],
            "created": [row["created"] for row in trend],
            "resolved": [row["resolved"] for row in trend],
        },
    }


def availability_section(build: Build) -> dict:
    from serviceloop.portfolio.models import Service

    definition = build.kpis.get(f.AVAILABILITY)
    start, end = build.period.start, build.period.end

    def one(rule):
        result = f.evaluate([definition], start, end, [rule]).get(f.AVAILABILITY)
        return f.figure(definition, result, f.AVAILABILITY)

    scope = build.scope
    overall = one(scope.availability_slice())
    if scope.service is not None:
        services = [scope.service]
    else:
        services = list(
            Service.objects.live().filter(customers=scope.organisation).order_by("name", "pk")
        )
    rows = []
    for service in services:
        fig = (
            overall if scope.service is not None else one({**scope.base(), "service": service.code})
        )
        rows.append(
            {
                "code": service.code,
                "name": service.name,
                "value": fig["value"],
                "uptime_hours": None if fig["numerator"] is None else round(fig["numerator"] / 3600, 2),
                "agreed_hours": None if fig["denominator"] is None else round(fig["denominator"] / 3600, 2),
                "status": fig["status"],
            }
        )  # fmt: skip
    return {"overall": overall, "services": rows}


def csat_section(build: Build) -> dict:
    current = build.current()
    return {
        "kpis": [build.kpi(code) for code in (f.CSAT_AVERAGE, f.CSAT_SATISFIED, f.COMPLAINTS)],
        "ratings": [{"score": k, "count": f.count_of(current, f"rating-{k}")} for k in range(1, 6)],
        **csat_complaints(build),
    }


BUILDERS = {
    ReportSection.SLA: sla_section,
    ReportSection.VOLUMES: volumes_section,
    ReportSection.MAJOR_INCIDENTS: major_incidents_section,
    ReportSection.CHANGES: changes_section,
    ReportSection.AVAILABILITY: availability_section,
    ReportSection.CSAT: csat_section,
    ReportSection.PROBLEMS: problems_section,
    ReportSection.IMPROVEMENTS: improvements_section,
    ReportSection.COMMENTARY: lambda build: {"text": build.commentary},
}


def report_snapshot_build(
    *,
    title: str,
    organisation,
    service,
    period: f.ReportPeriodBounds,
    sections,
    language: str,
    commentary: str = "",
) -> dict:
    """The snapshot of one report (see the module docstring), labels in ``language``.
    Deterministic: the same records and arguments give the same snapshot."""
    with translation.override(language):
        build = Build(
            scope=f.report_scope(organisation, service, period),
            period=period,
            commentary=commentary,
            kpis=f.kpi_definitions(),
        )
        out = []
        for code in sections:
            builder = BUILDERS.get(code)
            if builder is None:
                continue
            data = builder(build)
            out.append({"code": str(code), "available": data.pop("available", True), **data})
        return {
            "format": SNAPSHOT_FORMAT,
            "title": title,
            "language": language,
            "scope": {
                "organisation": {"id": organisation.pk, "name": organisation.name}
                if organisation is not None
                else None,
                "service": {"code": service.code, "name": service.name}
                if service is not None
                else None,
                "service_spellings": build.scope.aliases,
            },
            "period": {
                "kind": period.kind,
                "label": period.label,
                "start": period.start.isoformat(),
                "end": period.end.isoformat(),
                "first_day": period.first.isoformat(),
                "last_day": period.last_day.isoformat(),
                "time_zone": str(period.start.tzinfo),
            },
            "sections": out,
        }
