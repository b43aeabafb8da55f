"""Fixtures of the documents and competence tests (imported by their modules; this module
holds no tests of its own).

``docs.document(...)`` writes a document through the services and, with ``effective=True``
(the default), submits version 1 as the management-system owner and has top management
approve it, so it is in force today. ``skills`` holds two competences, a desk category routed
to a team of the lead and the agent, and requirements on them.
"""

import datetime
import types

import pytest
from django.utils import timezone

DAY = datetime.timedelta(days=1)


@pytest.fixture
def docs(people):
    from serviceloop.support import services_document_campaigns as campaign_services
    from serviceloop.support import services_document_versions as version_services
    from serviceloop.support import services_documents as services

    def document(
        *,
        title="信息安全方针 Information security policy",
        body="<p>我们保护客户数据。We protect customer data.</p>",
        kind="policy",
        effective=True,
        author=None,
        approver=None,
        **kwargs,
    ):
        author = author or people.owner
        created = services.document_create(
            actor=author, title=title, kind=kind, body=body, **kwargs
        )
        if effective:
            version = created.current_version
            version_services.version_transition(actor=author, version=version, target="in_review")
            version_services.version_approve(actor=approver or people.top, version=version)
        created.refresh_from_db()
        return created

    def revise(document, *, body="<p>第二版 Second version.</p>", author=None, **kwargs):
        return version_services.version_create(
            actor=author or people.owner, document=document, body=body, **kwargs
        )

    return types.SimpleNamespace(
        document=document,
        revise=revise,
        services=services,
        version_services=version_services,
        campaign_services=campaign_services,
    )


@pytest.fixture
def skills(people):
    from serviceloop.core.models import Team
    from serviceloop.desk.models import Category
    from serviceloop.support import services_communication as communication
    from serviceloop.support import services_competence as services
    from serviceloop.support import services_training as training

    owner = people.owner
    team = Team.objects.create(organisation=people.provider, name="二线运维 Infrastructure")
    team.members.set([people.lead, people.agent])
    network = Category.objects.create(name="网络 Network", default_team=team)
    mail = Category.objects.create(name="邮件 E-mail")
    routing = services.competence_create(
        actor=owner, name="网络排障 Network troubleshooting", category="事件管理 Incident"
    )
    itil = services.competence_create(
        actor=owner, name="ITIL 4 Foundation", category="服务管理 Service management"
    )
    services.requirement_set(actor=owner, competence=routing, level=3, category=network)
    services.requirement_set(actor=owner, competence=itil, level=2, category=network)
    services.requirement_set(actor=owner, competence=itil, level=1, role="agent")
    today = timezone.localdate()
    return types.SimpleNamespace(
        team=team,
        network=network,
        mail=mail,
        routing=routing,
        itil=itil,
        today=today,
        services=services,
        training=training,
        communication=communication,
    )
