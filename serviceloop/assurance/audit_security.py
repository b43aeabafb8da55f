"""Audit rows about security incidents keep their details from readers outside them.

Registered with core's collector point ``core.audit_redaction.AUDIT_HIDDEN``: a reader of
the audit trail who may not see a security incident (``SecurityIncident.visible_to``) reads
its rows without the incident's reference, title or changes. One query per page of rows.
"""

from serviceloop.assurance.models import SecurityIncident
from serviceloop.core.audit_redaction import rows_about


def audit_rows_hidden(*, user, events) -> set[int]:
    """The ids of the rows among ``events`` about security incidents ``user`` may not see."""
    about = rows_about(events, SecurityIncident._meta.label_lower)
    if not about:
        return set()
    visible = set(
        SecurityIncident.objects.visible_to(user)
        .filter(pk__in=list(about))
        .values_list("pk", flat=True)
    )
    return {event.pk for pk, rows in about.items() if pk not in visible for event in rows}
