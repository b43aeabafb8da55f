"""Shared pytest fixtures for every ServiceLoop app.

``people`` is the cast most tests start from: the provider with one person per provider
role, two customer organisations with a manager and a user each, and an outsider (a user
of a third customer organisation). ``client_for(user)`` and ``api_client_for(user)`` give
signed-in clients. Tests marked ``postgres`` are skipped unless the suite runs on
PostgreSQL (``DATABASE_URL=postgres://...``).
"""

import types
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client


def _database_is_postgresql() -> bool:
    return "postgresql" in django_settings.DATABASES["default"]["ENGINE"]


def pytest_configure(config):
    # WhiteNoise warns on every request when STATIC_ROOT is missing; tests never collect.
    Path(django_settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


def pytest_collection_modifyitems(config, items):
    if _database_is_postgresql():
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: run with DATABASE_URL=postgres://...")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _uploads_in_tmp_path(settings, tmp_path):
    """Each test stores uploaded files in its own directory, removed with tmp_path."""
    settings.MEDIA_ROOT = tmp_path / "uploads"


@pytest.fixture
def people(db):
    """The provider and its staff (one per provider role), two customers with a manager and
    a user each, and an outsider from a third customer. Returns a namespace:

    organisations ``provider``, ``customer_a``, ``customer_b``, ``outsider_org``;
    staff ``admin``, ``owner``, ``lead``, ``agent``, ``auditor``, ``top``;
    customers ``a_manager``, ``a_user``, ``b_manager``, ``b_user``; and ``outsider``.
    ``staff`` and ``customers`` map each of these names to its user.
    """
    from serviceloop.core.roles import Role
    from serviceloop.core.tests.factories import OrganisationFactory, UserFactory

    provider = OrganisationFactory(provider=True, name="Provider Ltd 服务商")
    customer_a = OrganisationFactory(name="Customer A 甲方", short_name="CA")
    customer_b = OrganisationFactory(name="Customer B 乙方", short_name="CB")
    outsider_org = OrganisationFactory(name="Outsider Org", short_name="OUT")

    def person(username, role, organisation):
        return UserFactory(username=username, role=role, organisation=organisation)

    staff = {
        "admin": person("admin", Role.PROVIDER_ADMIN, provider),
        "owner": person("owner", Role.SYSTEM_OWNER, provider),
        "lead": person("lead", Role.TEAM_LEAD, provider),
        "agent": person("agent", Role.AGENT, provider),
        "auditor": person("auditor", Role.AUDITOR, provider),
        "top": person("top", Role.TOP_MANAGEMENT, provider),
    }
    customers = {
        "a_manager": person("a.manager", Role.CUSTOMER_MANAGER, customer_a),
        "a_user": person("a.user", Role.CUSTOMER_USER, customer_a),
        "b_manager": person("b.manager", Role.CUSTOMER_MANAGER, customer_b),
        "b_user": person("b.user", Role.CUSTOMER_USER, customer_b),
        "outsider": person("outsider", Role.CUSTOMER_USER, outsider_org),
    }
    return types.SimpleNamespace(
        provider=provider,
        customer_a=customer_a,
        customer_b=customer_b,
        outsider_org=outsider_org,
        staff=staff,
        customers=customers,
        **staff,
        **customers,
    )


@pytest.fixture
def client_for(db):
    """``client_for(user)``: a test client signed in as ``user`` (``None``: anonymous)."""

    def make(user=None, **kwargs):
        client = Client(**kwargs)
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def api_client_for(db):
    """``api_client_for(user)``: a DRF client with a session for ``user`` (``None``:
    anonymous); send bodies with ``format="json"``."""
    from rest_framework.test import APIClient

    def make(user=None):
        client = APIClient()
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def english(request, settings):
    """Messages in English for tests that read them: the default language, the active one and
    every person's own (set after the ``people`` cast exists, if the test uses it)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    if "people" in request.fixturenames:
        from serviceloop.core.models import User

        request.getfixturevalue("people")
        User.objects.update(language="en")
    with translation.override("en"):
        yield
