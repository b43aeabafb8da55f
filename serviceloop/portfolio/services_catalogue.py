"""Every write of the service catalogue: services and their plan (8.2.2), entitlements,
dependencies on other services, components (configuration items), the plan-new-service
checklist, and status changes along ``lifecycle.SERVICE_MOVES``.

Each service checks the actor's right (``permissions.can_edit_service``), validates
(ValidationError with translated messages, nothing written), writes the change and one audit
row on the service in one transaction.
"""

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from serviceloop.core.audit import audit_record
from serviceloop.core.models import Calendar, Organisation, OrganisationKind, User
from serviceloop.core.roles import Capability
from serviceloop.portfolio.lifecycle import SERVICE_MOVES, move_for, moves_from
from serviceloop.portfolio.models import (
    ComponentRole,
    ConfigurationItem,
    Service,
    ServiceChecklistItem,
    ServiceComponent,
    ServiceDependency,
    ServiceStatus,
)
from serviceloop.portfolio.permissions import can_edit_service, can_manage_services

SERVICE_FIELDS = (
    "code",
    "name",
    "owner",
    "summary",
    "staff_notes",
    "hours",
    "requirements",
    "resources",
    "budget_amount",
    "budget_currency",
    "risks",
)
TEXT_LIMIT = 20_000
CURRENCY = re.compile(r"^[A-Z]{3}$")
CODE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

# The plan-new-service checklist every new pipeline service starts with (8.2.2, 8.5.1).
DEFAULT_CHECKLIST = (
    gettext_lazy("Service requirements agreed with the customers"),
    gettext_lazy("Resources and budget approved"),
    gettext_lazy("Risks assessed and treated"),
    gettext_lazy("Service level agreement drafted"),
    gettext_lazy("Service hours and support calendar set"),
    gettext_lazy("Components recorded in the CMDB"),
    gettext_lazy("Support staff trained and knowledge articles written"),
    gettext_lazy("Description for customers written"),
)


def _require_editor(actor, service: Service) -> None:
    if actor is not None and not can_edit_service(actor, service):
        raise PermissionDenied


def _text(value, field: str, errors: dict, *, limit: int = TEXT_LIMIT) -> str:
    # Service texts are plain text (shown escaped, line breaks kept): never rendered as HTML.
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[field] = _("Enter text.")
        return ""
    value = value.strip()
    if len(value) > limit:
        errors[field] = _("Keep it under %(n)d characters.") % {"n": limit}
    return value


def _audit_value(value):
    if isinstance(value, User):
        return value.get_username()
    if isinstance(value, Calendar):
        return value.name
    if isinstance(value, Decimal):
        return str(value)
    return value


def _clean(fields: dict, errors: dict, *, instance: Service | None) -> dict:
    cleaned: dict = {}
    if "code" in fields:
        code = _text(fields["code"], "code", errors, limit=40).lower()
        if not CODE.match(code):
            errors["code"] = _("Use lower-case letters, digits, hyphens and underscores.")
        elif Service.objects.filter(code=code).exclude(pk=getattr(instance, "pk", None)).exists():
            errors["code"] = _("Another service has this code.")
        cleaned["code"] = code
    if "name" in fields:
        name = _text(fields["name"], "name", errors, limit=200)
        if not name and "name" not in errors:
            errors["name"] = _("Give the service a name.")
        cleaned["name"] = name
    for name in ("summary", "staff_notes", "requirements", "resources", "risks"):
        if name in fields:
            cleaned[name] = _text(fields[name], name, errors)
    if "owner" in fields:
        owner = fields["owner"]
        if owner is not None and not (
            isinstance(owner, User) and owner.is_active and owner.has_capability(Capability.STAFF)
        ):
            errors["owner"] = _("The owner must be an active member of the provider's staff.")
        cleaned["owner"] = owner
    if "hours" in fields:
        hours = fields["hours"]
        if hours is not None and not (isinstance(hours, Calendar) and hours.is_active):
            errors["hours"] = _("Choose an active calendar.")
        cleaned["hours"] = hours
    if "budget_amount" in fields:
        amount = fields["budget_amount"]
        if amount not in (None, ""):
            try:
                amount = Decimal(str(amount)).quantize(Decimal("0.01"))
                if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
                    raise InvalidOperation
            except (InvalidOperation, ArithmeticError):
                errors["budget_amount"] = _("Enter an amount of zero or more.")
                amount = None
        else:
            amount = None
        cleaned["budget_amount"] = amount
    if "budget_currency" in fields:
        currency = _text(fields["budget_currency"] or "", "budget_currency", errors, limit=3)
        currency = currency.upper()
        if currency and not CURRENCY.match(currency):
            errors["budget_currency"] = _("Use a three-letter currency code such as CNY.")
        cleaned["budget_currency"] = currency
    amount = cleaned.get("budget_amount", getattr(instance, "budget_amount", None))
    currency = cleaned.get("budget_currency", getattr(instance, "budget_currency", ""))
    if amount is not None and not currency and "budget_currency" not in errors:
        errors["budget_currency"] = _("Say which currency the budget is in.")
    return cleaned


