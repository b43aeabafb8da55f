"""The periodic checks of change and release management: CAB members reminded of their
pending votes, release managers told when early-life support ends.

Each runs any number of times (several workers, a re-run after a crash) and notifies each
person at most once per occasion: the notification's dedupe key decides (a unique row).
"""

import datetime

from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from serviceloop.core.services.notifications import notify
from serviceloop.transition.lifecycle import ChangeStatus, ReleaseStatus
from serviceloop.transition.models import CabVote, ChangeRequest, Release

VOTE_REMINDER_AFTER = datetime.timedelta(hours=24)


def cab_vote_remind(*, now=None) -> int:
    """Remind each CAB member who has not voted on a change waiting for more than a day
    (an emergency change: an hour); once per member, change round and day. Returns the number
    of reminders sent."""
    now = now or timezone.now()
    day = timezone.localdate(now).isoformat()
    sent = 0
    waiting = ChangeRequest.objects.filter(status=ChangeStatus.AWAITING_CAB).prefetch_related(
        "cab_members"
    )
    for change in waiting:
        delay = datetime.timedelta(hours=1) if change.is_emergency else VOTE_REMINDER_AFTER
        if change.updated_at > now - delay:
            continue
        voted = set(
            CabVote.objects.filter(change=change, round=change.cab_round).values_list(
                "voter_id", flat=True
            )
        )
        for member in change.cab_members.all():
            if member.pk in voted:
                continue
            with transaction.atomic():
                sent += len(
                    notify(
                        recipients=[member],
                        kind="change_vote_reminder",
                        context={"change": change},
                        url=reverse("change_vote_page", args=[change.reference]),
                        dedupe_key=f"change-vote-reminder:{change.pk}:{change.cab_round}:{day}",
                    )
                )
    return sent


def release_els_notify(*, now=None) -> int:
    """Tell the release manager once when a deployed release's early-life support has ended
    (so it is reviewed and closed). Returns the number of notices sent."""
    now = now or timezone.now()
    sent = 0
    ended = (
        Release.objects.filter(status=ReleaseStatus.DEPLOYED, els_end__lte=now, owner__isnull=False)
        .select_related("owner")
        .annotate(incident_count=Count("incident_links"))
    )
    for release in ended:
        with transaction.atomic():
            sent += len(
                notify(
                    recipients=[release.owner],
                    kind="release_els_ended",
                    context={"release": release, "incident_count": release.incident_count},
                    url=reverse("release_detail", args=[release.reference]),
                    dedupe_key=f"release-els-ended:{release.pk}:{release.els_end.isoformat()}",
                )
            )
    return sent
