"""SLAs and OLAs as documents: creation rules, the declared version transitions (only a
submitter submits, the author never agrees his own version, agreeing supersedes atomically),
editing only drafts, the in-force queries other areas use, the desk alignment, and review
reminders exactly once per version and review date."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.utils import timezone

from serviceloop.core.models import AuditEvent, Notification
from serviceloop.core.tests.factories import TeamFactory
from serviceloop.relationship.models import (
    AgreementTarget,
    AgreementVersion,
    AgreementVersionEvent,
    TargetMetric,
    TargetUnit,
    VersionStatus,
)
from serviceloop.relationship.queries_agreements import (
    agreements_in_force,
    availability_target,
    desk_alignment,
    service_customers_without_agreement,
    services_without_agreement,
)
from serviceloop.relationship.services_agreements import (
    agreement_create,
    agreement_target_add,
    agreement_target_remove,
    agreement_update,
    agreement_version_new,
    agreement_version_transition,
    agreement_version_update,
)
from serviceloop.relationship.services_agreements_reviews import (
    agreement_review_reminders_run,
    agreement_version_reviewed,
)
from serviceloop.relationship.tests import fixtures_customers as fx

pytestmark = pytest.mark.usefixtures("english")
# The shared fixtures of the customers part (see fixtures_customers).
cust, desk_policy, make_sla = fx.cust, fx.desk_policy, fx.make_sla

D = datetime.date


def at(day: datetime.date, hour=10):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


# --- Creating ------------------------------------------------------------------------------


def test_an_sla_is_created_with_a_draft_first_version(people, cust):
    agreement = agreement_create(
        actor=people.agent,
        kind="sla",
        title="  ERP SLA ",
        customers=[people.customer_a, people.customer_b],
        valid_from=D(2026, 1, 1),
        services=[cust.erp],
        body="<h2>Scope</h2><img src=x onerror=alert(1)>",
    )
    assert agreement.reference.startswith("SLA-") and agreement.title == "ERP SLA"
    version = agreement.versions.get()
    assert (version.number, version.status, version.author) == (1, "draft", people.agent)
    assert "onerror" not in version.body and "<h2>Scope</h2>" in version.body
    assert AuditEvent.objects.filter(verb="agreement.created", object_id=str(agreement.pk)).exists()
    assert AgreementVersionEvent.objects.get(version=version).kind == "created"


@pytest.mark.parametrize(
    ("kind", "parties", "field"),
    [
        ("sla", {}, "customers"),
        ("sla", {"customers": ["provider"]}, "customers"),
        ("ola", {"teams": ["one"]}, "teams"),
        ("ola", {"teams": ["one", "two"], "customers": ["customer_a"]}, "customers"),
        ("xla", {}, "kind"),
    ],
)
def test_parties_fit_the_kind(people, cust, kind, parties, field):
    teams = {
        "one": TeamFactory(organisation=people.provider, name="Desk"),
        "two": TeamFactory(organisation=people.provider, name="Infra"),
    }
    with pytest.raises(ValidationError) as error:
        agreement_create(
            actor=people.agent,
            kind=kind,
            title="X",
            valid_from=D(2026, 1, 1),
            customers=[getattr(people, c) for c in parties.get("customers", [])],
            teams=[teams[t] for t in parties.get("teams", [])],
        )
    assert field in error.value.message_dict


def test_an_ola_is_agreed_between_two_provider_teams(people, cust):
    desk = TeamFactory(organisation=people.provider, name="Desk", lead=people.lead)
    infra = TeamFactory(organisation=people.provider, name="Infra")
    agreement = agreement_create(
        actor=people.agent,
        kind="ola",
        title="Desk-Infra",
        teams=[desk, infra],
        valid_from=D(2026, 1, 1),
        services=[cust.erp],
        body="Escalations accepted within 15 minutes.",
    )
    version = agreement.versions.get()
    agreement_target_add(
        actor=people.agent, version=version, metric="first_response", priority="P1",
        target_value=15, unit="minutes",
    )  # fmt: skip
    # The team lead submits; the system owner agrees.
    agreement_version_transition(actor=people.lead, version=version, target="in_review")
    version = agreement_version_transition(actor=people.owner, version=version, target="agreed")
    assert agreement.reference.startswith("OLA-") and version.status == "agreed"


# --- Transitions ---------------------------------------------------------------------------


def test_submitting_needs_text_services_and_a_target(people, cust):
    agreement = agreement_create(
        actor=people.lead, kind="sla", title="Empty", customers=[people.customer_a],
        valid_from=D(2026, 1, 1),
    )  # fmt: skip
    version = agreement.versions.get()
    with pytest.raises(ValidationError) as error:
        agreement_version_transition(actor=people.lead, version=version, target="in_review")
    assert len(error.value.messages) == 3
    version.refresh_from_db()
    assert version.status == "draft"


@pytest.mark.parametrize("role", ["agent", "auditor", "top", "a_manager"])
def test_only_the_account_manager_or_a_system_manager_submits(people, make_sla, role):
    # The agent keeps records (he drafts) but does not manage customer A's account.
    version = make_sla(until="draft")
    with pytest.raises(PermissionDenied):
        agreement_version_transition(
            actor=getattr(people, role), version=version, target="in_review"
        )


def test_the_author_cannot_agree_his_own_version(people, make_sla):
    version = make_sla(until="in_review", author=people.lead)

    with pytest.raises(PermissionDenied) as error:
        agreement_version_transition(actor=people.lead, version=version, target="agreed")
    assert "author" in str(error.value)
    for outsider in (people.agent, people.auditor, people.a_manager):
        with pytest.raises(PermissionDenied):
            agreement_version_transition(actor=outsider, version=version, target="agreed")
    version.refresh_from_db()
    assert version.status == "in_review"
    # A system manager who did not write it may.
    version = agreement_version_transition(actor=people.admin, version=version, target="agreed")
    assert (version.status, version.agreed_by) == ("agreed", people.admin)


def test_a_system_manager_author_needs_another_approver(people, make_sla):
    version = make_sla(until="in_review", author=people.owner)
    with pytest.raises(PermissionDenied):
        agreement_version_transition(actor=people.owner, version=version, target="agreed")
    # The account manager of customer A agrees the owner's version.
    version = agreement_version_transition(actor=people.lead, version=version, target="agreed")
    assert version.status == "agreed"


def test_a_version_in_review_returns_to_draft_and_undeclared_moves_are_refused(people, make_sla):
    version = make_sla(until="in_review")
    version = agreement_version_transition(
        actor=people.owner, version=version, target="draft", note="Fix the P2 target"
    )
    assert version.status == "draft" and version.submitted_at is None
    assert AgreementVersionEvent.objects.filter(version=version, note="Fix the P2 target").exists()
    with pytest.raises(ValidationError):
        agreement_version_transition(actor=people.owner, version=version, target="agreed")
    with pytest.raises(ValidationError):
        agreement_version_transition(actor=people.owner, version=version, target="superseded")


def test_agreeing_a_new_version_supersedes_the_previous_one_atomically(people, make_sla):
    first = make_sla(valid_from=D(2025, 1, 1), now=at(D(2025, 1, 1)))
    agreement = first.agreement
    second = agreement_version_new(actor=people.lead, agreement=agreement, now=at(D(2026, 3, 1)))
    assert second.number == 2 and second.status == "draft"
    assert list(second.targets.values_list("metric", flat=True)) == [
        "first_response",
        "availability",
    ]
    assert list(second.services.all()) == list(first.services.all())
    second = agreement_version_update(
        actor=people.lead, version=second, valid_from=D(2026, 4, 1), now=at(D(2026, 3, 1))
    )
    agreement_version_transition(
        actor=people.lead, version=second, target="in_review", now=at(D(2026, 3, 2))
    )
    second = agreement_version_transition(
        actor=people.owner, version=second, target="agreed", now=at(D(2026, 3, 10))
    )

    first.refresh_from_db()
    assert first.status == "superseded" and first.superseded_by == second
    assert first.superseded_on == D(2026, 4, 1)  # in force until its successor takes effect
    assert second.agreed_on == D(2026, 3, 10)
    assert AgreementVersion.objects.filter(agreement=agreement, status="agreed").get() == second
    verbs = set(AuditEvent.objects.values_list("verb", flat=True))
    assert {"agreement_version.superseded", "agreement_version.status"} <= verbs
    # The old version stays readable, and in force until the new one starts.
    assert agreements_in_force(D(2026, 3, 31)).get() == first
    assert agreements_in_force(D(2026, 4, 1)).get() == second
    assert agreements_in_force(D(2024, 12, 31)).count() == 0


def test_one_version_at_a_time_is_agreed_or_worked_on(people, make_sla):
    version = make_sla()
    draft = agreement_version_new(actor=people.lead, agreement=version.agreement)
    with pytest.raises(ValidationError):
        agreement_version_new(actor=people.lead, agreement=version.agreement)
    with pytest.raises(IntegrityError):
        AgreementVersion.objects.filter(pk=version.pk).update(status=VersionStatus.DRAFT)
    assert draft.number == 2


def test_only_drafts_change(people, make_sla):
    version = make_sla()
    with pytest.raises(ValidationError):
        agreement_version_update(actor=people.lead, version=version, body="new text")
    with pytest.raises(ValidationError):
        agreement_target_add(
            actor=people.lead, version=version, metric="availability", target_value=99,
            unit="percent",
        )  # fmt: skip
    with pytest.raises(ValidationError):
        agreement_target_remove(actor=people.lead, target=version.targets.first())
    with pytest.raises(PermissionDenied):
        agreement_version_new(actor=people.auditor, agreement=version.agreement)


def test_the_parties_of_an_agreed_agreement_are_fixed(people, make_sla):
    version = make_sla()
    agreement = agreement_update(actor=people.lead, agreement=version.agreement, title="Renamed")
    assert agreement.title == "Renamed"
    with pytest.raises(ValidationError):
        agreement_update(
            actor=people.lead,
            agreement=agreement,
            customers=[people.customer_a, people.customer_b],
        )


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"metric": "availability", "target_value": "101", "unit": "percent"}, "target_value"),
        ({"metric": "availability", "target_value": "99", "unit": "minutes"}, "unit"),
        ({"metric": "resolution", "target_value": "4", "unit": "percent"}, "unit"),
        ({"metric": "resolution", "target_value": "-4", "unit": "hours"}, "target_value"),
        ({"metric": "resolution", "target_value": "NaN", "unit": "hours"}, "target_value"),
        ({"metric": "other", "target_value": "4", "unit": "count"}, "label"),
        ({"metric": "resolution", "target_value": "4", "unit": "hours", "priority": "P9"},
         "priority"),
        ({"metric": "speed", "target_value": "4", "unit": "hours"}, "metric"),
    ],
)  # fmt: skip
def test_targets_are_validated(people, make_sla, fields, error_field):
    version = make_sla(until="draft")
    with pytest.raises(ValidationError) as error:
        agreement_target_add(actor=people.lead, version=version, **fields)
    assert error_field in error.value.message_dict


def test_a_target_links_a_desk_policy_only_for_desk_metrics_and_a_service_covered(
    people, cust, make_sla, desk_policy
):
    from serviceloop.desk.tests.factories import SlaPolicyVersionFactory

    version = make_sla(until="draft")
    other = SlaPolicyVersionFactory(policy__name="Other")
    cases = [
        ({"metric": "availability", "unit": "percent", "sla_policy": desk_policy.policy},
         "sla_policy"),
        ({"metric": "resolution", "unit": "hours", "sla_policy": desk_policy.policy,
          "sla_policy_version": other}, "sla_policy_version"),
        ({"metric": "resolution", "unit": "hours", "service": cust.portal}, "service"),
    ]  # fmt: skip
    for fields, error_field in cases:
        with pytest.raises(ValidationError) as error:
            agreement_target_add(actor=people.lead, version=version, target_value=4, **fields)
        assert error_field in error.value.message_dict
    target = agreement_target_add(
        actor=people.lead, version=version, metric="resolution", priority="P2", target_value=8,
        unit="hours", sla_policy_version=desk_policy,
    )  # fmt: skip
    assert target.sla_policy == desk_policy.policy  # the policy follows its version


# --- Queries other areas use ---------------------------------------------------------------


def test_services_without_an_sla_in_force(people, cust, make_sla):
    today = timezone.localdate()
    assert list(services_without_agreement(today)) == [cust.erp, cust.mail, cust.portal]
    make_sla(valid_from=today - datetime.timedelta(days=10), services=[cust.erp])
    assert list(services_without_agreement(today)) == [cust.mail, cust.portal]
    # Customer B uses ERP too, but A's SLA does not cover B.
    assert [(s.code, o.short_name) for s, o in service_customers_without_agreement(today)] == [
        ("erp", "CB"),
        ("mail", "CA"),
        ("portal", "CB"),
    ]
    assert list(services_without_agreement(today - datetime.timedelta(days=11))) == [
        cust.erp,
        cust.mail,
        cust.portal,
    ]


def test_drafts_and_expired_versions_are_not_in_force(people, cust, make_sla):
    make_sla(until="in_review")
    assert not agreements_in_force(D(2026, 6, 1)).exists()
    version = make_sla(valid_from=D(2026, 1, 1), now=at(D(2026, 1, 1)))
    AgreementVersion.objects.filter(pk=version.pk).update(valid_until=D(2026, 5, 31))
    assert agreements_in_force(D(2026, 5, 31)).get() == version
    assert not agreements_in_force(D(2026, 6, 1)).exists()


def test_availability_target_prefers_the_service_row_and_the_strictest(people, cust, make_sla):
    day = D(2026, 6, 1)
    version = make_sla(until="draft", availability="99.0", now=at(D(2026, 1, 1)))
    agreement_target_add(
        actor=people.lead, version=version, metric="availability", target_value="99.9",
        unit="percent", service=cust.mail,
    )  # fmt: skip
    agreement_version_transition(actor=people.lead, version=version, target="in_review",
                                 now=at(D(2026, 1, 2)))  # fmt: skip
    agreement_version_transition(actor=people.owner, version=version, target="agreed",
                                 now=at(D(2026, 1, 3)))  # fmt: skip
    make_sla(
        customers=[people.customer_a, people.customer_b], services=[cust.erp],
        availability="99.5", now=at(D(2026, 1, 3)),
    )  # fmt: skip

    assert availability_target(cust.mail, people.customer_a, day) == Decimal("99.9")
    assert availability_target(cust.erp, people.customer_a, day) == Decimal("99.5")
    assert availability_target(cust.erp, people.customer_b, day) == Decimal("99.5")
    assert availability_target(cust.portal, people.customer_b, day) is None
    assert availability_target(cust.mail, people.customer_b, day) is None
    assert availability_target(cust.erp, None, day) == Decimal("99.5")
    assert availability_target(cust.erp, people.customer_a, D(2025, 12, 31)) is None


def test_desk_alignment_names_the_policy_version_the_desk_applies(people, make_sla, desk_policy):
    from serviceloop.desk.tests.factories import SlaPolicyVersionFactory

    version = make_sla(until="draft")
    agreement_target_add(
        actor=people.lead, version=version, metric="resolution", priority="P1",
        target_value=2, unit="hours", sla_policy=desk_policy.policy,
        sla_policy_version=desk_policy,
    )  # fmt: skip
    agreement_target_add(
        actor=people.lead, version=version, metric="resolution", priority="P2", target_value=8,
        unit="hours",
    )  # fmt: skip
    targets = version.targets.select_related("sla_policy", "sla_policy_version")

    rows = {(r.target.metric, r.target.priority): r for r in desk_alignment(targets)}
    # STANDARD_TARGETS: P1 response 30 min (agreed 30: met), P1 resolution 240 (agreed 120).
    assert rows[("first_response", "P1")].state == "match"
    assert rows[("first_response", "P1")].applied_version == desk_policy
    assert rows[("first_response", "P1")].desk_minutes == 30
    assert rows[("resolution", "P1")].state == "differs"
    assert rows[("resolution", "P2")].state == "unlinked"
    assert rows[("availability", "")].state == "n/a"
    newer = SlaPolicyVersionFactory(policy=desk_policy.policy)
    rows = {(r.target.metric, r.target.priority): r for r in desk_alignment(targets)}
    assert rows[("resolution", "P1")].state == "outdated"
    assert rows[("first_response", "P1")].applied_version == newer


# --- Reviews and reminders -----------------------------------------------------------------


def test_review_reminders_go_out_once_per_version_and_review_date(people, make_sla):
    version = make_sla(review_on=D(2026, 12, 15))

    assert agreement_review_reminders_run(today=D(2026, 11, 20)) == 0  # more than 14 days
    assert agreement_review_reminders_run(today=D(2026, 12, 1)) == 1
    assert agreement_review_reminders_run(today=D(2026, 12, 1)) == 0
    assert agreement_review_reminders_run(today=D(2026, 12, 20)) == 0  # overdue: still once
    notes = Notification.objects.filter(kind="agreement_review_due")
    # The account manager of customer A wrote the version: one notification.
    assert [n.recipient for n in notes] == [people.lead]
    assert version.agreement.reference in notes[0].subject

    version = agreement_version_reviewed(
        actor=people.lead,
        version=version,
        next_review_on=D(2027, 12, 15),
        note="Still fits",
        now=at(D(2026, 12, 20)),
    )
    assert version.last_reviewed_on == D(2026, 12, 20)
    assert agreement_review_reminders_run(today=D(2027, 12, 5)) == 1
    assert agreement_review_reminders_run(today=D(2027, 12, 6)) == 0


def test_only_the_agreed_version_is_reviewed_and_only_by_a_submitter(people, make_sla):
    version = make_sla(review_on=D(2026, 12, 15))
    with pytest.raises(PermissionDenied):
        agreement_version_reviewed(
            actor=people.agent, version=version, next_review_on=D(2099, 1, 1)
        )
    with pytest.raises(ValidationError):
        agreement_version_reviewed(
            actor=people.owner, version=version, next_review_on=D(2000, 1, 1)
        )
    draft = agreement_version_new(actor=people.lead, agreement=version.agreement)
    with pytest.raises(ValidationError):
        agreement_version_reviewed(actor=people.owner, version=draft, next_review_on=D(2099, 1, 1))


def test_superseded_and_draft_versions_are_not_reminded(people, make_sla):
    version = make_sla(review_on=D(2026, 12, 15))
    agreement_version_new(actor=people.lead, agreement=version.agreement)
    AgreementVersion.objects.filter(pk=version.pk).update(status="superseded")
    assert agreement_review_reminders_run(today=D(2026, 12, 10)) == 0


def test_the_periodic_task_runs_the_review_reminders(people, make_sla):
    from serviceloop.relationship.tasks_customers import agreement_review_reminders

    make_sla(review_on=timezone.localdate())
    assert agreement_review_reminders.call_local() == 1
    assert agreement_review_reminders.call_local() == 0


def test_targets_keep_their_order_when_copied(people, make_sla):
    version = make_sla()
    draft = agreement_version_new(actor=people.lead, agreement=version.agreement)
    assert [t.position for t in draft.targets.all()] == [1, 2]
    assert AgreementTarget.objects.filter(version=version).count() == 2
    assert TargetMetric.AVAILABILITY in draft.targets.values_list("metric", flat=True)
    assert TargetUnit.PERCENT in draft.targets.values_list("unit", flat=True)
