"""Service requests from the catalogue of request types, and their approval steps."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.models import User
from serviceloop.core.roles import Capability, Role
from serviceloop.desk.confidential import ticket_notify
from serviceloop.desk.lifecycle import Status
from serviceloop.desk.models import (
    Approval,
    EventKind,
    Kind,
    RequestType,
    Source,
    Ticket,
    TicketEvent,
)
from serviceloop.desk.services.tickets import ticket_assign, ticket_create, ticket_transition


def clean_form_data(request_type: RequestType, raw: dict) -> dict:
    """The request type's fields read from ``raw`` (strings from a form or JSON values),
    converted and checked; every problem is reported at once as a ValidationError."""
    data, errors = {}, {}
    for field in request_type.form_schema:
        name, kind = field["name"], field.get("type", "text")
        label = field.get("label", name)
        value = raw.get(name)
        if value in (None, "") or (kind == "boolean" and value in (False, "false", "off")):
            if field.get("required") and kind != "boolean":
                errors[name] = _("%(label)s is required.") % {"label": label}
            data[name] = False if kind == "boolean" else None
            continue
        try:
            if kind == "number":
                number = float(value)
                if "min" in field and number < field["min"]:
                    raise ValueError(_("at least %(min)s") % {"min": field["min"]})
                if "max" in field and number > field["max"]:
                    raise ValueError(_("at most %(max)s") % {"max": field["max"]})
                data[name] = int(number) if number.is_integer() else number
            elif kind == "date":
                data[name] = datetime.date.fromisoformat(str(value)).isoformat()
            elif kind == "choice":
                if str(value) not in [str(c) for c in field["choices"]]:
                    raise ValueError(_("choose one of the offered values"))
                data[name] = str(value)
            elif kind == "boolean":
                data[name] = True
            elif kind == "email":
                from django.core.validators import validate_email

                validate_email(str(value))
                data[name] = str(value)
            else:
                data[name] = str(value)[:5000]
        except (ValueError, ValidationError) as exc:
            reason = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
            errors[name] = _("%(label)s: %(reason)s.") % {"label": label, "reason": reason}
    if errors:
        raise ValidationError(errors)
    return data


def request_submit(
    *,
    actor,
    request_type: RequestType,
    requester: User,
    title: str = "",
    description: str = "",
    form_data: dict | None = None,
    urgency: int = 3,
    source: str = Source.PORTAL,
    idempotency_key: str = "",
) -> Ticket:
    """Raise a service request of ``request_type``; with approval steps it waits for them
    (its SLA clock paused) before anyone works on it."""
    if not request_type.is_active:
        raise ValidationError({"request_type": _("This request type is no longer offered.")})
    data = clean_form_data(request_type, form_data or {})
    with transaction.atomic():
        ticket = ticket_create(
            actor=actor,
            organisation=requester.organisation,
            requester=requester,
            title=title or request_type.name,
            description=description,
            kind=Kind.REQUEST,
            service=request_type.service,
            category=request_type.category,
            urgency=urgency,
            source=source,
            request_type=request_type,
            form_data=data,
            awaiting_approval=request_type.needs_approval,
            idempotency_key=idempotency_key,
        )
        if request_type.needs_approval and not ticket.approvals.exists():
            step = 1
            first = None
            if request_type.customer_manager_approves:
                first = Approval.objects.create(
                    ticket=ticket, step=step, approver_role=Role.CUSTOMER_MANAGER
                )
                step += 1
            if request_type.approver_id:
                named = Approval.objects.create(
                    ticket=ticket, step=step, approver_role="named", approver=request_type.approver
                )
                first = first or named
            _ask(first)
    return ticket


def _approvers(approval: Approval) -> list[User]:
    if approval.approver_role == "named":
        return [approval.approver] if approval.approver else []
    return list(
        User.objects.filter(
            organisation_id=approval.ticket.organisation_id,
            role=Role.CUSTOMER_MANAGER,
            is_active=True,
        )
    )


def _ask(approval: Approval) -> None:
    ticket_notify(
        ticket=approval.ticket, recipients=_approvers(approval), kind="approval_requested"
    )


def may_decide(user, approval: Approval) -> bool:
    if approval.decision != Approval.Decision.PENDING:
        return False
    if approval.approver_role == "named":
        return approval.approver_id == user.pk
    return (
        user.has_capability(Capability.ORG_WIDE)
        and user.organisation_id == approval.ticket.organisation_id
    )


def approval_decide(
    *, actor, approval: Approval, approve: bool, comment: str = "", now=None
) -> Approval:
    """Record a decision on the current step. Approving the last step releases the request to
    the desk (routed and assigned as any new ticket); rejecting cancels it with the comment."""
    now = now or timezone.now()
    comment = (comment or "").strip()
    with transaction.atomic():
        approval = (
            Approval.objects.select_for_update(of=("self",))
            .select_related("ticket")
            .get(pk=approval.pk)
        )
        if not may_decide(actor, approval):
            raise PermissionDenied
        earlier = approval.ticket.approvals.filter(step__lt=approval.step).exclude(
            decision=Approval.Decision.APPROVED
        )
        if earlier.exists():
            raise ValidationError(_("An earlier approval step is still open."))
        if not approve and not comment:
            raise ValidationError({"comment": _("Say why the request is rejected.")})
        approval.decision = Approval.Decision.APPROVED if approve else Approval.Decision.REJECTED
        approval.decided_by, approval.decided_at, approval.comment = actor, now, comment
        approval.save()
        ticket = approval.ticket
        TicketEvent.objects.create(
            ticket=ticket,
            kind=EventKind.APPROVAL,
            actor=actor,
            at=now,
            to_value=approval.decision,
            payload={"step": approval.step, "comment": comment},
        )
        audit_record(
            actor=actor,
            verb=f"ticket.approval_{approval.decision}",
            obj=ticket,
            payload={"step": approval.step, "comment": comment},
        )
        if not approve:
            ticket_transition(
                actor=None,
                ticket=ticket,
                target=Status.CANCELLED,
                note=_("Your request was not approved: %(reason)s") % {"reason": comment},
                now=now,
            )
            return approval
        following = ticket.approvals.filter(step__gt=approval.step).order_by("step").first()
        if following is not None:
            _ask(following)
            return approval
        ticket_transition(actor=None, ticket=ticket, target=Status.NEW, now=now)
        ticket.refresh_from_db()
        if ticket.team_id:
            ticket_assign(actor=None, ticket=ticket, team=ticket.team, now=now)
    return approval
