"""REST API of the proposals raised from operational signals.

``/api/v1/proposals/`` (by reference): list (``?status=``, ``?kind=``, ``?signal=``), read;
``…/decide/`` ``{"target": "accepted" | "dismissed" | "done", "note", "title", "owner"}``.
``/api/v1/signal-rules/`` (by kind): list, read, ``PATCH`` ``{"enabled", "threshold",
"window_days", "margin_percent"}``; ``POST /api/v1/signal-rules/run/`` runs the detectors.

Staff read; managers decide and edit the rules, problem managers decide problem proposals,
owners their action items (403 for other staff); customers get 404. Writes answer ``ETag``
and honour ``If-Match`` (412 when stale).
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from serviceloop.core.models import User
from serviceloop.improvement import decisions_signals as decisions
from serviceloop.improvement import queries_signals as queries
from serviceloop.improvement import services_signals as services
from serviceloop.improvement.models import (
    Proposal,
    ProposalKind,
    ProposalState,
    SignalKind,
    SignalRule,
)
from serviceloop.improvement.permissions_improvements import require_manage
from serviceloop.improvement.permissions_signals import get_proposal_for, get_rule_for
from serviceloop.planning.api_support import IF_MATCH, ManagementViewSetMixin, enum_field, if_match


class ProposalSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    kind = enum_field(ProposalKind.choices, "improvement-proposal-kind", read_only=True)
    signal = enum_field(SignalKind.choices, "improvement-signal-kind", read_only=True)
    status = enum_field(ProposalState.choices, "improvement-proposal-status", read_only=True)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    evidence = serializers.JSONField(read_only=True)
    links = serializers.JSONField(read_only=True)

    class Meta:
        model = Proposal
        fields = [
            "id", "reference", "kind", "signal", "cause_key", "title", "description", "status",
            "owner", "due_on", "evidence", "links", "record_type", "record_reference",
            "record_url", "raised_at", "last_seen_at", "decided_by", "decided_at",
            "decision_note", "version",
        ]  # fmt: skip
        read_only_fields = fields


class ProposalDecisionSerializer(serializers.Serializer):
    target = enum_field(ProposalState.choices, "improvement-proposal-target")
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    owner = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True), required=False
    )


class ProposalViewSet(
    ManagementViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ProposalSerializer
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = Proposal.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        params = self.request.query_params

        def choice(name, values):
            value = params.get(name, "")
            return value if value in values else ""

        return queries.proposals_for_list(
            self.request.user,
            status=choice("status", ProposalState.values),
            kind=choice("kind", ProposalKind.values),
            signal=choice("signal", SignalKind.values),
        )

    def get_object(self):
        return get_proposal_for(self.request.user, self.kwargs["reference"])

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=ProposalState.values, required=False),
            OpenApiParameter("kind", str, enum=ProposalKind.values, required=False),
            OpenApiParameter("signal", str, enum=SignalKind.values, required=False),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=ProposalDecisionSerializer, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def decide(self, request, reference=None):
        """Accept (creates the nonconformity, preventive action or problem; an action item is
        taken on), dismiss (``note``: why) or mark an action item done."""
        proposal = get_proposal_for(request.user, reference, write=True)
        serializer = ProposalDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        proposal = decisions.proposal_decide(
            actor=request.user,
            proposal=proposal,
            expected_version=if_match(request, proposal),
            **serializer.validated_data,
        )
        return self.respond(proposal)


class SignalRuleSerializer(serializers.ModelSerializer):
    kind = enum_field(SignalKind.choices, "improvement-signal-rule-kind", read_only=True)
    raises = serializers.SerializerMethodField()
    last_result = serializers.JSONField(read_only=True)

    class Meta:
        model = SignalRule
        fields = [
            "kind", "raises", "enabled", "threshold", "window_days", "margin_percent",
            "last_run_at", "last_result", "updated_at", "version",
        ]  # fmt: skip
        read_only_fields = ["kind", "last_run_at", "last_result", "updated_at", "version"]

    def get_raises(self, rule) -> str:
        """What the signal proposes: nonconformity, problem, preventive_action, action_item."""
        return rule.spec.raises


class SignalRuleViewSet(
    ManagementViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = SignalRuleSerializer
    lookup_field = "kind"
    lookup_value_regex = r"[a-z_]+"
    queryset = SignalRule.objects.none()
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return SignalRule.objects.order_by("pk")

    def get_object(self):
        return get_rule_for(self.request.user, self.kwargs["kind"])

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request, kind=None):
        rule = get_rule_for(request.user, kind, write=True)
        serializer = self.get_serializer(rule, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        rule = services.signal_rule_update(
            actor=request.user,
            rule=rule,
            enabled=data.get("enabled", rule.enabled),
            threshold=data.get("threshold", rule.threshold),
            window_days=data.get("window_days", rule.window_days),
            margin_percent=data.get("margin_percent", rule.margin_percent),
            expected_version=if_match(request, rule),
        )
        return self.respond(rule)

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["post"])
    def run(self, request):
        """Run every enabled detector now: ``{kind: {"raised", "refreshed", "unchanged",
        "skipped", "cleared"}}``."""
        require_manage(request.user)
        return Response(services.signals_run_now(actor=request.user))


ROUTES: list = [
    ("proposals", ProposalViewSet, "proposal"),
    ("signal-rules", SignalRuleViewSet, "signal-rule"),
]
