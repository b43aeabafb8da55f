"""Monitoring intake through its HTTP endpoints: Alertmanager sequences (repeats, groups,
flapping, malformed bodies), Zabbix and generic webhooks, token authentication, size
limits, the token command and screen, and concurrent senders (PostgreSQL)."""

import io
import json
import threading
from pathlib import Path

import pytest
from django.core.handlers.asgi import ASGIRequest
from django.core.management import CommandError, call_command
from django.db import close_old_connections, connection
from django.test import Client

from serviceloop.core.models import AuditEvent, User
from serviceloop.desk.intake_alerts import (
    MAX_BODY_BYTES,
    MONITORING_USERNAME,
    severity_level,
)
from serviceloop.desk.lifecycle import Status
from serviceloop.desk.models import (
    AlertState,
    Comment,
    IntakeToken,
    LinkKind,
    MonitoredAlert,
    Source,
    Ticket,
    TicketLink,
)
from serviceloop.desk.services.intake_tokens import intake_token_create, intake_token_revoke
from serviceloop.desk.services.tickets import ticket_transition

DATA = Path(__file__).parent / "data" / "alerts"
AM_URL = "/api/v1/intake/alertmanager"
ZABBIX_URL = "/api/v1/intake/zabbix"
GENERIC_URL = "/api/v1/intake/generic"


@pytest.fixture
def make_token(people, desk):
    def make(source="alertmanager", name=None, **kwargs):
        kwargs.setdefault("organisation", people.customer_a)
        kwargs.setdefault("requester", people.a_manager)
        token, secret = intake_token_create(
            actor=people.admin, source=source, name=name or f"{source}-test", **kwargs
        )
        token.secret = secret
        return token

    return make


def post(url, token_or_secret, body, **extra):
    secret = getattr(token_or_secret, "secret", token_or_secret)
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret else {}
    # Monitoring systems send no language: the product default applies. The assertions
    # read English, so ask for it.
    extra.setdefault("HTTP_ACCEPT_LANGUAGE", "en")
    return Client().post(url, raw, content_type="application/json", **headers, **extra)


def replay(token, name):
    return post(AM_URL, token, (DATA / f"{name}.json").read_bytes())


def outcomes(response):
    return [(a["outcome"], a["ticket"]) for a in response.json()["alerts"]]


def monitoring_tickets():
    return list(Ticket.objects.filter(source=Source.MONITORING).order_by("pk"))


def notes(ticket):
    return list(ticket.comments.filter(is_public=False).order_by("pk"))


# --- Alertmanager: a replayed sequence ---------------------------------------------------


def test_a_replayed_alertmanager_sequence_yields_exactly_the_expected_incidents(make_token):
    token = make_token()

    first = replay(token, "01_group_two_firing")
    assert first.status_code == 200, first.content
    assert [o for o, _ in outcomes(first)] == ["created", "created"]
    disk_1, latency = monitoring_tickets()
    assert disk_1.title == "DiskAlmostFull: Disk /var almost full on db1"
    assert (disk_1.priority, latency.priority) == ("P3", "P1")  # warning, critical
    assert disk_1.service == "ERP" and disk_1.organisation == token.organisation
    assert disk_1.requester == token.requester and "Only 8% left." in disk_1.description

    repeat = replay(token, "02_group_repeat")
    assert [o for o, _ in outcomes(repeat)] == ["repeated", "repeated"]
    assert notes(disk_1) == [] and notes(latency) == []

    worse = replay(token, "03_a_worse")
    assert outcomes(worse) == [("updated", disk_1.reference), ("repeated", latency.reference)]
    (note,) = notes(disk_1)
    assert "warning → critical" in note.body and "Only 2% left." in note.body
    assert note.source == Source.MONITORING and note.author.username == MONITORING_USERNAME

    resolved = replay(token, "04_a_resolved")
    assert outcomes(resolved) == [("resolved", disk_1.reference), ("repeated", latency.reference)]
    disk_1.refresh_from_db()
    assert disk_1.status == Status.RESOLVED and "stopped firing" in disk_1.resolution

    assert [o for o, _ in outcomes(replay(token, "05_a_resolved_again"))] == [
        "ignored",
        "repeated",
    ]

    for name in ("07_malformed_status", "07_malformed_truncated"):
        bad = replay(token, name)
        assert bad.status_code == 400, name
        assert bad.json()["detail"]
    assert "alerts[1].status" in replay(token, "07_malformed_status").json()["detail"]

    again = replay(token, "06_a_fires_again")
    assert [o for o, _ in outcomes(again)] == ["created", "repeated"]
    disk_2 = Ticket.objects.get(reference=outcomes(again)[0][1])
    assert TicketLink.objects.filter(source=disk_2, target=disk_1, kind=LinkKind.RELATED).exists()

    assert [o for o, _ in outcomes(replay(token, "08_b_resolved"))] == ["resolved"]

    assert monitoring_tickets() == [disk_1, latency, disk_2]
    latency.refresh_from_db()
    disk_2.refresh_from_db()
    assert latency.status == Status.RESOLVED and disk_2.status == Status.NEW
    alerts = MonitoredAlert.objects.order_by("pk")
    assert [(a.ticket, a.closed_at is None) for a in alerts] == [
        (disk_1, False),
        (latency, False),
        (disk_2, True),
    ]
    assert [a.received_count for a in alerts] == [4, 7, 1]  # the late "resolved" is ignored
    verbs = list(
        AuditEvent.objects.filter(verb__startswith="intake.alert").values_list("verb", flat=True)
    )
    assert sorted(verbs) == sorted(
        ["intake.alert_opened"] * 3 + ["intake.alert_updated"] + ["intake.alert_resolved"] * 2
    )


