"""The demo organisation: a provider, two customers, people of every role, calendars.

``demo_load`` is idempotent: what exists is left alone, what is missing is created. Later
areas extend it with their own records. Passwords are random and printed once, unless
SERVICELOOP_DEMO_PASSWORD sets one password for every demo account.
"""

import os
import secrets
from dataclasses import dataclass

from django.db import transaction

from serviceloop.core.models import Calendar, Organisation, OrganisationKind, Team, User
from serviceloop.core.roles import Role
from serviceloop.core.services.calendars import calendar_create
from serviceloop.core.services.notifications import notify
from serviceloop.core.services.organisations import organisation_create, person_create, team_create

PROVIDER = "云栈科技 CloudStack Tech"
CUSTOMERS = (
    ("华东物流 East China Logistics", "ECL", "ecl.example.cn"),
    ("明德大学 Mingde University", "MDU", "mingde.example.edu.cn"),
)


@dataclass(frozen=True)
class DemoPerson:
    username: str
    display_name: str
    role: str
    organisation: str  # PROVIDER or a customer short name
    language: str = "zh-hans"


PEOPLE = (
    DemoPerson("admin", "王磊 Wang Lei", Role.PROVIDER_ADMIN, PROVIDER),
    DemoPerson("owner", "李娜 Li Na", Role.SYSTEM_OWNER, PROVIDER),
    DemoPerson("lead", "张伟 Zhang Wei", Role.TEAM_LEAD, PROVIDER),
    DemoPerson("agent", "刘洋 Liu Yang", Role.AGENT, PROVIDER),
    DemoPerson("agent2", "Emma Clarke", Role.AGENT, PROVIDER, "en"),
    DemoPerson("auditor", "陈静 Chen Jing", Role.AUDITOR, PROVIDER),
    DemoPerson("ceo", "赵敏 Zhao Min", Role.TOP_MANAGEMENT, PROVIDER),
    DemoPerson("ecl.manager", "孙强 Sun Qiang", Role.CUSTOMER_MANAGER, "ECL"),
    DemoPerson("ecl.user", "周婷 Zhou Ting", Role.CUSTOMER_USER, "ECL"),
    DemoPerson("mdu.manager", "David Brown", Role.CUSTOMER_MANAGER, "MDU", "en"),
    DemoPerson("mdu.user", "吴昊 Wu Hao", Role.CUSTOMER_USER, "MDU"),
)

CALENDARS = (
    {"name": "cn-workdays", "label": "中国工作日 China working days", "preset": "cn-workdays"},
    {"name": "24x7", "label": "7×24 小时 Around the clock", "preset": "24x7"},
    {
        "name": "extended-support",
        "label": "延长支持 Extended support (Mon–Sat 08–20)",
        "preset": "",
        "weekly_hours": {str(day): "08:00-20:00" for day in range(6)},
    },
    {"name": "gb-eng-workdays", "label": "England working days", "preset": "GB-ENG-workdays"},
)


def _random_password(person) -> str:
    """A random password the project's password rules accept for ``person`` (unsaved): a
    random string can, now and then, look too much like the person's name or address."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    while True:
        password = secrets.token_urlsafe(12)
        try:
            validate_password(password, person)
        except ValidationError:
            continue
        return password


def demo_load(write=print) -> dict[str, str]:
    """Create what is missing of the demo data; return {username: password} of new accounts."""
    new_passwords: dict[str, str] = {}
    shared_password = os.environ.get("SERVICELOOP_DEMO_PASSWORD", "")
    with transaction.atomic():
        calendars = {}
        for spec in CALENDARS:
            calendar = Calendar.objects.filter(name=spec["name"]).first()
            if calendar is None:
                fields = {"time_zone": "" if spec["preset"] else "Asia/Shanghai", **spec}
                calendar = calendar_create(
                    actor=None, name=fields.pop("name"), label=fields.pop("label"), **fields
                )
                write(f"calendar {calendar.name}")
            calendars[calendar.name] = calendar

        provider = Organisation.objects.filter(kind=OrganisationKind.PROVIDER).first()
        if provider is None:
            provider = organisation_create(
                actor=None,
                kind=OrganisationKind.PROVIDER,
                name=PROVIDER,
                short_name="CST",
                calendar=calendars["cn-workdays"],
                email_domain="cloudstack.example.cn",
            )
            write(f"provider {provider}")
        organisations = {PROVIDER: provider}
        for name, short, domain in CUSTOMERS:
            customer = Organisation.objects.filter(name=name).first()
            if customer is None:
                customer = organisation_create(
                    actor=None,
                    kind=OrganisationKind.CUSTOMER,
                    name=name,
                    short_name=short,
                    calendar=calendars["cn-workdays"],
                    email_domain=domain,
                )
                write(f"customer {customer}")
            organisations[short] = customer

        people = {}
        for person in PEOPLE:
            user = User.objects.filter(username=person.username).first()
            if user is None:
                organisation = organisations[person.organisation]
                email = f"{person.username}@{organisation.email_domain or 'example.cn'}"
                password = shared_password or _random_password(
                    User(username=person.username, email=email, display_name=person.display_name)
                )
                user = person_create(
                    actor=None,
                    organisation=organisation,
                    username=person.username,
                    role=person.role,
                    password=password,
                    display_name=person.display_name,
                    email=email,
                    language=person.language,
                )
                new_passwords[person.username] = password
                notify(recipients=[user], kind="welcome", url="/")
            people[person.username] = user

        for name, lead, members in (
            ("一线服务台 Service Desk", "lead", ("lead", "agent", "agent2")),
            ("二线运维 Infrastructure", "lead", ("lead", "agent2")),
        ):
            if not Team.objects.filter(organisation=provider, name=name).exists():
                team_create(
                    actor=None,
                    organisation=provider,
                    name=name,
                    lead=people[lead],
                    members=[people[m] for m in members],
                )
                write(f"team {name}")
    return new_passwords
