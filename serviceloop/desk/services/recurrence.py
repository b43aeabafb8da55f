"""Recurring-incident detection: clusters of similar incidents proposed as problems.

Once a day (``desk.tasks.recurring_incidents``) ``recurrence_detect`` looks at the incidents
raised in a sliding window (``DESK_RECURRENCE_DAYS``, default 30) that are not linked to a
problem and not cancelled, and finds clusters of at least ``DESK_RECURRENCE_THRESHOLD``
(default 5) incidents:

(a) the same service and category (both set);
(b) similar titles: the Jaccard similarity of their token sets (jieba's ``cut_for_search``
    minus stop tokens, see ``title_tokens``) is at least 0.5, joined by single link. An
    incident already in a cluster of rule (a) in this run is left out of rule (b), so one
    class of incidents is proposed once, under one rule.

Each cluster becomes one ``ProblemProposal`` for the problem managers, named by a unique key:
a later run adds the cluster's new incidents to the same proposal (never a second one), and
a dismissed or accepted proposal is not raised again.
"""

import datetime
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.segmentation import segmenter
from serviceloop.core.services.notifications import notify
from serviceloop.desk.lifecycle import Status
from serviceloop.desk.models import (
    Category,
    Kind,
    Problem,
    ProblemIncident,
    ProblemProposal,
    ProposalRule,
    ProposalStatus,
    Ticket,
)
from serviceloop.desk.services.problems import (
    PROBLEM_MANAGER,
    link_incidents,
    new_problem,
    problem_managers,
    problem_role,
)

SIMILARITY = Fraction(1, 2)
DEFAULT_DAYS = 30
DEFAULT_THRESHOLD = 5

# --- Segmentation ------------------------------------------------------------------------

# Words that say "it is broken" rather than what is broken, and fillers.
_STOP_TEXT = """
    的 了 吗 呢 吧 啊 呀 很 也 都 又 还 在 是 和 与 及 或 我 我们 你 您 他 她 它 请 一直 总是
    突然 经常 老是 有点 有些 一下 帮忙 麻烦 求助 紧急 问题 故障 异常 错误 失败 无法 不能 不可
    不 没 没有 不了 不上 不到 不开 不动 不通 出错 报错 出现 怎么 怎么办 为什么 今天 现在
    a an the to of in on at for from with and or is are was were be been it its my our your
    i we you he she they this that there can cannot cant can't could not no unable fail
    fails failed failing failure error errors issue issues problem problems please help
    urgent again still keep keeps does doesn't do don't won't will when after
"""
STOP_TOKENS = frozenset(_STOP_TEXT.split())
# Colloquial "V不上 / V不了 / V不到 ..." (cannot V): the verb it is about.
_NEGATED = re.compile(r"^(.+?)[不没](?:上|了|到|开|动|进|通|出|好|来|去|住)$")
VERB_CANON = {
    "连": "连接",
    "连接": "连接",
    "登": "登录",
    "登录": "登录",
    "登陆": "登录",
    "打": "打开",
    "收": "接收",
    "发": "发送",
    "上": "上网",
    "进": "进入",
    "用": "使用",
    "开": "开机",
}
SYNONYMS = {"登陆": "登录", "连线": "连接", "联网": "上网", "断网": "断开"}
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text or ""))


