"""Security settings at work: login throttling, CSP and other headers, CSRF, cookies, the
deployment checklist and the refusal to start in production without a SECRET_KEY."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from serviceloop.core.models import Organisation
from serviceloop.core.tests.factories import PASSWORD

LOGIN = "/accounts/login/"


def sign_in(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


# --- Login throttling (django-axes) ------------------------------------------------------


def test_the_right_password_signs_in(people, client):
    response = sign_in(client, "agent", PASSWORD)

    assert response.status_code == 302
    assert response.url == reverse("home")


def test_failed_logins_below_the_limit_do_not_lock_the_account(people, client):
    for _ in range(django_settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "agent", "wrong password").status_code == 200

    assert sign_in(client, "agent", PASSWORD).status_code == 302


def test_after_the_failure_limit_even_the_right_password_is_locked_out(people, client):
    answers = [
        sign_in(client, "agent", "wrong password").status_code
        for _ in range(django_settings.AXES_FAILURE_LIMIT)
    ]

    locked = sign_in(client, "agent", PASSWORD)

    assert answers[:-1] == [200] * (django_settings.AXES_FAILURE_LIMIT - 1)
    assert locked.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in locked.templates]
    assert "_auth_user_id" not in client.session
    # another account from the same address is not locked by someone else's failures
    assert sign_in(Client(), "auditor", PASSWORD).status_code == 302


# --- Response headers and cookies --------------------------------------------------------


@pytest.mark.parametrize("signed_in", [False, True])
def test_pages_carry_a_strict_content_security_policy(signed_in, people, client_for):
    client = client_for(people.agent if signed_in else None)

    response = client.get(reverse("home") if signed_in else LOGIN)

    policy = response["Content-Security-Policy"]
    assert response.status_code == 200
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_the_session_cookie_is_http_only_and_same_site(people, client):
    response = sign_in(client, "agent", PASSWORD)

    cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


# --- CSRF ----------------------------------------------------------------------------------


@pytest.fixture
def csrf_client(people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.admin)
    return client


def test_a_post_without_a_csrf_token_is_refused(csrf_client):
    response = csrf_client.post(
        reverse("organisation_create"),
        {"kind": "customer", "name": "Forged Co", "time_zone": "Asia/Shanghai"},
    )

    assert response.status_code == 403
    assert not Organisation.objects.filter(name="Forged Co").exists()


def test_a_post_with_the_forms_csrf_token_is_accepted(csrf_client):
    form_page = csrf_client.get(reverse("organisation_create"))
    token = form_page.context["csrf_token"]

    response = csrf_client.post(
        reverse("organisation_create"),
        {
            "kind": "customer",
            "name": "Real Co",
            "time_zone": "Asia/Shanghai",
            "csrfmiddlewaretoken": str(token),
        },
    )

    assert response.status_code == 302
    assert Organisation.objects.filter(name="Real Co").exists()


def test_the_api_with_a_session_needs_the_csrf_token_too(people):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(people.admin)

    response = client.post(
        "/api/v1/organisations/", {"kind": "customer", "name": "Forged Co"}, format="json"
    )

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Organisation.objects.filter(name="Forged Co").exists()


# --- Production configuration (subprocesses with a clean environment) ---------------------


def _production_env(tmp_path, **extra):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "serviceloop.settings",
        "SERVICELOOP_DATA_DIR": str(tmp_path / "data"),
        "SERVICELOOP_DEBUG": "0",
    }
    env.update(extra)
    return env


def _run(command, env):
    return subprocess.run(  # noqa: S603 - our own interpreter and script
        command, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_deployment_checklist_passes_with_production_settings(tmp_path):
    env = _production_env(
        tmp_path,
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="servicedesk.example.org",
    )

    result = _run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"], env
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr


def test_a_production_start_without_secret_key_stops_with_a_clear_message(tmp_path):
    script = Path(sys.executable).with_name("serviceloop")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "serviceloop.cli"]

    result = _run([*command, "check"], _production_env(tmp_path))

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "SERVICELOOP_DEBUG=1" in result.stderr  # it says how to start a local trial
    assert "Traceback" not in result.stderr
