"""The customers part's demo records: what they hold, and that loading twice adds nothing."""

import pytest
from django.utils import timezone

from serviceloop.core.demo import demo_load
from serviceloop.core.models import Organisation
from serviceloop.relationship.demo_customers import demo_records
from serviceloop.relationship.models import (
    Agreement,
    AgreementVersion,
    CustomerAccount,
    CustomerContact,
    ReviewAction,
    ReviewMeeting,
    Survey,
    SurveyResponse,
)
from serviceloop.relationship.queries_agreements import (
    agreements_in_force,
    availability_target,
    desk_alignment,
)
from serviceloop.relationship.tests.fixtures_customers import make_service


@pytest.fixture
def demo(db):
    demo_load(write=lambda line: None)
    ecl = Organisation.objects.get(short_name="ECL")
    mdu = Organisation.objects.get(short_name="MDU")
    services = {
        "erp": make_service("erp", "ERP", customers=[ecl]),
        "wms": make_service("wms", "WMS 仓储", customers=[ecl]),
        "campus": make_service("campus", "Campus network", customers=[mdu]),
    }
    return ecl, mdu, services


def test_the_demo_holds_every_kind_of_record_and_loads_once(demo):
    ecl, mdu, services = demo
    created = demo_records(write=lambda line: None)

    assert created > 0
    assert CustomerAccount.objects.count() == 2
    assert CustomerContact.objects.filter(account__organisation=ecl).count() == 3
    assert CustomerContact.objects.filter(is_primary=True).count() == 2
    assert ReviewMeeting.objects.count() == 2 and ReviewAction.objects.count() == 5
    assert ReviewAction.objects.overdue(timezone.localdate()).exists()
    survey = Survey.objects.get()
    assert survey.status == "open" and SurveyResponse.objects.count() == 4

    for organisation in (ecl, mdu):
        sla = Agreement.objects.get(kind="sla", customers=organisation)
        statuses = list(sla.versions.order_by("number").values_list("status", flat=True))
        assert statuses == ["superseded", "agreed"]
        current = agreements_in_force(timezone.localdate()).get(agreement=sla)
        assert current.number == 2 and current.targets.filter(sla_policy__isnull=False).exists()
        assert {r.state for r in desk_alignment(current.targets.all())} <= {"match", "n/a"}
    assert "服务台" in AgreementVersion.objects.filter(agreement__kind="sla").first().body
    ola = Agreement.objects.get(kind="ola")
    assert ola.teams.count() == 2 and ola.versions.get().status == "agreed"
    assert availability_target(services["wms"], ecl, timezone.localdate()) == 99.5

    assert demo_records(write=lambda line: None) == 0
    assert Agreement.objects.count() == 3 and SurveyResponse.objects.count() == 4
