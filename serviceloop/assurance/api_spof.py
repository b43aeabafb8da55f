"""The single-point-of-failure API.

- ``/api/v1/spof-findings/`` (by id): list (``?status=``), read; ``PATCH`` a note;
  ``…/scan/`` scans the CMDB now; ``…/transition/`` accepts the risk, resolves or reopens.

The risk register entries that treat a finding belong to the register's API
(``/api/v1/risks/?spof_finding=<id>``; ``…/risks/from-spof/`` adds one pre-filled from it).

Staff read; managers write. Customers get 404. ``If-Match`` is optional on writes (412 when
stale).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from serviceloop.assurance import services_spof
from serviceloop.assurance.api_common import IF_MATCH, AssuranceViewSetMixin, choice_text, if_match
from serviceloop.assurance.lifecycle import FindingStatus
from serviceloop.assurance.models import SpofFinding
from serviceloop.assurance.permissions import get_finding_for, require_manage


class SpofFindingSerializer(serializers.ModelSerializer):
    service = serializers.SlugRelatedField(slug_field="code", read_only=True)
    configuration_item = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    status = choice_text(FindingStatus.choices, read_only=True)
    risk_reference = serializers.CharField(
        read_only=True,
        help_text="The risk register entry named by hand before the register linked its risks "
        "to their findings (read only).",
    )

    class Meta:
        model = SpofFinding
        fields = [
            "id", "service", "configuration_item", "status", "path", "note", "risk_reference",
            "detected_at", "last_seen_at", "resolved_at", "version",
        ]  # fmt: skip
        read_only_fields = [
            "id", "service", "configuration_item", "status", "path", "detected_at",
            "last_seen_at", "resolved_at", "version",
        ]  # fmt: skip


class SpofTransitionSerializer(serializers.Serializer):
    target = serializers.CharField(max_length=20)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class SpofScanSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    reopened = serializers.IntegerField()
    resolved = serializers.IntegerField()
    open = serializers.IntegerField()


class SpofFindingViewSet(AssuranceViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = SpofFindingSerializer
    queryset = SpofFinding.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        findings = SpofFinding.objects.visible_to(self.request.user).select_related(
            "service", "configuration_item"
        )
        if self.request.query_params.get("status"):
            findings = findings.filter(status=self.request.query_params["status"])
        return findings.order_by("-pk")

    def get_object(self):
        return get_finding_for(self.request.user, self.kwargs["pk"])

    @extend_schema(request=SpofFindingSerializer, parameters=[IF_MATCH])
    def partial_update(self, request, pk=None):
        """Record a note on the finding."""
        finding = get_finding_for(request.user, pk, write=True)
        serializer = SpofFindingSerializer(finding, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        finding = services_spof.finding_update(
            actor=request.user,
            finding=finding,
            note=serializer.validated_data.get("note", finding.note),
            expected_version=if_match(request, finding),
        )
        return self.respond(finding)

    @extend_schema(request=SpofTransitionSerializer, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Accept the risk (with a note), resolve (with a note) or reopen."""
        finding = get_finding_for(request.user, pk, write=True)
        serializer = SpofTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        finding = services_spof.finding_transition(
            actor=request.user,
            finding=finding,
            expected_version=if_match(request, finding),
            **serializer.validated_data,
        )
        return self.respond(finding)

    @extend_schema(request=None, responses={200: SpofScanSerializer})
    @action(detail=False, methods=["post"])
    def scan(self, request):
        """Scan the CMDB for single points of failure now (managers)."""
        require_manage(request.user)
        return Response(SpofScanSerializer(services_spof.spof_scan(actor=request.user)).data)


ROUTES = [("spof-findings", SpofFindingViewSet, "spof-finding")]
