"""REST API of the asset register: ``ROUTES`` = [(prefix, viewset, basename)].

- ``/api/v1/assets/{reference}/``: staff only (customers: 404); list (``?status=``), read,
  create, ``PATCH``; ``.../transition/`` (deploying one names the item it becomes). Written
  by staff who work operational records (403 for read-only staff); ``If-Match`` optional
  (412 when stale).
"""

import datetime

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from serviceloop.portfolio import services_assets as services
from serviceloop.portfolio.api.cmdb import CiTransitionSerializer
from serviceloop.portfolio.api.common import (
    IF_MATCH,
    StaleToPreconditionMixin,
    if_match_version,
    with_etag,
)
from serviceloop.portfolio.models import Asset
from serviceloop.portfolio.permissions import can_write_cmdb, get_asset_for, get_ci_for, is_staff

ASSET_STATUS_HELP = "ordered | in_stock | deployed | retired | disposed"


class AssetTransitionSerializer(CiTransitionSerializer):
    configuration_item = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text="deploying: the reference of the item the asset becomes",
    )


class AssetSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    status = serializers.CharField(read_only=True, help_text=ASSET_STATUS_HELP)
    configuration_item = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    book_value = serializers.SerializerMethodField()

    class Meta:
        model = Asset
        fields = [
            "id", "reference", "name", "tag", "status", "configuration_item", "purchase_date",
            "cost", "currency", "supplier", "warranty_end", "depreciation_months", "book_value",
            "disposed_on", "note", "version", "created_at", "updated_at",
        ]  # fmt: skip

    def get_book_value(self, asset) -> str | None:
        value = asset.book_value(datetime.date.today())
        return None if value is None else str(value)


class AssetWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    tag = serializers.CharField(max_length=120, required=False, allow_blank=True)
    status = serializers.CharField(
        required=False, help_text="on create only: ordered | in_stock (default ordered)"
    )
    configuration_item = serializers.CharField(
        max_length=32, required=False, allow_blank=True, help_text="on create: an item reference"
    )
    purchase_date = serializers.DateField(required=False, allow_null=True)
    cost = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True
    )
    currency = serializers.CharField(max_length=3, required=False)
    supplier = serializers.CharField(max_length=200, required=False, allow_blank=True)
    warranty_end = serializers.DateField(required=False, allow_null=True)
    depreciation_months = serializers.IntegerField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True)


class AssetViewSet(StaleToPreconditionMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = AssetSerializer
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = Asset.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        assets = Asset.objects.visible_to(self.request.user).select_related("configuration_item")
        if self.request.query_params.get("status"):
            assets = assets.filter(status=self.request.query_params["status"])
        return assets.order_by("-pk")

    @extend_schema(
        parameters=[OpenApiParameter("status", OpenApiTypes.STR, description=ASSET_STATUS_HELP)]
    )
    def list(self, request, *args, **kwargs):
        if not is_staff(request.user):
            raise Http404
        return super().list(request, *args, **kwargs)

    def _respond(self, asset, code=status.HTTP_200_OK):
        asset = self.get_queryset().get(pk=asset.pk)
        return with_etag(Response(AssetSerializer(asset).data, status=code), asset)

    def retrieve(self, request, reference=None):
        return self._respond(get_asset_for(request.user, reference))

    def _item(self, reference: str):
        if not reference:
            return None
        return get_ci_for(self.request.user, reference.strip().upper())

    @extend_schema(request=AssetWriteSerializer, responses={201: AssetSerializer})
    def create(self, request):
        if not is_staff(request.user):
            raise Http404
        if not can_write_cmdb(request.user):
            raise PermissionDenied
        serializer = AssetWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "name" not in data:
            raise serializers.ValidationError({"name": [_("This field is required.")]})
        item = self._item(data.pop("configuration_item", ""))
        asset = services.asset_create(
            actor=request.user,
            name=data.pop("name"),
            status=data.pop("status", "ordered"),
            configuration_item=item,
            **data,
        )
        return self._respond(asset, status.HTTP_201_CREATED)

    @extend_schema(
        request=AssetWriteSerializer, responses={200: AssetSerializer}, parameters=[IF_MATCH]
    )
    def partial_update(self, request, reference=None):
        asset = get_asset_for(request.user, reference, write=True)
        serializer = AssetWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "status" in data or "configuration_item" in data:
            raise serializers.ValidationError(
                {"status": [_("Change the status and the item with the transition action.")]}
            )
        asset = services.asset_update(
            actor=request.user,
            asset=asset,
            expected_version=if_match_version(request, asset),
            **data,
        )
        return self._respond(asset)

    @extend_schema(
        request=AssetTransitionSerializer, responses={200: AssetSerializer}, parameters=[IF_MATCH]
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, reference=None):
        asset = get_asset_for(request.user, reference, write=True)
        serializer = AssetTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        asset = services.asset_transition(
            actor=request.user,
            asset=asset,
            target=serializer.validated_data["target"],
            configuration_item=self._item(serializer.validated_data.get("configuration_item", "")),
            expected_version=if_match_version(request, asset),
        )
        return self._respond(asset)


ROUTES: list = [("assets", AssetViewSet, "asset")]
