"""The change-management settings API: ``/api/v1/change-templates/`` (standard-change
templates), ``/api/v1/cab-rules/`` and ``/api/v1/blackout-periods/``.

Staff read; the management-system owner and administrators write (403 for other staff);
customers get 404. ``If-Match`` is optional on their updates (412 when stale).
"""

import django_filters
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from serviceloop.core.models import Organisation, Team, User
from serviceloop.transition import services_config
from serviceloop.transition.api_common import TransitionViewSetMixin, expected_version
from serviceloop.transition.models import BlackoutPeriod, CabRule, ChangeTemplate
from serviceloop.transition.permissions import get_blackout_for, get_cab_rule_for, get_template_for

# --- Templates -----------------------------------------------------------------------------


class ChangeTemplateSerializer(serializers.ModelSerializer):
    risk_level = serializers.CharField(
        required=False, default="low", help_text="low | medium | high"
    )

    class Meta:
        model = ChangeTemplate
        fields = [
            "id", "name", "description", "implementation_plan", "backout_plan", "test_plan",
            "risk_level", "is_active", "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["id", "version", "created_at", "updated_at"]
        extra_kwargs = {"name": {"validators": []}}


class ChangeTemplateViewSet(
    TransitionViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Standard change templates: staff read; the system owner and administrators write."""

    serializer_class = ChangeTemplateSerializer
    queryset = ChangeTemplate.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return ChangeTemplate.objects.visible_to(self.request.user).order_by("name")

    def create(self, request):
        serializer = ChangeTemplateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        template = services_config.template_create(actor=request.user, **serializer.validated_data)
        return Response(ChangeTemplateSerializer(template).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        template = get_template_for(request.user, pk, write=True)
        serializer = ChangeTemplateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        template = services_config.template_update(
            actor=request.user,
            template=template,
            expected_version=expected_version(request, template, required=False),
            **serializer.validated_data,
        )
        return Response(ChangeTemplateSerializer(template).data)


# --- CAB rules -----------------------------------------------------------------------------


class CabRuleSerializer(serializers.ModelSerializer):
    risk_level = serializers.CharField(help_text="low | medium | high")
    approvers = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        many=True,
        required=False,
    )
    emergency_approvers = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        many=True,
        required=False,
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = CabRule
        fields = [
            "id", "risk_level", "approvers", "team", "quorum", "emergency_approvers",
            "emergency_quorum", "is_active", "version",
        ]  # fmt: skip
        read_only_fields = ["id", "version"]
        extra_kwargs = {"risk_level": {"validators": []}}


class CabRuleViewSet(
    TransitionViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Who approves changes of each risk level, and how many approvals it takes."""

    serializer_class = CabRuleSerializer
    queryset = CabRule.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return (
            CabRule.objects.visible_to(self.request.user)
            .prefetch_related("approvers", "emergency_approvers")
            .order_by("risk_level")
        )

    def create(self, request):
        serializer = CabRuleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule = services_config.cab_rule_save(actor=request.user, **serializer.validated_data)
        return Response(CabRuleSerializer(rule).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        rule = get_cab_rule_for(request.user, pk, write=True)
        serializer = CabRuleSerializer(rule, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        current = {
            "risk_level": rule.risk_level,
            "approvers": list(rule.approvers.all()),
            "team": rule.team,
            "quorum": rule.quorum,
            "emergency_approvers": list(rule.emergency_approvers.all()),
            "emergency_quorum": rule.emergency_quorum,
            "is_active": rule.is_active,
        }
        current.update(serializer.validated_data)
        rule = services_config.cab_rule_save(
            actor=request.user,
            rule=rule,
            expected_version=expected_version(request, rule, required=False),
            **current,
        )
        return Response(CabRuleSerializer(rule).data)


# --- Blackout periods ----------------------------------------------------------------------


class BlackoutPeriodSerializer(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(
        slug_field="uuid",
        queryset=Organisation.objects.customers(),
        required=False,
        allow_null=True,
        help_text="the customer; empty: every customer",
    )

    class Meta:
        model = BlackoutPeriod
        fields = ["id", "organisation", "start", "end", "reason", "version", "created_at"]
        read_only_fields = ["id", "version", "created_at"]


class BlackoutFilter(django_filters.FilterSet):
    after = django_filters.IsoDateTimeFilter(field_name="end", lookup_expr="gt")
    before = django_filters.IsoDateTimeFilter(field_name="start", lookup_expr="lt")

    class Meta:
        model = BlackoutPeriod
        fields = ["after", "before"]


class BlackoutPeriodViewSet(
    TransitionViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Periods in which no change may touch a customer's services (without an override)."""

    serializer_class = BlackoutPeriodSerializer
    filterset_class = BlackoutFilter
    queryset = BlackoutPeriod.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return BlackoutPeriod.objects.visible_to(self.request.user).select_related("organisation")

    def create(self, request):
        serializer = BlackoutPeriodSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        blackout = services_config.blackout_create(actor=request.user, **serializer.validated_data)
        return Response(BlackoutPeriodSerializer(blackout).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        blackout = get_blackout_for(request.user, pk, write=True)
        serializer = BlackoutPeriodSerializer(blackout, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        fields = {
            "organisation": blackout.organisation,
            "start": blackout.start,
            "end": blackout.end,
            "reason": blackout.reason,
            **serializer.validated_data,
        }
        blackout = services_config.blackout_update(
            actor=request.user,
            blackout=blackout,
            expected_version=expected_version(request, blackout, required=False),
            **fields,
        )
        return Response(BlackoutPeriodSerializer(blackout).data)

    def destroy(self, request, pk=None):
        blackout = get_blackout_for(request.user, pk, write=True)
        services_config.blackout_delete(actor=request.user, blackout=blackout)
        return Response(status=status.HTTP_204_NO_CONTENT)


ROUTES = [
    ("change-templates", ChangeTemplateViewSet, "change-template"),
    ("cab-rules", CabRuleViewSet, "cab-rule"),
    ("blackout-periods", BlackoutPeriodViewSet, "blackout-period"),
]