def _clean_customers(customers, errors: dict) -> list[Organisation]:
    customers = list(customers or [])
    if any(
        not isinstance(c, Organisation) or c.kind != OrganisationKind.CUSTOMER for c in customers
    ):
        errors["customers"] = _("Only customer organisations can be entitled to a service.")
    return customers


def service_create(
    *,
    actor,
    code: str,
    name: str,
    customers=(),
    checklist=None,
    **fields,
) -> Service:
    """Record a new service in the pipeline, with the default plan-new-service checklist
    (or the given list of step labels)."""
    if actor is not None and not can_manage_services(actor):
        raise PermissionDenied
    unknown = set(fields) - set(SERVICE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    errors: dict = {}
    cleaned = _clean({"code": code, "name": name, **fields}, errors, instance=None)
    customers = _clean_customers(customers, errors)
    steps = [str(s).strip() for s in (DEFAULT_CHECKLIST if checklist is None else checklist)]
    steps = [s for s in steps if s]
    if any(len(s) > 200 for s in steps):
        errors["checklist"] = _("Keep each checklist step under 200 characters.")
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            service = Service.objects.create(status=ServiceStatus.PIPELINE, **cleaned)
            service.customers.set(customers)
            ServiceChecklistItem.objects.bulk_create(
                ServiceChecklistItem(service=service, position=n, label=label)
                for n, label in enumerate(steps, start=1)
            )
            audit_record(
                actor=actor,
                verb="service.created",
                obj=service,
                payload={
                    **{k: _audit_value(v) for k, v in cleaned.items()},
                    "customers": sorted(c.pk for c in customers),
                    "checklist": steps,
                },
            )
    except IntegrityError as exc:  # the same code, created a moment ago
        raise ValidationError({"code": _("Another service has this code.")}) from exc
    return service


def _locked(service: Service, expected_version) -> Service:
    current = Service.objects.select_for_update(of=("self",)).get(pk=service.pk)
    if expected_version is not None and current.version != int(expected_version):
        raise ValidationError(
            _("Someone else changed this service meanwhile; check it and try again."),
            code="stale",
        )
    return current


def _bump(service: Service) -> None:
    service.version = F("version") + 1
    service.save()
    service.refresh_from_db(fields=["version"])


def service_update(
    *, actor, service: Service, expected_version=None, customers=None, **fields
) -> Service:
    """Change a service's details, plan and (given ``customers``) entitlements; one audit row
    ``{field: [old, new]}``, nothing when nothing changed. A retired service is final."""
    _require_editor(actor, service)
    unknown = set(fields) - set(SERVICE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    errors: dict = {}
    with transaction.atomic():
        current = _locked(service, expected_version)
        cleaned = _clean(fields, errors, instance=current)
        if customers is not None:
            customers = _clean_customers(customers, errors)
        if errors:
            raise ValidationError(errors)
        if current.status == ServiceStatus.RETIRED:
            raise ValidationError(_("This service is retired; plan it again to change it."))
        if "owner" in cleaned and cleaned["owner"] is None and current.status == ServiceStatus.LIVE:
            raise ValidationError({"owner": _("A live service needs an owner.")})
        changes = {
            name: [_audit_value(getattr(current, name)), _audit_value(value)]
            for name, value in cleaned.items()
            if getattr(current, name) != value
        }
        if customers is not None:
            before = sorted(current.customers.values_list("pk", flat=True))
            after = sorted({c.pk for c in customers})
            if before != after:
                changes["customers"] = [before, after]
        if not changes:
            return current
        for name, value in cleaned.items():
            setattr(current, name, value)
        _bump(current)
        if "customers" in changes:
            current.customers.set(customers)
        audit_record(actor=actor, verb="service.updated", obj=current, payload=changes)
    return current


def service_moves(service: Service):
    return moves_from(SERVICE_MOVES, service.status)


def checklist_open_items(service: Service) -> list[ServiceChecklistItem]:
    return list(service.checklist.filter(done=False).order_by("position", "id"))


def service_transition(*, actor, service: Service, target: str, expected_version=None) -> Service:
    """Move the service along ``lifecycle.SERVICE_MOVES``. Going live needs an owner, a
    description for customers and every checklist item done (the error lists what is open)."""
    _require_editor(actor, service)
    now = timezone.now()
    with transaction.atomic():
        current = _locked(service, expected_version)
        move = move_for(SERVICE_MOVES, current.status, target)
        if move is None:
            raise ValidationError(
                {
                    "status": _("A service cannot go from “%(from)s” to “%(to)s”.")
                    % {
                        "from": ServiceStatus(current.status).label,
                        "to": ServiceStatus(target).label
                        if target in ServiceStatus.values
                        else target,
                    }
                }
            )
        if move.needs == "checklist":
            problems = []
            if current.owner_id is None:
                problems.append(_("Name the service owner before going live."))
            if not current.summary:
                problems.append(_("Write the description for customers before going live."))
            open_items = checklist_open_items(current)
            if open_items:
                problems.append(
                    _("The plan-new-service checklist is not complete; still open: %(items)s.")
                    % {"items": "; ".join(item.label for item in open_items)}
                )
            if problems:
                raise ValidationError({"status": problems})
        before = current.status
        current.status = target
        if target == ServiceStatus.LIVE:
            current.live_since = now
            current.retired_at = None
        elif target == ServiceStatus.RETIRED:
            current.retired_at = now
        _bump(current)
        audit_record(
            actor=actor,
            verb="service.status_changed",
            obj=current,
            payload={"status": [before, target]},
        )
    return current


# --- Checklist -----------------------------------------------------------------------------


def checklist_set_done(
    *, actor, item: ServiceChecklistItem, done: bool, now=None
) -> ServiceChecklistItem:
    """Tick (or untick) a checklist step, recording who and when; only while the service is
    in the pipeline."""
    service = item.service
    _require_editor(actor, service)
    now = now or timezone.now()
    with transaction.atomic():
        current = _locked(service, None)
        if current.status != ServiceStatus.PIPELINE:
            raise ValidationError(_("The checklist is only worked while the service is planned."))
        step = ServiceChecklistItem.objects.select_for_update(of=("self",)).get(pk=item.pk)
        if step.done == bool(done):
            return step
        step.done = bool(done)
        step.done_by = actor if (done and getattr(actor, "pk", None)) else None
        step.done_at = now if done else None
        step.save()
        _bump(current)
        audit_record(
            actor=actor,
            verb="service.checklist_done" if done else "service.checklist_reopened",
            obj=current,
            payload={"step": step.label, "position": step.position},
        )
    return step


def checklist_add(*, actor, service: Service, label: str) -> ServiceChecklistItem:
    """Add a step at the end of the checklist (pipeline services only)."""
    _require_editor(actor, service)
    errors: dict = {}
    label = _text(label, "label", errors, limit=200)
    if not label and "label" not in errors:
        errors["label"] = _("Describe the step.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current = _locked(service, None)
        if current.status != ServiceStatus.PIPELINE:
            raise ValidationError(_("The checklist is only worked while the service is planned."))
        last = current.checklist.order_by("-position").values_list("position", flat=True).first()
        step = ServiceChecklistItem.objects.create(
            service=current, position=(last or 0) + 1, label=label
        )
        _bump(current)
        audit_record(
            actor=actor, verb="service.checklist_added", obj=current, payload={"step": label}
        )
    return step


# --- Dependencies and components -----------------------------------------------------------


def _needed_services(service_id: int) -> set[int]:
    """Every service ``service_id`` needs, directly or through others (Python walk: the
    catalogue holds tens or hundreds of services, not millions)."""
    edges: dict[int, list[int]] = {}
    for source, target in ServiceDependency.objects.values_list("service_id", "depends_on_id"):
        edges.setdefault(source, []).append(target)
    seen, stack = set(), [service_id]
    while stack:
        for needed in edges.get(stack.pop(), []):
            if needed not in seen:
                seen.add(needed)
                stack.append(needed)
    return seen


def dependency_add(
    *, actor, service: Service, depends_on: Service, note: str = ""
) -> ServiceDependency:
    """Record that ``service`` needs ``depends_on``. No self-dependency, no duplicate, no
    cycle (A needs B needs A)."""
    _require_editor(actor, service)
    errors: dict = {}
    note = _text(note, "note", errors, limit=200)
    if depends_on.pk == service.pk:
        errors["depends_on"] = _("A service cannot depend on itself.")
    elif depends_on.status == ServiceStatus.RETIRED:
        errors["depends_on"] = _("A retired service cannot be depended on.")
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            current = _locked(service, None)
            if ServiceDependency.objects.filter(service=current, depends_on=depends_on).exists():
                raise ValidationError({"depends_on": _("This dependency is already recorded.")})
            if current.pk in _needed_services(depends_on.pk):
                raise ValidationError(
                    {
                        "depends_on": _(
                            "“%(other)s” already depends on this service: the dependency "
                            "would make a cycle."
                        )
                        % {"other": depends_on.name}
                    }
                )
            dependency = ServiceDependency.objects.create(
                service=current, depends_on=depends_on, note=note
            )
            _bump(current)
            audit_record(
                actor=actor,
                verb="service.dependency_added",
                obj=current,
                payload={"depends_on": depends_on.code, "note": note},
            )
    except IntegrityError as exc:
        raise ValidationError({"depends_on": _("This dependency is already recorded.")}) from exc
    return dependency


def dependency_remove(*, actor, dependency: ServiceDependency) -> None:
    service = dependency.service
    _require_editor(actor, service)
    with transaction.atomic():
        current = _locked(service, None)
        code = dependency.depends_on.code
        deleted, _count = ServiceDependency.objects.filter(pk=dependency.pk).delete()
        if deleted:
            _bump(current)
            audit_record(
                actor=actor,
                verb="service.dependency_removed",
                obj=current,
                payload={"depends_on": code},
            )


def component_add(
    *,
    actor,
    service: Service,
    configuration_item: ConfigurationItem,
    role: str = ComponentRole.COMPONENT,
) -> ServiceComponent:
    """Record that the service is built on a configuration item, in a role."""
    _require_editor(actor, service)
    if role not in ComponentRole.values:
        raise ValidationError({"role": _("Choose a valid role.")})
    if configuration_item.status == "retired":
        raise ValidationError(
            {"configuration_item": _("A retired item cannot become a component.")}
        )
    try:
        with transaction.atomic():
            current = _locked(service, None)
            if ServiceComponent.objects.filter(
                service=current, configuration_item=configuration_item
            ).exists():
                raise ValidationError(
                    {"configuration_item": _("This item is already a component of the service.")}
                )
            component = ServiceComponent.objects.create(
                service=current, configuration_item=configuration_item, role=role
            )
            _bump(current)
            audit_record(
                actor=actor,
                verb="service.component_added",
                obj=current,
                payload={"configuration_item": configuration_item.reference, "role": role},
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"configuration_item": _("This item is already a component of the service.")}
        ) from exc
    return component


def component_remove(*, actor, component: ServiceComponent) -> None:
    service = component.service
    _require_editor(actor, service)
    with transaction.atomic():
        current = _locked(service, None)
        reference = component.configuration_item.reference
        deleted, _count = ServiceComponent.objects.filter(pk=component.pk).delete()
        if deleted:
            _bump(current)
            audit_record(
                actor=actor,
                verb="service.component_removed",
                obj=current,
                payload={"configuration_item": reference},
            )
