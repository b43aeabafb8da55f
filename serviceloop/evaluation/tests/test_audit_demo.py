"""The internal-audit demo: one audit cycle with findings, on top of the earlier demos,
loaded twice without duplicates."""

import pytest

from serviceloop.evaluation.models import Audit, AuditProgramme, Finding
from serviceloop.evaluation.queries_audits import programme_coverage
from serviceloop.improvement.models import Improvement, Nonconformity


@pytest.mark.parametrize("with_competence_demo", [True, False])
def test_the_demo_holds_one_audit_cycle_and_loads_once(db, clauses, with_competence_demo):
    from serviceloop.core.demo import demo_load
    from serviceloop.evaluation.demo_audits import demo_records

    demo_load(write=lambda *_: None)
    if with_competence_demo:
        from serviceloop.support.demo_competence import demo_records as competence_demo

        competence_demo(write=lambda *_: None)

    created = demo_records(write=lambda *_: None)
    again = demo_records(write=lambda *_: None)

    programme = AuditProgramme.objects.get()
    audit = Audit.objects.get()
    assert created > 0 and again == 0
    assert (programme.status, audit.status) == ("approved", "reported")
    assert audit.lead_auditor.username == "auditor"
    assert sorted(Finding.objects.values_list("kind", "status")) == [
        ("minor_nc", "action_planned"), ("observation", "closed"), ("ofi", "open"),
    ]  # fmt: skip
    nc = Finding.objects.get(kind="minor_nc")
    assert Nonconformity.objects.get().reference == nc.nonconformity_reference
    assert Improvement.objects.get().source_reference == Finding.objects.get(kind="ofi").reference
    assert not audit.checklist.filter(result="").exists()
    assert programme_coverage(programme).gaps == []
    assert programme.lines.get(clause__number="8.6.1").owner_team.name.startswith("一线服务台")
