"""Roles and what each may do, declared as data.

A user holds one role. Views and services never test role names directly: they ask for a
capability (``user_can(user, Capability.OPERATE)``), so a new role is one row here.
"""

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PROVIDER_ADMIN = "provider_admin", _("Provider administrator")
    SYSTEM_OWNER = "system_owner", _("Management-system owner")
    TEAM_LEAD = "team_lead", _("Team lead")
    AGENT = "agent", _("Service desk agent")
    AUDITOR = "auditor", _("Internal auditor")
    TOP_MANAGEMENT = "top_management", _("Top management")
    CUSTOMER_MANAGER = "customer_manager", _("Customer manager")
    CUSTOMER_USER = "customer_user", _("Customer user")


class Capability(StrEnum):
    STAFF = "staff"  # provider side: sees every organisation's operational records
    OPERATE = "operate"  # writes operational records (tickets, services, suppliers...)
    LEAD = "lead"  # assigns work, handles escalations of a team
    MANAGE_SYSTEM = "manage_system"  # writes management-system records (policy, risks...)
    AUDIT = "audit"  # writes internal-audit records
    REVIEW = "review"  # records management-review decisions
    ADMINISTER = "administer"  # organisations, people, calendars, settings
    ORG_WIDE = "org_wide"  # a customer who sees all of his organisation's records
    READ_AUDIT_TRAIL = "read_audit_trail"


C = Capability
ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.PROVIDER_ADMIN: frozenset(
        {C.STAFF, C.OPERATE, C.LEAD, C.MANAGE_SYSTEM, C.ADMINISTER, C.READ_AUDIT_TRAIL}
    ),
    Role.SYSTEM_OWNER: frozenset({C.STAFF, C.MANAGE_SYSTEM, C.READ_AUDIT_TRAIL}),
    Role.TEAM_LEAD: frozenset({C.STAFF, C.OPERATE, C.LEAD}),
    Role.AGENT: frozenset({C.STAFF, C.OPERATE}),
    Role.AUDITOR: frozenset({C.STAFF, C.AUDIT, C.READ_AUDIT_TRAIL}),
    Role.TOP_MANAGEMENT: frozenset({C.STAFF, C.REVIEW}),
    Role.CUSTOMER_MANAGER: frozenset({C.ORG_WIDE}),
    Role.CUSTOMER_USER: frozenset(),
}

PROVIDER_ROLES = frozenset(r for r, caps in ROLE_CAPABILITIES.items() if C.STAFF in caps)
CUSTOMER_ROLES = frozenset(Role) - PROVIDER_ROLES


def role_capabilities(role: str) -> frozenset[Capability]:
    return ROLE_CAPABILITIES.get(role, frozenset())