def test_a_malformed_body_creates_nothing_even_when_its_first_alert_is_fine(make_token):
    token = make_token()

    response = replay(token, "07_malformed_status")

    assert response.status_code == 400
    assert "pending" in response.json()["detail"]
    assert not Ticket.objects.exists() and not MonitoredAlert.objects.exists()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty"),
        (b"[1, 2]", "JSON object"),
        (b'{"version": "3", "alerts": []}', "version"),
        (b'{"version": "4"}', "alerts"),
        (b'{"version": "4", "alerts": [{"status": "firing"}]}', "alerts[0].labels"),
        (
            b'{"version": "4", "alerts": [{"status": "firing", "labels": {"a": {"b": 1}}}]}',
            "alerts[0].labels.a",
        ),
        (
            b'{"alerts": [{"status": "firing", "labels": {"a": "b"}, "startsAt": "yesterday"}]}',
            "startsAt",
        ),
        (b"\xff\xfe not json", "JSON"),
        (b"[" * 100000 + b"]" * 100000, "JSON"),
    ],
    ids=[
        "empty",
        "not an object",
        "version 3",
        "no alerts",
        "no labels",
        "nested label",
        "bad time",
        "bad bytes",
        "deep nesting",
    ],
)
def test_malformed_alertmanager_bodies_get_400_with_the_reason(make_token, body, reason):
    response = post(AM_URL, make_token(), body)

    assert response.status_code == 400
    assert reason in response.json()["detail"]
    assert not MonitoredAlert.objects.exists()


def test_flapping_opens_a_new_incident_each_time_linked_to_the_previous_one(make_token):
    token = make_token()
    firing = json.loads((DATA / "01_group_two_firing.json").read_text())
    firing["alerts"] = firing["alerts"][:1]
    resolved = json.loads(json.dumps(firing))
    resolved["alerts"][0]["status"] = "resolved"

    references = []
    for _ in range(3):
        references.append(outcomes(post(AM_URL, token, firing))[0])
        assert outcomes(post(AM_URL, token, resolved))[0][0] == "resolved"

    assert [o for o, _ in references] == ["created"] * 3
    tickets = [Ticket.objects.get(reference=r) for _, r in references]
    assert all(t.status == Status.RESOLVED for t in tickets)
    links = TicketLink.objects.order_by("pk").values_list("source", "target", "kind")
    assert list(links) == [
        (tickets[1].pk, tickets[0].pk, LinkKind.RELATED),
        (tickets[2].pk, tickets[1].pk, LinkKind.RELATED),
    ]


