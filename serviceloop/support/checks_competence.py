"""The competence check on desk assignment (clause 7.2), hung on the desk's hook point
``desk.assignment`` (``core.hooks``) from ``SupportConfig.ready``: the desk never imports
support.

What it does follows the "assignment competence check" setting (``CompetenceSettings``):
``off`` checks nothing; ``warn`` lets the assignment go ahead and tells the agent which
competences the assignee lacks; ``block`` refuses it with the same reasons.
"""

from django.core.exceptions import ValidationError

from serviceloop.support.queries_competence import assignment_check

DESK_ASSIGNMENT = "desk.assignment"  # the desk's hook point (desk.services.assignment)


def assignment_competence(*, assignee, category, **context) -> str | None:
    """The desk's assignment check: None (fine or off), a warning, or ValidationError on
    ``assignee`` (block). Messages are in the active language."""
    level, message = assignment_check(assignee, category)
    if level == "block":
        raise ValidationError({"assignee": message})
    return message if level == "warn" else None


def register() -> None:
    from serviceloop.core.hooks import check_register

    check_register(DESK_ASSIGNMENT, assignment_competence)
