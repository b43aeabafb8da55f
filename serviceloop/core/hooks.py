"""Hooks: named points where one app asks the others, without importing them.

Operational apps never import the management-system apps, yet the desk must respect the
competence rules of ``support`` when it assigns a ticket. The desk names a point and runs
whatever is registered there; ``support`` registers its rule from ``AppConfig.ready``::

    check_register("desk.assignment", assignment_competence)   # in support
    warnings = checks_run("desk.assignment", ticket=t, assignee=u, category=c)   # in desk

Two kinds of point:

- **checks** (``check_register`` / ``checks_run``): each function returns nothing, a
  warning (str) or a list of warnings, or raises ``ValidationError`` to refuse. ``checks_run``
  returns every warning in registration order; the first refusal propagates, so a caller
  that runs the checks before writing anything changes nothing.
- **collectors** (``collector_register`` / ``collect``): each function returns an iterable;
  ``collect`` returns the union as a set (e.g. the audit rows a reader must not see in full,
  answered by the app that owns the objects).

Names say who asks: ``<app>.<what>``. A point nobody registered for runs nothing.
"""

from collections.abc import Callable

_CHECKS: dict[str, list[Callable]] = {}
_COLLECTORS: dict[str, list[Callable]] = {}


def _add(table: dict, name: str, function: Callable) -> None:
    functions = table.setdefault(name, [])
    if function not in functions:  # idempotent: ready() may run twice in tests
        functions.append(function)


def check_register(name: str, function: Callable) -> None:
    """Add ``function(**kwargs) -> None | str | list[str]`` (may raise ValidationError)."""
    _add(_CHECKS, name, function)


def check_unregister(name: str, function: Callable) -> None:
    _CHECKS[name] = [f for f in _CHECKS.get(name, []) if f is not function]


def checks_run(name: str, **kwargs) -> list[str]:
    """Run every check registered for ``name``; the warnings they give, in order. A check's
    ``ValidationError`` is raised to the caller unchanged (the refusal, already translated)."""
    warnings: list[str] = []
    for function in list(_CHECKS.get(name, ())):
        result = function(**kwargs)
        if not result:
            continue
        if isinstance(result, str):
            warnings.append(result)
        else:
            warnings.extend(str(item) for item in result if item)
    return warnings


def collector_register(name: str, function: Callable) -> None:
    """Add ``function(**kwargs) -> iterable`` to the collector point ``name``."""
    _add(_COLLECTORS, name, function)


def collector_unregister(name: str, function: Callable) -> None:
    _COLLECTORS[name] = [f for f in _COLLECTORS.get(name, []) if f is not function]


def collect(name: str, **kwargs) -> set:
    """The union of what every function registered for ``name`` returns."""
    found: set = set()
    for function in list(_COLLECTORS.get(name, ())):
        found.update(function(**kwargs) or ())
    return found
