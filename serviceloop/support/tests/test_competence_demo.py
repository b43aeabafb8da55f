"""The competence demo: competences and requirements, a matrix with a lapsed certification
and gaps, two training sessions (one held that raised a level), the assignment check on
"warn", and a communication plan with records; loading twice adds nothing."""

from serviceloop.core.demo import demo_load
from serviceloop.core.models import Team, User
from serviceloop.desk.models import Category
from serviceloop.support import demo_competence
from serviceloop.support.models import (
    ChangeSource,
    CommunicationItem,
    CommunicationRecord,
    Competence,
    CompetenceRequirement,
    CompetenceSettings,
    PersonCompetence,
    SessionStatus,
    TrainingSession,
)
from serviceloop.support.queries_competence import assignment_check, competence_matrix


def test_the_competence_demo_is_complete_and_idempotent(db):
    demo_load(write=lambda line: None)
    teams = {t.name: t for t in Team.objects.all()}
    for name, team in (
        ("网络 Network", "二线运维 Infrastructure"),
        ("邮件 E-mail", "一线服务台 Service Desk"),
        ("账号与权限 Accounts & access", "一线服务台 Service Desk"),
    ):
        Category.objects.create(name=name, default_team=teams[team])

    created = demo_competence.demo_records(write=lambda line: None)
    again = demo_competence.demo_records(write=lambda line: None)

    assert created > 30 and again == 0
    assert Competence.objects.count() == 6
    assert CompetenceRequirement.objects.filter(category__isnull=False).count() == 3
    assert CompetenceRequirement.objects.exclude(process="").count() == 2
    auditor = User.objects.get(username="auditor")
    assert PersonCompetence.objects.lapsed().get().person == auditor
    owner = User.objects.get(username="owner")
    matrix = competence_matrix(owner)
    assert matrix.lapsed == 1 and matrix.gaps >= 2

    held, planned = (
        TrainingSession.objects.get(status=SessionStatus.HELD),
        TrainingSession.objects.get(status=SessionStatus.PLANNED),
    )
    assert held.attendances.filter(result="pass", level_raised=True).count() == 1
    assert planned.attendances.count() == 3
    agent2 = User.objects.get(username="agent2")
    raised = PersonCompetence.objects.get(person=agent2, competence__name__startswith="网络")
    assert (raised.level, raised.source, raised.session) == (3, ChangeSource.TRAINING, held)

    assert CompetenceSettings.current().assignment_check == "warn"
    agent = User.objects.get(username="agent")
    level, message = assignment_check(agent, Category.objects.get(name="网络 Network"))
    assert level == "warn" and "网络排障" in message

    assert CommunicationItem.objects.count() == 4
    assert CommunicationRecord.objects.count() == 6
    assert CommunicationItem.objects.overdue().count() >= 1
