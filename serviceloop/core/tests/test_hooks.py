"""Core's hook points (checks and collectors), the page gate that closes pages of switched-off
modules, and the audit redaction that asks the owning apps which rows to hide."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from serviceloop.core import hooks, navigation
from serviceloop.core.audit_redaction import AUDIT_HIDDEN, audit_events_redact
from serviceloop.core.models import AuditEvent

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def point():
    """A private hook point name, emptied after the test."""
    name = "tests.point"
    yield name
    hooks._CHECKS.pop(name, None)
    hooks._COLLECTORS.pop(name, None)


def test_checks_gather_warnings_in_order_and_a_refusal_propagates(point):
    calls = []

    def quiet(**kwargs):
        calls.append(("quiet", kwargs))

    def one(**kwargs):
        return "first warning"

    def many(**kwargs):
        return ["second", "", "third"]

    for function in (quiet, one, many, one):  # registering twice is once
        hooks.check_register(point, function)
    assert hooks.checks_run(point, who="x") == ["first warning", "second", "third"]
    assert calls == [("quiet", {"who": "x"})]

    def refuse(**kwargs):
        raise ValidationError({"assignee": "No."})

    hooks.check_register(point, refuse)
    with pytest.raises(ValidationError):
        hooks.checks_run(point)
    hooks.check_unregister(point, refuse)
    assert hooks.checks_run(point) == ["first warning", "second", "third"]
    assert hooks.checks_run("tests.nobody") == []


def test_collectors_return_the_union(point):
    hooks.collector_register(point, lambda **kw: {1, 2})
    hooks.collector_register(point, lambda **kw: [2, kw["extra"]])
    assert hooks.collect(point, extra=3) == {1, 2, 3}
    assert hooks.collect("tests.nobody") == set()


def test_the_page_gate_answers_404_html_and_json(people, client_for, api_client_for):
    def no_people_pages(request):
        return request.path_info.startswith(("/people/", "/api/v1/people/"))

    navigation.register_page_gate(no_people_pages)
    try:
        assert client_for(people.admin).get(reverse("person_list")).status_code == 404
        api = api_client_for(people.admin).get("/api/v1/people/")
        assert api.status_code == 404 and api.json() == {"detail": "Not found."}
        assert client_for(people.admin).get(reverse("team_list")).status_code == 200
    finally:
        navigation.PAGE_GATES.remove(no_people_pages)
    assert client_for(people.admin).get(reverse("person_list")).status_code == 200


def test_the_gate_runs_once_whichever_middleware_carries_it(people, client_for, settings):
    seen = []

    def counting(request):
        seen.append(request.path_info)
        return False

    gate = "serviceloop.core.middleware.ModuleGateMiddleware"
    if gate not in settings.MIDDLEWARE:
        settings.MIDDLEWARE = [*settings.MIDDLEWARE, gate]
    navigation.register_page_gate(counting)
    try:
        client_for(people.admin).get(reverse("team_list"))
    finally:
        navigation.PAGE_GATES.remove(counting)
    assert seen == ["/teams/"]


def test_redaction_hides_what_a_collector_names_in_memory_only(people):
    from django.db import transaction

    from serviceloop.core.audit import audit_record

    with transaction.atomic():
        row = audit_record(actor=people.admin, verb="x.y", obj=people.agent, payload={"secret": 1})

    def hide_every_user_row(*, user, events):
        return {e.pk for e in events if e.object_type == "core.user"}

    hooks.collector_register(AUDIT_HIDDEN, hide_every_user_row)
    try:
        [shown] = audit_events_redact(people.auditor, AuditEvent.objects.filter(pk=row.pk))
    finally:
        hooks.collector_unregister(AUDIT_HIDDEN, hide_every_user_row)
    assert shown.redacted and shown.payload == {} and shown.object_repr == "(confidential)"
    stored = AuditEvent.objects.get(pk=row.pk)
    assert stored.payload == {"secret": 1} and stored.object_repr == str(people.agent)
