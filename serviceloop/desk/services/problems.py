"""Problems and known errors (clause 8.6.3): every write, the permission helpers, and the
known-error search.

Each service checks the actor's right, validates, writes the change and its history event,
and one audit row, in one transaction. Problems are the provider's own records: customers
never see them (404); read-only staff may read but not write (403).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.models import Team, User
from serviceloop.core.numbering import reference_allocate
from serviceloop.core.roles import ROLE_CAPABILITIES, Capability
from serviceloop.desk.models import (
    Category,
    EventKind,
    Fishbone,
    Kind,
    Problem,
    ProblemEvent,
    ProblemEventKind,
    ProblemIncident,
    ProblemStatus,
    Ticket,
    TicketEvent,
)
from serviceloop.desk.models.problems import (
    PROBLEM_AGENT,
    PROBLEM_MANAGER,
    problem_transition_for,
)

MAX_WHYS = 10
TEXT_LIMIT = 20_000

# --- Who may do what -----------------------------------------------------------------------


def problem_role(user) -> str | None:
    """``manager`` for a problem manager (the lead capability, or the lead of an active team),
    ``agent`` for other staff who work operational records, None for everyone else."""
    if not user.is_authenticated or not user.has_capability(Capability.OPERATE):
        return None
    if (
        user.has_capability(Capability.LEAD)
        or Team.objects.filter(lead=user, is_active=True).exists()
    ):
        return PROBLEM_MANAGER
    return PROBLEM_AGENT


def problem_managers() -> list[User]:
    """The active problem managers: people whose role holds the lead capability, and the
    leads of active teams, if they work operational records."""
    lead_roles = [role for role, caps in ROLE_CAPABILITIES.items() if Capability.LEAD in caps]
    people = (
        User.objects.filter(is_active=True)
        .filter(Q(role__in=lead_roles) | Q(led_teams__is_active=True))
        .distinct()
        .order_by("pk")
    )
    return [p for p in people if p.has_capability(Capability.OPERATE)]


def get_problem_for(user, reference: str, *, write: bool = False) -> Problem:
    """The problem by reference if the user may see it (staff), else 404; with ``write``,
    403 unless the user works operational records."""
    try:
        problem = (
            Problem.objects.visible_to(user)
            .select_related("owner", "category", "risk_accepted_by", "created_by")
            .get(reference=reference)
        )
    except (Problem.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404 from exc
    if write and problem_role(user) is None:
        raise PermissionDenied
    return problem


# --- Validation ----------------------------------------------------------------------------


def _text(value, field: str, errors: dict, *, limit: int = TEXT_LIMIT) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[field] = _("Enter text.")
        return ""
    value = value.strip()
    if len(value) > limit:
        errors[field] = _("Keep it under %(n)d characters.") % {"n": limit}
    return value


def _clean_five_whys(value, errors: dict) -> list[dict]:
    """``[{"why": str, "answer": str}, ...]`` without empty rows; an answer needs its why."""
    if value in (None, "", []):
        return []
    if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
        errors["five_whys"] = _("The five whys are a list of question and answer pairs.")
        return []
    rows = []
    for row in value:
        why = _text(row.get("why"), "five_whys", errors, limit=1000)
        answer = _text(row.get("answer"), "five_whys", errors, limit=2000)
        if not why and not answer:
            continue
        if not why:
            errors["five_whys"] = _("Each answer needs its question (why?).")
        rows.append({"why": why, "answer": answer})
    if len(rows) > MAX_WHYS:
        errors["five_whys"] = _("Ask at most %(n)d whys.") % {"n": MAX_WHYS}
    return rows


def _clean_fishbone(value, errors: dict) -> dict:
    """``{category: text}`` over the declared fishbone categories, without empty texts."""
    if value in (None, "", {}):
        return {}
    if not isinstance(value, dict):
        errors["fishbone"] = _("The fishbone is a text per cause category.")
        return {}
    unknown = set(value) - set(Fishbone.values)
    if unknown:
        errors["fishbone"] = _("Unknown cause category: %(names)s.") % {
            "names": ", ".join(sorted(map(str, unknown)))
        }
        return {}
    cleaned = {}
    for category in Fishbone.values:
        text = _text(value.get(category), "fishbone", errors)
        if text:
            cleaned[category] = text
    return cleaned


def _clean_owner(owner, errors: dict):
    if owner is not None and not (owner.is_active and owner.has_capability(Capability.OPERATE)):
        errors["owner"] = _("The owner must be an active member of staff who works problems.")
    return owner


# --- Writes --------------------------------------------------------------------------------


def _event(problem, kind, *, actor, at, from_value="", to_value="", **payload):
    return ProblemEvent.objects.create(
        problem=problem,
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        at=at,
        from_value=str(from_value or "")[:120],
        to_value=str(to_value or "")[:120],
        payload=payload,
    )


def new_problem(
    *,
    actor,
    title: str,
    description: str = "",
    service: str = "",
    category: Category | None = None,
    owner: User | None = None,
    now,
) -> Problem:
    """Validate and create a problem with its "created" event, inside the caller's
    transaction, without an audit row (the calling service writes it)."""
    errors = {}
    title = _text(title, "title", errors, limit=200)
    if not title:
        errors["title"] = _("Give the problem a title.")
    description = _text(description, "description", errors)
    service = _text(service, "service", errors, limit=120)
    owner = _clean_owner(owner, errors)
    if errors:
        raise ValidationError(errors)
    problem = Problem.objects.create(
        reference=reference_allocate(kind="PRB", year=timezone.localtime(now).year),
        title=title,
        description=description,
        service=service,
        category=category,
        owner=owner,
        created_by=actor if getattr(actor, "pk", None) else None,
        created_at=now,
        updated_at=now,
    )
    _event(problem, ProblemEventKind.CREATED, actor=actor, at=now, to_value=problem.status)
    return problem


def problem_create(
    *,
    actor,
    title: str,
    description: str = "",
    service: str = "",
    category: Category | None = None,
    owner: User | None = None,
    now=None,
) -> Problem:
    """Record a problem (reference ``PRB-YYYY-NNNNNN``, gapless per year); the owner defaults
    to the actor. Staff who work operational records only."""
    now = now or timezone.now()
    if problem_role(actor) is None:
        raise PermissionDenied
    with transaction.atomic():
        problem = new_problem(
            actor=actor,
            title=title,
            description=description,
            service=service,
            category=category,
            owner=owner or actor,
            now=now,
        )
        audit_record(
            actor=actor,
            verb="problem.created",
            obj=problem,
            payload={
                "reference": problem.reference,
                "title": problem.title,
                "service": problem.service,
                "category": problem.category_id,
                "owner": problem.owner_id,
            },
        )
    return problem


def _locked(problem: Problem, expected_version: int | None) -> Problem:
    current = Problem.objects.select_for_update().get(pk=problem.pk)
    if expected_version is not None and current.version != expected_version:
        raise ValidationError(
            _("Someone else changed this problem meanwhile; check it and try again."),
            code="stale",
        )
    return current


def _save(problem: Problem, now) -> None:
    problem.updated_at = now
    problem.version = F("version") + 1
    problem.save()
    problem.refresh_from_db(fields=["version"])


PROBLEM_FIELDS = (
    "title",
    "description",
    "service",
    "category",
    "owner",
    "five_whys",
    "fishbone",
    "root_cause",
    "workaround",
    "workaround_published",
    "resolution",
    "accepted_risk",
    "risk_justification",
)
TEXT_FIELDS = ("description", "root_cause", "workaround", "resolution", "accepted_risk")


def _value(problem, name):
    return (
        getattr(problem, f"{name}_id") if name in ("category", "owner") else getattr(problem, name)
    )


def problem_update(
    *, actor, problem: Problem, expected_version=None, now=None, **fields
) -> Problem:
    """Change a problem's details and root-cause analysis (five whys, fishbone, root cause,
    workaround and whether it is published, resolution, accepted risk). Writes one "details
    changed" event and one audit row with ``{field: [old, new]}``; nothing when nothing
    changed. A closed problem is final."""
    now = now or timezone.now()
    if problem_role(actor) is None:
        raise PermissionDenied
    unknown = set(fields) - set(PROBLEM_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    errors = {}
    cleaned = {}
    for name, value in fields.items():
        if name == "title":
            cleaned[name] = _text(value, name, errors, limit=200)
            if not cleaned[name]:
                errors["title"] = _("Give the problem a title.")
        elif name == "service":
            cleaned[name] = _text(value, name, errors, limit=120)
        elif name in TEXT_FIELDS or name == "risk_justification":
            cleaned[name] = _text(value, name, errors)
        elif name == "five_whys":
            cleaned[name] = _clean_five_whys(value, errors)
        elif name == "fishbone":
            cleaned[name] = _clean_fishbone(value, errors)
        elif name == "owner":
            if value is None:
                errors["owner"] = _("A problem needs an owner.")
            cleaned[name] = _clean_owner(value, errors)
        elif name == "workaround_published":
            cleaned[name] = bool(value)
        else:
            cleaned[name] = value
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        problem = _locked(problem, expected_version)
        if problem.status == ProblemStatus.CLOSED:
            raise ValidationError(_("This problem is closed; its record can no longer change."))
        before = {name: _value(problem, name) for name in cleaned}
        for name, value in cleaned.items():
            setattr(problem, name, value)
        if problem.workaround_published and not problem.workaround:
            raise ValidationError(
                {"workaround_published": _("Write the workaround before publishing it.")}
            )
        changes = {
            name: [before[name], _value(problem, name)]
            for name in cleaned
            if before[name] != _value(problem, name)
        }
        if not changes:
            return problem
        _event(problem, ProblemEventKind.UPDATED, actor=actor, at=now, fields=sorted(changes))
        _save(problem, now)
        audit_record(actor=actor, verb="problem.updated", obj=problem, payload=changes)
    return problem


def problem_transition(
    *,
    actor,
    problem: Problem,
    target: str,
    resolution: str | None = None,
    accepted_risk: str | None = None,
    risk_justification: str | None = None,
    expected_version=None,
    now=None,
) -> Problem:
    """Move the problem to ``target`` if the declared lifecycle allows it for the actor.

    Resolving needs a resolution. Closing needs a resolution, or an accepted risk with its
    justification (the "close, accepting the risk" move asks for both; the problem manager
    who closes is recorded as having accepted it). Recording a known error needs a root
    cause or a workaround.
    """
    now = now or timezone.now()
    role = problem_role(actor)
    if role is None:
        raise PermissionDenied
    errors = {}
    texts = {
        name: _text(value, name, errors)
        for name, value in (
            ("resolution", resolution),
            ("accepted_risk", accepted_risk),
            ("risk_justification", risk_justification),
        )
        if value is not None
    }
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        problem = _locked(problem, expected_version)
        move = problem_transition_for(problem.status, target, role)
        if move is None:
            allowed = problem_transition_for(problem.status, target, PROBLEM_MANAGER)
            if allowed is not None:
                raise PermissionDenied(_("Only a problem manager may do this."))
            raise ValidationError(
                {
                    "status": _("A problem cannot go from “%(from)s” to “%(to)s”.")
                    % {
                        "from": ProblemStatus(problem.status).label,
                        "to": ProblemStatus(target).label
                        if target in ProblemStatus.values
                        else target,
                    }
                }
            )
        before = {name: getattr(problem, name) for name in texts}
        for name, value in texts.items():
            if value:
                setattr(problem, name, value)
        if move.needs == "resolution" and not problem.resolution:
            raise ValidationError({"resolution": _("Describe the resolution.")})
        if move.needs == "accepted_risk":
            missing = {}
            if not problem.accepted_risk:
                missing["accepted_risk"] = _("Describe the risk that is accepted.")
            if not problem.risk_justification:
                missing["risk_justification"] = _("Justify accepting the risk.")
            if missing:
                raise ValidationError(missing)
        if target == ProblemStatus.CLOSED and not (
            problem.resolution or (problem.accepted_risk and problem.risk_justification)
        ):
            raise ValidationError(
                {
                    "status": _(
                        "A problem can be closed only with a resolution, or with an accepted "
                        "risk and its justification."
                    )
                }
            )
        if target == ProblemStatus.KNOWN_ERROR and not (problem.root_cause or problem.workaround):
            raise ValidationError(
                {
                    "status": _(
                        "Record the root cause or a workaround first: a known error is a "
                        "problem with a documented root cause or workaround."
                    )
                }
            )
        old = problem.status
        problem.status = target
        if target == ProblemStatus.KNOWN_ERROR and problem.known_error_at is None:
            problem.known_error_at = now
        if target == ProblemStatus.RESOLVED:
            problem.resolved_at = now
        elif target == ProblemStatus.CLOSED:
            problem.closed_at = now
            if move.needs == "accepted_risk":
                problem.risk_accepted_by = actor
        elif old == ProblemStatus.RESOLVED:
            problem.resolved_at = None
        changed = {
            name: [before[name], getattr(problem, name)]
            for name in texts
            if before[name] != getattr(problem, name)
        }
        _event(
            problem,
            ProblemEventKind.STATUS,
            actor=actor,
            at=now,
            from_value=old,
            to_value=target,
            **changed,
        )
        _save(problem, now)
        audit_record(
            actor=actor,
            verb=f"problem.{target}",
            obj=problem,
            payload={"status": [old, target], **changed},
        )
    return problem


def link_incidents(*, problem: Problem, incidents, actor, now) -> list[Ticket]:
    """Link ``incidents`` to the problem inside the caller's transaction: a link row, a
    "details changed" event on each newly linked incident, one "linked" event on the problem;
    no audit row (the calling service writes it). Returns the newly linked incidents."""
    incidents = list({t.pk: t for t in incidents}.values())
    not_incidents = [t.reference for t in incidents if t.kind != Kind.INCIDENT]
    if not_incidents:
        raise ValidationError(
            {
                "incidents": _("Only incidents can be linked to a problem: %(refs)s.")
                % {"refs": ", ".join(not_incidents)}
            }
        )
    if problem.status == ProblemStatus.CLOSED:
        raise ValidationError(
            {"incidents": _("This problem is closed; it takes no more incidents.")}
        )
    already = set(
        ProblemIncident.objects.filter(problem=problem, incident__in=incidents).values_list(
            "incident_id", flat=True
        )
    )
    new = [t for t in incidents if t.pk not in already]
    if not new:
        return []
    ProblemIncident.objects.bulk_create(
        ProblemIncident(
            problem=problem,
            incident=t,
            linked_at=now,
            linked_by=actor if getattr(actor, "pk", None) else None,
        )
        for t in new
    )
    TicketEvent.objects.bulk_create(
        TicketEvent(
            ticket=t,
            kind=EventKind.FIELDS,
            actor=actor if getattr(actor, "pk", None) else None,
            at=now,
            to_value=problem.reference,
            payload={"changes": {"problem": ["", problem.reference]}, "problem": problem.reference},
        )
        for t in new
    )
    _event(
        problem,
        ProblemEventKind.LINKED,
        actor=actor,
        at=now,
        incidents=[t.reference for t in new],
    )
    return new


def problem_link_incidents(*, actor, problem: Problem, incidents, now=None) -> list[Ticket]:
    """Link incidents to the problem: each newly linked incident gets an event in its
    history; the problem gets one event and one audit row. Incidents already linked are
    left as they are (nothing is written when all are). Service requests are refused, and a
    closed problem takes no more incidents."""
    now = now or timezone.now()
    if problem_role(actor) is None:
        raise PermissionDenied
    with transaction.atomic():
        problem = _locked(problem, None)
        linked = link_incidents(problem=problem, incidents=incidents, actor=actor, now=now)
        if linked:
            _save(problem, now)
            audit_record(
                actor=actor,
                verb="problem.incidents_linked",
                obj=problem,
                payload={"incidents": [t.reference for t in linked]},
            )
    return linked


def problem_unlink_incident(*, actor, problem: Problem, incident: Ticket, now=None) -> bool:
    """Remove a wrongly made link (an event on both sides, one audit row). False when the
    incident was not linked."""
    now = now or timezone.now()
    if problem_role(actor) is None:
        raise PermissionDenied
    with transaction.atomic():
        problem = _locked(problem, None)
        if problem.status == ProblemStatus.CLOSED:
            raise ValidationError(_("This problem is closed; its record can no longer change."))
        deleted, _rows = ProblemIncident.objects.filter(problem=problem, incident=incident).delete()
        if not deleted:
            return False
        TicketEvent.objects.create(
            ticket=incident,
            kind=EventKind.FIELDS,
            actor=actor,
            at=now,
            from_value=problem.reference,
            payload={"changes": {"problem": [problem.reference, ""]}, "problem": problem.reference},
        )
        _event(problem, ProblemEventKind.UNLINKED, actor=actor, at=now, to_value=incident.reference)
        _save(problem, now)
        audit_record(
            actor=actor,
            verb="problem.incident_unlinked",
            obj=problem,
            payload={"incident": incident.reference},
        )
    return True


# --- Reads ---------------------------------------------------------------------------------