def test_on_resolved_annotate_keeps_the_incident_open_and_notes_the_state(make_token, people):
    token = make_token(on_resolved="annotate")
    firing = {
        "version": "4",
        "alerts": [
            {"status": "firing", "labels": {"alertname": "Down"}, "fingerprint": "f1"},
        ],
    }
    resolved = json.loads(json.dumps(firing))
    resolved["alerts"][0]["status"] = "resolved"

    created = outcomes(post(AM_URL, token, firing))[0]
    assert outcomes(post(AM_URL, token, resolved))[0][0] == "annotated"
    assert outcomes(post(AM_URL, token, resolved))[0][0] == "repeated"
    refired = outcomes(post(AM_URL, token, firing))[0]

    ticket = Ticket.objects.get(reference=created[1])
    assert refired == ("updated", ticket.reference)
    assert ticket.status == Status.NEW
    bodies = [n.body for n in notes(ticket)]
    assert len(bodies) == 2
    assert "stopped firing" in bodies[0] and "firing again" in bodies[1]

    # an agent resolves it while the alert still fires: the next firing is a new incident
    ticket_transition(actor=people.agent, ticket=ticket, target=Status.RESOLVED, note="fixed")
    outcome, reference = outcomes(post(AM_URL, token, firing))[0]
    assert outcome == "created" and reference != ticket.reference
    assert TicketLink.objects.filter(source__reference=reference, target=ticket).exists()


SEVERITY_PRIORITY = {  # through the default impact × urgency matrix
    "disaster": "P1",
    "critical": "P1",
    "page": "P1",
    "error": "P2",
    "high": "P2",
    "average": "P3",
    "warning": "P3",
    "no-such-level": "P3",
    "info": "P4",
    "none": "P4",
}


def test_severity_sets_impact_and_urgency_hence_the_priority(make_token):
    body = {
        "alerts": [
            {"status": "firing", "labels": {"alertname": severity, "severity": severity}}
            for severity in SEVERITY_PRIORITY
        ]
    }

    response = post(AM_URL, make_token(), body)

    assert response.status_code == 200
    priorities = dict(Ticket.objects.values_list("title", "priority"))
    assert priorities == SEVERITY_PRIORITY


def test_zabbix_numeric_severities_follow_zabbix_levels():
    assert [severity_level(n) for n in range(6)] == [
        "info",
        "info",
        "warning",
        "average",
        "high",
        "disaster",
    ]
    assert severity_level("Not classified") == "info"


def test_a_fingerprint_is_derived_from_the_labels_when_missing(make_token):
    token = make_token()
    body = {"alerts": [{"status": "firing", "labels": {"alertname": "X", "job": "a"}}]}

    assert outcomes(post(AM_URL, token, body))[0][0] == "created"
    assert outcomes(post(AM_URL, token, body))[0][0] == "repeated"
    body["alerts"][0]["labels"]["job"] = "b"
    assert outcomes(post(AM_URL, token, body))[0][0] == "created"


# --- Zabbix and generic ------------------------------------------------------------------


def zabbix_event(**changes):
    event = {
        "event_id": "30012",
        "trigger_id": "17051",
        "status": "PROBLEM",
        "severity": "High",
        "host": "db01",
        "name": "MySQL is down",
        "message": "Problem started at 10:00:00 on 2026.11.20",
        "url": "https://zabbix.example.org/tr_events.php?triggerid=17051&eventid=30012",
        "event_time": "2026.11.20 10:00:00",  # {EVENT.DATE} {EVENT.TIME}, server time
        "tags": [{"tag": "service", "value": "ERP"}, {"tag": "scope", "value": "availability"}],
    }
    return {**event, **changes}


def test_zabbix_problem_repeat_and_recovery(make_token):
    token = make_token("zabbix")

    created = post(ZABBIX_URL, token, zabbix_event())
    repeated = post(ZABBIX_URL, token, zabbix_event())
    acknowledged_as_new_event = post(ZABBIX_URL, token, zabbix_event(event_id="30020"))
    recovered = post(ZABBIX_URL, token, zabbix_event(status="RESOLVED", event_id="30012"))

    assert created.status_code == 200, created.content
    ticket = Ticket.objects.get()
    assert outcomes(created) == [("created", ticket.reference)]
    assert outcomes(repeated)[0][0] == "repeated"
    assert outcomes(acknowledged_as_new_event)[0][0] == "updated"
    assert outcomes(recovered)[0][0] == "resolved"
    ticket.refresh_from_db()
    assert ticket.title == "db01: MySQL is down"
    assert ticket.priority == "P2" and ticket.service == "ERP"
    assert ticket.status == Status.RESOLVED
    assert "tr_events.php" in ticket.description
    assert "2026-11-20T10:00:00+08:00" in ticket.description
    assert "event_id=30020" in notes(ticket)[0].body


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"host": ""}, "host"),
        ({"status": "{EVENT.STATUS}"}, "status"),
        ({"trigger_id": None}, "trigger_id"),
        ({"severity": {"level": 4}}, "severity"),
        ({"tags": [{"value": "x"}]}, "tags[0]"),
        ({"event_time": "last tuesday"}, "event_time"),
    ],
)
def test_malformed_zabbix_events_get_400(make_token, changes, reason):
    response = post(ZABBIX_URL, make_token("zabbix"), zabbix_event(**changes))

    assert response.status_code == 400
    assert reason in response.json()["detail"]
    assert not Ticket.objects.exists()


