"""The web shell: navigation per role, the language switcher, error pages in the layout."""

import re

import pytest
from django.urls import reverse

from serviceloop.core.models import User

# The core app's navigation entries; later apps add their own beside them.
CORE_ENTRIES = {
    "home",
    "my_organisation",
    "organisation_list",
    "person_list",
    "team_list",
    "calendar_list",
    "audit_list",
}
STAFF_ENTRIES = {"home", "organisation_list", "person_list", "team_list", "calendar_list"}
CUSTOMER_ENTRIES = {"home", "my_organisation"}
EXPECTED_NAVIGATION = {
    "admin": STAFF_ENTRIES | {"audit_list"},
    "owner": STAFF_ENTRIES | {"audit_list"},
    "lead": STAFF_ENTRIES,
    "agent": STAFF_ENTRIES,
    "auditor": STAFF_ENTRIES | {"audit_list"},
    "top": STAFF_ENTRIES,
    "a_manager": CUSTOMER_ENTRIES,
    "a_user": CUSTOMER_ENTRIES,
}


def nav_entries(html: str) -> list[str]:
    return re.findall(r'data-nav="([^"]+)"', html)


def html_lang(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


@pytest.mark.parametrize("role", EXPECTED_NAVIGATION)
def test_each_role_sees_its_navigation_entries(role, people, client_for):
    page = client_for(getattr(people, role)).get(reverse("home"))

    entries = nav_entries(page.content.decode())
    assert set(entries) & CORE_ENTRIES == EXPECTED_NAVIGATION[role]
    assert len(entries) == len(set(entries))
    assert entries[0] == "home"


def test_every_navigation_entry_opens_for_the_role_that_sees_it(people, client_for):
    answers = {}
    for role in EXPECTED_NAVIGATION:
        client = client_for(getattr(people, role))
        html = client.get(reverse("home")).content.decode()
        for href in re.findall(r'href="([^"]+)" data-nav=', html):
            answers[(role, href)] = client.get(href, follow=True).status_code

    assert set(answers.values()) == {200}


def test_anonymous_visitors_are_sent_to_sign_in(db, client):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_home_page_shows_counts_to_staff_and_the_trail_to_its_readers(people, client_for):
    auditor = client_for(people.auditor).get(reverse("home"))
    agent = client_for(people.agent).get(reverse("home"))
    customer = client_for(people.a_user).get(reverse("home"))

    assert auditor.context["counts"] == {"customers": 3, "people": 11, "teams": 0}
    assert "recent_audit" in auditor.context and "recent_audit" not in agent.context
    assert "counts" not in customer.context
    assert 'data-testid="count-customers"' not in customer.content.decode()


# --- Language ------------------------------------------------------------------------------


def test_the_product_speaks_chinese_by_default(people, client_for):
    html = client_for(people.agent).get(reverse("home")).content.decode()

    assert html_lang(html) == "zh-hans"
    assert "欢迎您，Agent" in html
    assert 'value="en"' in html and ">English<" in html  # the switch offers the other language


def test_the_language_switcher_switches_and_remembers_the_choice(people, client_for):
    client = client_for(people.agent)

    to_english = client.post(
        reverse("language_switch"), {"language": "en", "next": reverse("person_list")}
    )
    english = client.get(reverse("home")).content.decode()
    back = client.post(reverse("language_switch"), {"language": "zh-hans", "next": "/"})
    chinese = client.get(reverse("home")).content.decode()

    assert to_english.status_code == 302 and to_english.url == reverse("person_list")
    assert html_lang(english) == "en"
    assert "Welcome, Agent" in english and ">中文<" in english
    assert back.url == "/"
    assert html_lang(chinese) == "zh-hans" and "欢迎您，Agent" in chinese
    assert User.objects.get(pk=people.agent.pk).language == "zh-hans"


def test_the_language_choice_follows_the_user_to_a_new_session(people, client_for):
    client_for(people.agent).post(reverse("language_switch"), {"language": "en", "next": "/"})

    html = client_for(people.agent).get(reverse("home")).content.decode()

    assert User.objects.get(pk=people.agent.pk).language == "en"
    assert html_lang(html) == "en"


def test_an_anonymous_visitor_switches_language_by_cookie(db, client):
    response = client.post(reverse("language_switch"), {"language": "en", "next": "/accounts/"})
    login = client.get(reverse("login")).content.decode()

    assert response.cookies["django_language"].value == "en"
    assert html_lang(login) == "en"
    assert "Sign in to ServiceLoop" in login


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x"])
def test_the_language_switcher_does_not_redirect_off_site(db, client, target):
    response = client.post(reverse("language_switch"), {"language": "en", "next": target})

    assert response.url == "/"


def test_an_unknown_language_falls_back_to_the_default(db, client):
    client.post(reverse("language_switch"), {"language": "tlh", "next": "/"})

    assert html_lang(client.get(reverse("login")).content.decode()) == "zh-hans"


# --- Error pages -----------------------------------------------------------------------------


def test_403_renders_in_the_products_layout(people, client_for):
    response = client_for(people.agent).get(
        reverse("organisation_edit", args=[people.customer_a.pk])
    )

    html = response.content.decode()
    assert response.status_code == 403
    assert [t.name for t in response.templates][:2] == ["403.html", "base.html"]
    assert 'data-testid="main-nav"' in html and 'data-nav="person_list"' in html
    assert "您无权执行此操作" in html


def test_404_renders_in_the_products_layout(people, client_for):
    response = client_for(people.b_user).get(
        reverse("organisation_detail", args=[people.customer_a.pk])
    )

    html = response.content.decode()
    assert response.status_code == 404
    assert [t.name for t in response.templates][:2] == ["404.html", "base.html"]
    assert 'data-nav="my_organisation"' in html
    assert "页面不存在" in html
    assert "Customer A" not in html


def test_an_anonymous_visitor_is_sent_to_sign_in_whether_the_record_exists_or_not(people, client):
    missing = client.get("/organisations/999999/")
    existing = client.get(f"/organisations/{people.customer_a.pk}/")

    assert missing.status_code == existing.status_code == 302
    assert missing["Location"] == f"{reverse('login')}?next=/organisations/999999/"


def test_404_for_an_anonymous_visitor_offers_to_sign_in(db, client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert f'href="{reverse("login")}?next=/no-such-page/"' in response.content.decode()


def test_the_api_answers_errors_in_json_not_html(people, api_client_for):
    response = api_client_for(people.b_user).get(f"/api/v1/organisations/{people.customer_a.uuid}/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


def test_500_renders_without_touching_the_database(db, django_assert_num_queries):
    from django.test import RequestFactory

    from serviceloop.core.views.errors import server_error

    with django_assert_num_queries(0):
        response = server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    assert "sl-error-code" in response.content.decode() and "ServiceLoop" in response.text


# --- Profile -------------------------------------------------------------------------------


def test_a_person_changes_his_own_profile_and_language(people, client_for):
    client = client_for(people.a_user)

    response = client.post(
        reverse("profile"),
        {"display_name": "Ann Lee", "phone": "+86 10 1234", "language": "en", "time_zone": ""},
    )
    page = client.get(reverse("profile"))
    html = page.content.decode()

    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"
    person = User.objects.get(pk=people.a_user.pk)
    assert (person.display_name, person.language) == ("Ann Lee", "en")
    assert html_lang(html) == "en"
    assert len(page.context["messages"]) == 1  # "saved", in the language it was saved in
