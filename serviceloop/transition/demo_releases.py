"""Demo releases of the transition demo (``demo.demo_records``): a release in early-life
support with its deployments, acceptance results and incidents, and a planned release.
Idempotent: a release whose name exists is left alone.
"""

from serviceloop.transition import services_release_deployments, services_releases
from serviceloop.transition.demo_changes import DAY, HOUR, night_window, service_coded
from serviceloop.transition.lifecycle import ReleaseStatus
from serviceloop.transition.models import ChangeRequest, Release


def demo_releases(people, now, write) -> int:
    """The demo releases: one in early-life support with its incidents, one planned."""
    created = 0
    agent, agent2 = people["agent"], people["agent2"]
    name = "ERP 2026 第一季度发布 ERP Q1 release"
    if not Release.objects.filter(name=name).exists():
        changes = list(
            ChangeRequest.objects.filter(
                title__in=[
                    "重启 ERP 应用服务器 Restart ERP app server 01",
                    "紧急修补 OpenSSL 漏洞 Emergency OpenSSL patch (CVE)",
                ]
            )
        )
        start = now - 10 * DAY
        release = services_releases.release_create(
            actor=agent,
            name=name,
            description="Quarterly ERP maintenance: restarts, patches, the report fixes.",
            changes=changes,
            services=[s for s in (service_coded("erp"), service_coded("network")) if s],
            planned_deploy_at=now - 4 * DAY,
            els_end=now + 10 * DAY,
            criteria=[
                "登录正常 Logins work",
                "月结报表一致 Month-end report totals match",
                "性能不低于基线 Response times within baseline",
            ],
            now=start,
        )
        release = services_release_deployments.release_transition(
            actor=agent, release=release, target=ReleaseStatus.TESTING, now=start + HOUR
        )
        services_release_deployments.release_deploy(
            actor=agent2,
            release=release,
            environment="dev",
            outcome="succeeded",
            deployed_at=now - 8 * DAY,
            now=now - 8 * DAY,
        )
        services_release_deployments.release_deploy(
            actor=agent2,
            release=release,
            environment="test",
            outcome="succeeded",
            deployed_at=now - 6 * DAY,
            now=now - 6 * DAY,
        )
        for criterion in release.criteria.all():
            services_releases.release_criterion_record(
                actor=agent,
                criterion=criterion,
                result="pass",
                note="UAT sign-off by ECL.",
                now=now - 5 * DAY,
            )
        release = services_release_deployments.release_transition(
            actor=agent, release=release, target=ReleaseStatus.DEPLOYING, now=now - 5 * DAY
        )
        services_release_deployments.release_deploy(
            actor=agent2,
            release=release,
            environment="prod",
            outcome="succeeded",
            deployed_at=now - 4 * DAY,
            now=now - 4 * DAY,
        )
        release = services_release_deployments.release_transition(
            actor=agent, release=release, target=ReleaseStatus.DEPLOYED, now=now - 4 * DAY + HOUR
        )
        from serviceloop.transition.queries import els_incidents

        during = list(els_incidents(release, now=now)[:2])
        if during:
            services_releases.release_tag_incidents(
                actor=agent, release=release, incidents=during, now=now
            )
        created += 1
        write(f"release {release.reference} {name}")
    planned_name = "ERP 数据库升级发布 ERP database upgrade release"
    if not Release.objects.filter(name=planned_name).exists():
        release = services_releases.release_create(
            actor=agent,
            name=planned_name,
            changes=list(
                ChangeRequest.objects.filter(
                    title="ERP 数据库小版本升级 Minor upgrade of the ERP database"
                )
            ),
            services=[s for s in (service_coded("erp"),) if s],
            planned_deploy_at=night_window(6, 22, now)[0],
            els_end=night_window(20, 22, now)[0],
            criteria=["回归测试通过 Regression suite passes", "备份可恢复 Backup restores"],
            now=now - DAY,
        )
        created += 1
        write(f"release {release.reference} {planned_name}")
    return created