def test_generic_alerts_single_list_and_resolution(make_token):
    token = make_token("generic")
    single = {
        "source": "uptime",
        "fingerprint": "www/https",
        "status": "firing",
        "title": "www.example.org does not answer",
        "severity": "critical",
        "labels": {"service": "Website", "probe": "sh"},
    }
    other_sender_same_fingerprint = {**single, "source": "synthetics"}

    first = post(GENERIC_URL, token, single)
    batch = post(GENERIC_URL, token, [single, other_sender_same_fingerprint])
    resolved = post(GENERIC_URL, token, {"alerts": [{**single, "status": "resolved"}]})
    unknown = post(
        GENERIC_URL, token, {"fingerprint": "never-seen", "status": "resolved", "source": "x"}
    )

    assert first.status_code == 200, first.content
    assert [o for o, _ in outcomes(first)] == ["created"]
    assert [o for o, _ in outcomes(batch)] == ["repeated", "created"]
    assert [o for o, _ in outcomes(resolved)] == ["resolved"]
    assert outcomes(unknown) == [("ignored", None)]
    uptime, synthetics = monitoring_tickets()
    assert uptime.priority == "P1" and uptime.service == "Website"
    assert uptime.status == Status.RESOLVED and synthetics.status == Status.NEW


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"fingerprint": "x", "status": "firing"}, "title"),
        ({"status": "firing", "title": "t"}, "fingerprint"),
        ({"fingerprint": "x", "status": "on fire", "title": "t"}, "status"),
        ({"fingerprint": "x", "status": "firing", "title": "t", "labels": [1]}, "labels"),
        ({"fingerprint": "x" * 201, "status": "firing", "title": "t"}, "200"),
        ([{"fingerprint": "x", "status": "firing", "title": "t"}, 3], "[1]"),
        ("just a string", "JSON object"),
    ],
)
def test_malformed_generic_bodies_get_400(make_token, body, reason):
    response = post(GENERIC_URL, make_token("generic"), body)

    assert response.status_code == 400
    assert reason in response.json()["detail"]
    assert not Ticket.objects.exists()


# --- Tokens and limits -------------------------------------------------------------------


FIRING = {"alerts": [{"status": "firing", "labels": {"alertname": "X"}, "fingerprint": "x"}]}


def test_no_unknown_or_revoked_tokens_get_401(make_token, people, client_for):
    token = make_token()
    revoked = make_token(name="old")
    intake_token_revoke(actor=people.admin, token=revoked)

    missing = post(AM_URL, None, FIRING)
    unknown = post(AM_URL, "sli_not-a-token", FIRING)
    gone = post(AM_URL, revoked, FIRING)
    malformed_header = Client().post(
        AM_URL, FIRING, content_type="application/json", HTTP_AUTHORIZATION="Bearer a b"
    )
    signed_in_admin = client_for(people.admin).post(AM_URL, FIRING, content_type="application/json")

    for response in (missing, unknown, gone, malformed_header, signed_in_admin):
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert not Ticket.objects.exists()
    assert post(AM_URL, token, FIRING).status_code == 200


def test_a_token_works_only_for_its_own_source(make_token):
    zabbix = make_token("zabbix")

    response = post(AM_URL, zabbix, FIRING)

    assert response.status_code == 403
    assert "Zabbix" in response.json()["detail"]
    assert not Ticket.objects.exists()