def _stem(word: str) -> str:
    """A light English stem, enough for "connect / connecting / connection"."""
    for suffix in ("ing", "ion", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith("ss"):
                break
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiou":
                word = word[:-1]  # dropping -> dropp -> drop
            break
    return word


def _normalise(token: str) -> str:
    token = token.strip().lower()
    if not token or not any(ch.isalnum() for ch in token):
        return ""
    if token.isascii():
        if len(token) < 2 or token in STOP_TOKENS:
            return ""
        token = _stem(token)
        return "" if token in STOP_TOKENS else token
    match = _NEGATED.match(token)
    if match:
        token = VERB_CANON.get(match.group(1), match.group(1))
    token = SYNONYMS.get(token, token)
    # "网络故障" says no more than "网络": drop a leading or trailing "broken" word.
    for stop in ("故障", "异常", "失败", "错误", "无法", "不能", "问题"):
        if len(token) > len(stop) and (token.endswith(stop) or token.startswith(stop)):
            token = token.removesuffix(stop) if token.endswith(stop) else token[len(stop) :]
            break
    return "" if token in STOP_TOKENS else token


def title_tokens(text: str) -> frozenset[str]:
    """The tokens that say what an incident is about: jieba's search segmentation of the
    lower-cased text, without punctuation, stop words and "it is broken" words, with
    colloquial negations reduced to their verb ("连不上" → "连接") and English words
    lightly stemmed."""
    tokens = set()
    for raw in segmenter().cut_for_search((text or "").lower()):
        token = _normalise(raw)
        if token:
            tokens.add(token)
    return frozenset(tokens)


def search_tokens(text: str) -> list[str]:
    """The tokens of a search query to OR together: as ``title_tokens``, without single
    Chinese characters (they match nearly everything)."""
    return sorted(t for t in title_tokens(text) if t.isascii() or len(t) > 1)


# --- Clustering ----------------------------------------------------------------------------


def jaccard(a: frozenset, b: frozenset) -> Fraction:
    if not a and not b:
        return Fraction(0)
    inter = len(a & b)
    return Fraction(inter, len(a) + len(b) - inter)


def title_clusters(items, *, similarity: Fraction = SIMILARITY) -> list[list]:
    """Single-link clusters of ``items`` (``(id, token set)`` pairs): two items join when the
    Jaccard similarity of their token sets is at least ``similarity``. Items without tokens
    stay alone. Returns every cluster (singletons included) as a list of ids.

    Identical token sets are merged first; candidate pairs come from a prefix filter (tokens
    ordered rarest first: two sets this similar must share a token among their first
    ``n - ceil(s*n) + 1``), so the cost follows the pairs that can match, not n².
    """
    similarity = Fraction(similarity)
    groups: dict[frozenset, list] = defaultdict(list)
    alone = []
    for pk, tokens in items:
        if tokens:
            groups[frozenset(tokens)].append(pk)
        else:
            alone.append([pk])
    sets = list(groups)
    frequency = Counter(token for s in sets for token in s)
    ordered = [sorted(s, key=lambda t: (frequency[t], t)) for s in sets]
    parent = list(range(len(sets)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    index: dict[str, list[int]] = defaultdict(list)
    stamp = [-1] * len(sets)  # stamp[j] == i: j was already weighed against i
    num, den = similarity.numerator, similarity.denominator
    for i in sorted(range(len(sets)), key=lambda k: (len(sets[k]), k)):
        tokens, size = sets[i], len(sets[i])
        prefix = ordered[i][: size - math.ceil(similarity * size) + 1]
        root = find(i)
        for token in prefix:
            for j in index[token]:
                if stamp[j] == i:
                    continue
                stamp[j] = i
                other = find(j)
                if other == root:
                    continue  # already joined: single link needs no second pair
                inter = len(tokens & sets[j])
                if inter * den >= num * (size + len(sets[j]) - inter):
                    parent[other] = root
        for token in prefix:
            index[token].append(i)
    components: dict[int, list] = defaultdict(list)
    for i, s in enumerate(sets):
        components[find(i)].extend(groups[s])
    return [sorted(c) for c in components.values()] + alone


# --- Detection -----------------------------------------------------------------------------


@dataclass
class Cluster:
    key: str
    rule: str
    label: str
    incident_ids: list[int]
    suggested_title: str
    service: str = ""
    category_id: int | None = None
    tokens: list[str] = field(default_factory=list)


def recurrence_settings() -> tuple[int, int]:
    """(window in days, threshold) from ``DESK_RECURRENCE_DAYS`` / ``DESK_RECURRENCE_THRESHOLD``."""
    days = int(getattr(settings, "DESK_RECURRENCE_DAYS", DEFAULT_DAYS))
    threshold = int(getattr(settings, "DESK_RECURRENCE_THRESHOLD", DEFAULT_THRESHOLD))
    return max(days, 1), max(threshold, 2)


def _most_common_title(rows) -> str:
    counts = Counter(row[1] for row in rows)
    return max(counts.items(), key=lambda item: item[1])[0][:200] if counts else ""


def recurrence_clusters(*, now=None, days=None, threshold=None) -> list[Cluster]:
    """The clusters of recurring incidents in the window ending at ``now`` (see the module
    docstring); read only."""
    now = now or timezone.now()
    default_days, default_threshold = recurrence_settings()
    days, threshold = days or default_days, threshold or default_threshold
    since = now - datetime.timedelta(days=days)
    rows = list(
        Ticket.objects.filter(kind=Kind.INCIDENT, created_at__gte=since, created_at__lte=now)
        .exclude(status=Status.CANCELLED)
        # security incidents stay with the people cleared for them, out of proposals
        .exclude(confidential=True)
        .filter(~Exists(ProblemIncident.objects.filter(incident=OuterRef("pk"))))
        .order_by("created_at", "pk")
        .values_list("pk", "title", "service", "category_id")
    )
    clusters: list[Cluster] = []
    by_service_category: dict[tuple, list] = defaultdict(list)
    for row in rows:
        service = (row[2] or "").strip()
        if service and row[3] is not None:
            by_service_category[(service.casefold(), row[3])].append(row)
    categories = {}
    claimed = set()
    for (service_key, category_id), members in by_service_category.items():
        if len(members) < threshold:
            continue
        if not categories:
            categories = dict(Category.objects.values_list("pk", "name"))
        service = Counter(row[2].strip() for row in members).most_common(1)[0][0]
        claimed.update(row[0] for row in members)
        clusters.append(
            Cluster(
                key=f"service-category:{category_id}:{service_key}"[:200],
                rule=ProposalRule.SERVICE_CATEGORY,
                label=f"{service} · {categories.get(category_id, category_id)}"[:200],
                incident_ids=[row[0] for row in members],
                suggested_title=_most_common_title(members),
                service=service,
                category_id=category_id,
            )
        )
    rest = {row[0]: row for row in rows if row[0] not in claimed}
    tokens = {pk: title_tokens(row[1]) for pk, row in rest.items()}
    for ids in title_clusters(list(tokens.items())):
        if len(ids) < threshold:
            continue
        counts = Counter(token for pk in ids for token in tokens[pk])
        shared = sorted(t for t, n in counts.items() if 2 * n >= len(ids))
        if not shared:
            shared = sorted(Counter(tokens[pk] for pk in ids).most_common(1)[0][0])
        label = " ".join(shared)
        clusters.append(
            Cluster(
                key=f"similar-titles:{label}"[:200],
                rule=ProposalRule.SIMILAR_TITLES,
                label=label[:200],
                incident_ids=ids,
                suggested_title=_most_common_title([rest[pk] for pk in ids]),
                tokens=shared,
            )
        )
    return clusters


def recurrence_detect(*, now=None, days=None, threshold=None) -> dict:
    """Find the recurring-incident clusters and record one proposal per cluster.

    Idempotent: a cluster already proposed gets its new incidents added (one audit row);
    without new incidents nothing is written. Returns counts
    ``{"created", "updated", "unchanged", "skipped"}`` (skipped: dismissed or accepted).
    Each proposal is written in its own transaction; the problem managers are notified of
    new proposals after commit.
    """
    now = now or timezone.now()
    default_days, default_threshold = recurrence_settings()
    days, threshold = days or default_days, threshold or default_threshold
    counts = {"created": 0, "updated": 0, "unchanged": 0, "skipped": 0}
    for cluster in recurrence_clusters(now=now, days=days, threshold=threshold):
        counts[_proposal_record(cluster, now=now, days=days, threshold=threshold)] += 1
    return counts


def _existing_proposal(cluster: Cluster) -> ProblemProposal | None:
    proposal = ProblemProposal.objects.select_for_update().filter(key=cluster.key).first()
    if proposal is not None or cluster.rule != ProposalRule.SIMILAR_TITLES:
        return proposal
    # The same class under a drifted signature: the proposal that holds most of its incidents.
    best = (
        ProblemProposal.objects.filter(
            rule=ProposalRule.SIMILAR_TITLES, incidents__in=cluster.incident_ids
        )
        .annotate(shared=Count("incidents"))
        .order_by("-shared", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    return ProblemProposal.objects.select_for_update().get(pk=best) if best else None


def _proposal_record(cluster: Cluster, *, now, days: int, threshold: int) -> str:
    with transaction.atomic():
        proposal = _existing_proposal(cluster)
        if proposal is None:
            try:
                with transaction.atomic():
                    proposal = ProblemProposal.objects.create(
                        key=cluster.key,
                        rule=cluster.rule,
                        label=cluster.label,
                        suggested_title=cluster.suggested_title,
                        service=cluster.service,
                        category_id=cluster.category_id,
                        window_days=days,
                        threshold=threshold,
                        first_detected_at=now,
                        last_detected_at=now,
                    )
            except IntegrityError:
                return "unchanged"  # another run proposed this cluster a moment ago
            proposal.incidents.set(cluster.incident_ids)
            audit_record(
                actor=None,
                verb="problem_proposal.created",
                obj=proposal,
                payload={
                    "key": cluster.key,
                    "rule": cluster.rule,
                    "incidents": _references(cluster.incident_ids),
                    "window_days": days,
                    "threshold": threshold,
                },
            )
            notify(
                recipients=problem_managers(),
                kind="problem_proposed",
                context={"proposal": proposal, "count": len(cluster.incident_ids), "days": days},
                url=reverse("problem_proposal_detail", args=[proposal.pk]),
                dedupe_key=f"problem-proposal:{proposal.pk}",
            )
            return "created"
        if proposal.status != ProposalStatus.PROPOSED:
            return "skipped"
        known = set(proposal.incidents.values_list("pk", flat=True))
        added = sorted(set(cluster.incident_ids) - known)
        if not added:
            return "unchanged"
        proposal.incidents.add(*added)
        proposal.last_detected_at = now
        proposal.save(update_fields=["last_detected_at"])
        audit_record(
            actor=None,
            verb="problem_proposal.updated",
            obj=proposal,
            payload={
                "key": proposal.key,
                "added": _references(added),
                "total": len(known) + len(added),
            },
        )
        return "updated"


def _references(ids) -> list[str]:
    return list(
        Ticket.objects.filter(pk__in=ids).order_by("pk").values_list("reference", flat=True)
    )


# --- Deciding on a proposal ----------------------------------------------------------------


def get_proposal_for(user, pk, *, write: bool = False) -> ProblemProposal:
    """The proposal if the user may see it (staff; else 404); with ``write``, 403 unless the
    user is a problem manager."""
    from django.http import Http404

    try:
        proposal = (
            ProblemProposal.objects.visible_to(user)
            .select_related("category", "problem", "decided_by")
            .get(pk=pk)
        )
    except (ProblemProposal.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise Http404 from exc
    if write and problem_role(user) != PROBLEM_MANAGER:
        raise PermissionDenied
    return proposal


def _locked_proposal(proposal: ProblemProposal) -> ProblemProposal:
    proposal = ProblemProposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != ProposalStatus.PROPOSED:
        raise ValidationError(
            _("This proposal was already %(status)s.")
            % {"status": ProposalStatus(proposal.status).label.lower()}
        )
    return proposal


def problem_proposal_accept(
    *, actor, proposal: ProblemProposal, title: str = "", owner=None, now=None
) -> Problem:
    """A problem manager accepts a proposal: one transaction creates the problem (owner: the
    given one, else the actor), links the proposal's incidents (a history event on each) and
    marks the proposal accepted, with one audit row on the new problem."""
    now = now or timezone.now()
    if problem_role(actor) != PROBLEM_MANAGER:
        raise PermissionDenied
    with transaction.atomic():
        proposal = _locked_proposal(proposal)
        incidents = list(proposal.incidents.order_by("created_at", "pk"))
        problem = new_problem(
            actor=actor,
            title=(title or "").strip() or proposal.suggested_title or proposal.label,
            description=_(
                "Proposed by recurring-incident detection (%(rule)s: %(label)s): %(count)d "
                "incidents within %(days)d days."
            )
            % {
                "rule": ProposalRule(proposal.rule).label,
                "label": proposal.label,
                "count": len(incidents),
                "days": proposal.window_days,
            },
            service=proposal.service,
            category=proposal.category,
            owner=owner or actor,
            now=now,
        )
        linked = link_incidents(problem=problem, incidents=incidents, actor=actor, now=now)
        proposal.status = ProposalStatus.ACCEPTED
        proposal.problem = problem
        proposal.decided_by = actor
        proposal.decided_at = now
        proposal.save(update_fields=["status", "problem", "decided_by", "decided_at"])
        audit_record(
            actor=actor,
            verb="problem.created_from_proposal",
            obj=problem,
            payload={
                "reference": problem.reference,
                "proposal": proposal.pk,
                "key": proposal.key,
                "title": problem.title,
                "owner": problem.owner_id,
                "incidents": [t.reference for t in linked],
            },
        )
    return problem


def problem_proposal_dismiss(*, actor, proposal: ProblemProposal, reason: str = "", now=None):
    """A problem manager dismisses a proposal; its key stays, so the cluster is not proposed
    again. One transaction, one audit row."""
    now = now or timezone.now()
    if problem_role(actor) != PROBLEM_MANAGER:
        raise PermissionDenied
    with transaction.atomic():
        proposal = _locked_proposal(proposal)
        proposal.status = ProposalStatus.DISMISSED
        proposal.decided_by = actor
        proposal.decided_at = now
        proposal.dismiss_reason = (reason or "").strip()
        proposal.save(update_fields=["status", "decided_by", "decided_at", "dismiss_reason"])
        audit_record(
            actor=actor,
            verb="problem_proposal.dismissed",
            obj=proposal,
            payload={"key": proposal.key, "reason": proposal.dismiss_reason},
        )
    return proposal
