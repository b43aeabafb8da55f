"""Fixtures of the knowledge tests, on top of the root ``people`` cast.

``knowledge_index``: the full-text index in the test database, created once per session by
``search_knowledge.forwards`` as the migration creates it (tests run without migrations).
``kb``: two live services (ERP for customer A, VPN for customer B), two categories, and
``kb.article(...)``, which writes an article through the services and, with ``publish=True``
(the default), submits and publishes it as the team lead; ``kb.services`` and ``kb.feedback``
are the knowledge services (articles; readers' feedback).
"""

import types

import pytest
from django.apps import apps
from django.db import connection

from serviceloop.support import search_knowledge


@pytest.fixture(scope="session")
def knowledge_index(django_db_setup, django_db_blocker):
    """The index as the migration's RunPython creates it (and drops it, and creates it
    again: both directions are idempotent)."""
    with django_db_blocker.unblock():
        with connection.schema_editor() as editor:
            search_knowledge.forwards(apps, editor)
            search_knowledge.forwards(apps, editor)
            search_knowledge.backwards(apps, editor)
            search_knowledge.backwards(apps, editor)
        assert not search_knowledge.index_installed(connection)
        with connection.schema_editor() as editor:
            search_knowledge.forwards(apps, editor)
        search_knowledge.index_install(connection)  # what knowledge_reindex runs: a no-op now
        assert search_knowledge.index_installed(connection)


@pytest.fixture
def kb(people, knowledge_index):
    from serviceloop.portfolio.models import Service
    from serviceloop.support import services_knowledge as services
    from serviceloop.support import services_knowledge_feedback as feedback
    from serviceloop.support.models import Audience, KnowledgeCategory

    erp = Service.objects.create(code="erp", name="ERP 企业资源计划", status="live")
    erp.customers.set([people.customer_a])
    vpn = Service.objects.create(code="vpn", name="VPN 远程接入", status="live")
    vpn.customers.set([people.customer_b])
    devices = KnowledgeCategory.objects.create(name="办公终端 Workplace devices")
    network = KnowledgeCategory.objects.create(name="网络 Network")

    def article(
        *,
        title="打印机故障排除 Printer troubleshooting",
        body="<p>打印机无法打印时，先检查纸盒和墨粉。</p>",
        audience=Audience.CUSTOMERS,
        publish=True,
        author=None,
        **kwargs,
    ):
        author = author or people.agent
        created = services.article_create(
            actor=author, title=title, body=body, audience=audience, **kwargs
        )
        if publish:
            services.article_transition(actor=author, article=created, target="in_review")
            services.article_transition(actor=people.lead, article=created, target="published")
        created.refresh_from_db()
        return created

    return types.SimpleNamespace(
        erp=erp,
        vpn=vpn,
        devices=devices,
        network=network,
        article=article,
        services=services,
        feedback=feedback,
    )