def test_tokens_are_stored_hashed_and_their_use_is_recorded(make_token):
    token = make_token()

    post(AM_URL, token, FIRING)

    stored = IntakeToken.objects.get(pk=token.pk)
    assert token.secret.startswith("sli_") and len(token.secret) > 40
    assert stored.token_hash == IntakeToken.hash_secret(token.secret)
    assert token.secret not in json.dumps(list(IntakeToken.objects.values()), default=str)
    assert stored.last_used_at is not None


def test_bodies_over_1_mb_get_413_and_create_nothing(make_token):
    token = make_token()
    padding = "x" * (MAX_BODY_BYTES + 10)
    big = {**FIRING, "padding": padding}

    response = post(AM_URL, token, big)

    assert response.status_code == 413
    assert not Ticket.objects.exists()


def test_a_body_of_exactly_1_mb_is_read(make_token):
    body = json.dumps(FIRING).encode()
    body += b" " * (MAX_BODY_BYTES - len(body))

    response = post(AM_URL, make_token(), body)

    assert response.status_code == 200
    assert len(body) == MAX_BODY_BYTES


def test_the_real_read_size_counts_when_no_content_length_is_sent(make_token):
    """ASGI servers hand over chunked bodies without Content-Length: the limit still holds."""
    from serviceloop.desk.api import AlertmanagerIntakeView

    token = make_token()
    body = json.dumps({**FIRING, "padding": "x" * MAX_BODY_BYTES}).encode()
    scope = {
        "type": "http",
        "method": "POST",
        "path": AM_URL,
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"authorization", f"Bearer {token.secret}".encode()),
        ],
    }
    request = ASGIRequest(scope, io.BytesIO(body))
    assert "CONTENT_LENGTH" not in request.META

    response = AlertmanagerIntakeView.as_view()(request)

    assert response.status_code == 413
    assert not Ticket.objects.exists()


def test_an_inactive_requester_makes_the_intake_answer_503_not_500(make_token, people):
    token = make_token()
    people.a_manager.organisation = people.customer_b
    people.a_manager.save()

    response = post(AM_URL, token, FIRING)

    assert response.status_code == 503
    assert token.name in response.json()["detail"]
    assert not Ticket.objects.exists()


# --- The token command and screen --------------------------------------------------------


def test_the_command_creates_lists_and_revokes_tokens(people, desk):
    out = io.StringIO()
    call_command(
        "intake_token",
        "create",
        "--source",
        "zabbix",
        "--name",
        "zabbix-prod",
        "--organisation",
        "CA",
        stdout=out,
    )
    secret = next(
        line.split(": ", 1)[1] for line in out.getvalue().splitlines() if "shown once" in line
    )
    listing = io.StringIO()
    call_command("intake_token", "list", stdout=listing)
    token = IntakeToken.objects.get(name="zabbix-prod")
    works = post(ZABBIX_URL, secret, zabbix_event()).status_code
    call_command("intake_token", "revoke", "zabbix-prod", stdout=io.StringIO())

    assert token.token_hash == IntakeToken.hash_secret(secret)
    assert token.organisation == people.customer_a
    assert token.requester == people.a_manager  # the organisation's first manager
    assert "zabbix-prod\tzabbix" in listing.getvalue() and secret not in listing.getvalue()
    assert works == 200 and token.revoked_at is None
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert post(ZABBIX_URL, secret, zabbix_event()).status_code == 401
    assert AuditEvent.objects.filter(verb="intake_token.created", actor_label="system").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["--organisation", "Nobody Inc"],
        ["--organisation", "CA", "--requester", "b.user"],
        ["--organisation", "CA", "--requester", "ghost"],
    ],
)
def test_the_command_refuses_bad_input(people, desk, args):
    with pytest.raises(CommandError):
        call_command(
            "intake_token",
            "create",
            "--source",
            "generic",
            "--name",
            "n",
            *args,
            stdout=io.StringIO(),
        )
    assert not IntakeToken.objects.exists()


