"""REST API of read-and-acknowledge campaigns: ``ROUTES`` = [(prefix, viewset, basename)].

- ``acknowledgement-campaigns/`` (by reference): campaigns with their progress (filters
  ``status``, ``document``); ``POST`` starts one, ``PATCH`` adds people, ``…/close/``;
  ``…/acknowledge/`` the caller's acknowledgement; ``…/acknowledgements/`` who was asked
  and who acknowledged.
- ``acknowledgement-rate/?start=&end=``: the rate behind the "policy execution rate" KPI.

Readers of every document see every campaign; anyone else the campaigns that ask him to read
(others: 404). Writes: the management-system owner and administrators (403 for others).
"""

import datetime

from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from serviceloop.core.models import Team
from serviceloop.support import queries_documents as queries
from serviceloop.support import services_document_campaigns as campaign_services
from serviceloop.support import services_documents as services
from serviceloop.support.api.documents import (
    DocumentAcknowledgementSerializer,
    _people_field,
    _staff_only,
)
from serviceloop.support.models import (
    AcknowledgementCampaign,
    documents_read_all,
)

# --- Serializers ---------------------------------------------------------------------------


class AcknowledgementCampaignSerializer(serializers.ModelSerializer):
    document = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    status = serializers.CharField(read_only=True, help_text="open | closed")
    people = serializers.SlugRelatedField(slug_field="username", many=True, read_only=True)
    teams = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    roles = serializers.ListField(child=serializers.CharField(), read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    asked = serializers.SerializerMethodField()
    acknowledged = serializers.SerializerMethodField()
    percent = serializers.SerializerMethodField()

    class Meta:
        model = AcknowledgementCampaign
        fields = [
            "reference", "title", "message", "document", "version", "deadline", "status",
            "people", "teams", "roles", "asked", "acknowledged", "percent", "created_by",
            "created_at", "closed_at",
        ]  # fmt: skip
        read_only_fields = fields

    def _progress(self, campaign):
        cache = self.context.setdefault("progress", {})
        if campaign.pk not in cache:
            cache[campaign.pk] = queries.campaign_progress(campaign)
        return cache[campaign.pk]

    def get_asked(self, campaign) -> int:
        return self._progress(campaign).asked

    def get_acknowledged(self, campaign) -> int:
        return self._progress(campaign).acknowledged

    def get_percent(self, campaign) -> int | None:
        return self._progress(campaign).percent


class AcknowledgementCampaignWriteSerializer(serializers.Serializer):
    document = serializers.CharField(max_length=32, required=False)
    version = serializers.IntegerField(required=False, help_text="Default: the version in force.")
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    message = serializers.CharField(required=False, allow_blank=True)
    deadline = serializers.DateField(required=False)
    people = _people_field()
    teams = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.filter(is_active=True), many=True, required=False
    )
    roles = serializers.ListField(child=serializers.CharField(), required=False)


class AcknowledgementRateSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    asked = serializers.IntegerField()
    acknowledged = serializers.IntegerField()
    on_time = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True, help_text="Percent acknowledged on time.")


# --- Campaigns -----------------------------------------------------------------------------


class CampaignViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = AcknowledgementCampaignSerializer
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = AcknowledgementCampaign.objects.none()  # for the schema

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        campaigns = AcknowledgementCampaign.objects.visible_to(self.request.user).select_related(
            "document", "version", "created_by"
        )
        params = self.request.query_params
        if params.get("status"):
            campaigns = campaigns.filter(status=params["status"])
        if params.get("document"):
            campaigns = campaigns.filter(document__reference=params["document"])
        return campaigns.prefetch_related("people", "teams")

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, description="open | closed"),
            OpenApiParameter("document", OpenApiTypes.STR, description="A document reference."),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, reference=None):
        campaign = services.get_campaign_for(request.user, reference)
        return Response(self.get_serializer(campaign).data)

    @extend_schema(
        request=AcknowledgementCampaignWriteSerializer,
        responses={201: AcknowledgementCampaignSerializer},
    )
    def create(self, request):
        _staff_only(request.user)
        if not services.documents_may_edit(request.user):
            raise PermissionDenied
        serializer = AcknowledgementCampaignWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        missing = {
            f: ["This field is required."] for f in ("document", "deadline") if f not in data
        }
        if missing:
            raise serializers.ValidationError(missing)
        document = services.get_document_for(request.user, data.pop("document"), write=True)
        number = data.pop("version", None)
        if number is None:
            version = document.effective_version
        else:
            version = document.versions.filter(number=number).first()
        if version is None:
            raise serializers.ValidationError({"version": ["No such version in force."]})
        campaign = campaign_services.campaign_create(actor=request.user, version=version, **data)
        return Response(self.get_serializer(campaign).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=AcknowledgementCampaignWriteSerializer,
        responses={200: AcknowledgementCampaignSerializer},
    )
    def partial_update(self, request, reference=None):
        campaign = services.get_campaign_for(request.user, reference, write=True)
        serializer = AcknowledgementCampaignWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("document", None)
        data.pop("version", None)
        campaign = campaign_services.campaign_update(actor=request.user, campaign=campaign, **data)
        return Response(self.get_serializer(campaign).data)

    @extend_schema(request=None, responses={200: AcknowledgementCampaignSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, reference=None):
        campaign = services.get_campaign_for(request.user, reference, write=True)
        campaign = campaign_services.campaign_close(actor=request.user, campaign=campaign)
        return Response(self.get_serializer(campaign).data)

    @extend_schema(request=None, responses={200: DocumentAcknowledgementSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, reference=None):
        """The caller acknowledges the campaign's version (once)."""
        campaign = services.get_campaign_for(request.user, reference)
        row = campaign_services.acknowledgement_give(actor=request.user, campaign=campaign)
        return Response(DocumentAcknowledgementSerializer(row).data)

    @extend_schema(request=None, responses={200: DocumentAcknowledgementSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None)
    def acknowledgements(self, request, reference=None):
        campaign = services.get_campaign_for(request.user, reference)
        rows = queries.campaign_rows(campaign).select_related("campaign")
        if not documents_read_all(request.user):
            rows = rows.filter(person=request.user)
        return Response(DocumentAcknowledgementSerializer(rows, many=True).data)


class AcknowledgementRateViewSet(viewsets.GenericViewSet):
    """The acknowledgement rate of campaigns whose deadline falls in ``[start, end)``."""

    serializer_class = AcknowledgementRateSerializer
    pagination_class = None
    queryset = AcknowledgementCampaign.objects.none()  # for the schema

    @extend_schema(
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, description="Default: 90 days ago."),
            OpenApiParameter("end", OpenApiTypes.DATE, description="Exclusive; default: tomorrow."),
        ],
        responses={200: AcknowledgementRateSerializer},
    )
    def list(self, request):
        if not documents_read_all(request.user):
            raise Http404
        today = timezone.localdate()
        try:
            start = datetime.date.fromisoformat(
                request.query_params.get("start") or str(today - datetime.timedelta(days=90))
            )
            end = datetime.date.fromisoformat(
                request.query_params.get("end") or str(today + datetime.timedelta(days=1))
            )
        except ValueError as exc:
            raise serializers.ValidationError({"start": ["Dates as YYYY-MM-DD."]}) from exc
        rate = queries.acknowledgement_rate(start, end)
        return Response(
            AcknowledgementRateSerializer(
                {
                    "start": start,
                    "end": end,
                    "asked": rate.asked,
                    "acknowledged": rate.acknowledged,
                    "on_time": rate.on_time,
                    "rate": rate.rate,
                }
            ).data
        )


ROUTES: list = [
    ("acknowledgement-campaigns", CampaignViewSet, "acknowledgement-campaign"),
    ("acknowledgement-rate", AcknowledgementRateViewSet, "acknowledgement-rate"),
]