def test_administrators_create_a_token_on_the_screen_and_see_it_once(people, desk, client_for):
    client = client_for(people.admin)

    page = client.get("/desk/intake/new/")
    created = client.post(
        "/desk/intake/new/",
        {
            "source": "generic",
            "name": "uptime",
            "organisation": people.customer_b.pk,
            "requester": people.b_user.pk,
            "on_resolved": "annotate",
        },
    )
    listing = client.get("/desk/intake/")

    assert page.status_code == 200
    assert created.status_code == 200 and created["Cache-Control"] == "no-store"
    secret = created.context["secret"]
    assert secret in created.content.decode()
    assert secret not in listing.content.decode() and "uptime" in listing.content.decode()
    token = IntakeToken.objects.get(name="uptime")
    assert (token.requester, token.on_resolved, token.created_by) == (
        people.b_user,
        "annotate",
        people.admin,
    )
    assert post(GENERIC_URL, secret, {**FIRING["alerts"][0], "title": "t"}).status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.organisation == people.customer_b
    open_alerts = client.get("/desk/intake/").content.decode()
    assert ticket.reference in open_alerts and "generic:generic:x" in open_alerts


def test_the_screen_refuses_a_requester_of_another_organisation(people, desk, client_for):
    response = client_for(people.admin).post(
        "/desk/intake/new/",
        {
            "source": "generic",
            "name": "wrong",
            "organisation": people.customer_b.pk,
            "requester": people.a_user.pk,
            "on_resolved": "resolve",
        },
    )

    assert response.status_code == 200
    assert "requester" in response.context["form"].errors
    assert not IntakeToken.objects.exists()


def test_administrators_revoke_a_token_with_an_audit_row(people, make_token, client_for):
    token = make_token()

    response = client_for(people.admin).post(f"/desk/intake/{token.pk}/revoke/")

    token.refresh_from_db()
    assert response.status_code == 302 and token.revoked_at is not None
    assert AuditEvent.objects.filter(
        verb="intake_token.revoked", object_id=str(token.pk), actor=people.admin
    ).exists()
    assert post(AM_URL, token, FIRING).status_code == 401


@pytest.mark.parametrize("name", ["agent", "lead", "auditor", "owner", "a_manager", "outsider"])
def test_only_administrators_reach_the_intake_screen(people, make_token, client_for, name):
    token = make_token()
    client = client_for(getattr(people, name))

    answers = [
        client.get("/desk/intake/").status_code,
        client.get("/desk/intake/new/").status_code,
        client.post(f"/desk/intake/{token.pk}/revoke/").status_code,
    ]

    assert answers == [403, 403, 403]
    token.refresh_from_db()
    assert token.revoked_at is None


def test_anonymous_visitors_are_sent_to_sign_in(client_for, db):
    response = client_for(None).get("/desk/intake/")

    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_the_monitoring_account_cannot_sign_in(make_token):
    post(AM_URL, make_token(), FIRING)

    account = User.objects.get(username=MONITORING_USERNAME)
    assert not account.has_usable_password()
    assert account.organisation.is_provider


# --- Concurrency (PostgreSQL) ------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_concurrent_senders_of_the_same_alert_create_one_incident(people, desk, make_token):
    """Each sender posts the same group of two alerts at once (the monitoring account does
    not exist yet either): one incident per alert, the other three notices count as repeats."""
    token = make_token()
    senders = 4
    start = threading.Barrier(senders)
    answers, errors = [], []
    lock = threading.Lock()
    body = (DATA / "01_group_two_firing.json").read_bytes()

    def send():
        try:
            client = Client()
            start.wait()
            response = client.post(
                AM_URL,
                body,
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token.secret}",
            )
            with lock:
                answers.append(
                    (
                        response.status_code,
                        outcomes(response) if response.status_code == 200 else response.content,
                    )
                )
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    assert [code for code, _ in answers] == [200] * senders, answers
    per_alert = list(zip(*[[o for o, _ in result] for _, result in answers], strict=True))
    for alert_outcomes in per_alert:
        assert sorted(alert_outcomes) == ["created"] + ["repeated"] * (senders - 1)
    assert Ticket.objects.filter(source=Source.MONITORING).count() == 2
    assert MonitoredAlert.objects.filter(state=AlertState.FIRING).count() == 2
    assert sorted(MonitoredAlert.objects.values_list("received_count", flat=True)) == [4, 4]
    assert Comment.objects.count() == 0
    assert User.objects.filter(username=MONITORING_USERNAME).count() == 1


def test_monitoring_account_is_not_offered_as_an_agent(people):
    from serviceloop.desk.forms import AssignForm
    from serviceloop.desk.intake_alerts import intake_account

    account = intake_account()
    offered = set(AssignForm().fields["assignee"].queryset)
    assert account not in offered
    assert people.agent in offered
