"""REST API of the cmdb part: ``ROUTES`` = [(prefix, viewset, basename)].

- ``/api/v1/ci-types/{code}/``: read by everyone signed in; written by the management system
  and administrators;
- ``/api/v1/configuration-items/{reference}/``: staff read all, customers the items of their
  own organisation; written by staff who work operational records (403 for read-only staff
  and customers); ``.../transition/``; ``.../impact/`` (staff);
- ``/api/v1/ci-relations/{id}/``: list (``?item=`` a reference), create, delete;
- ``/api/v1/impact/?items=CI-…,CI-…``: the impact of several items at once (staff).

(Assets: ``api.assets``.)
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from serviceloop.core.models import Organisation, OrganisationKind, User
from serviceloop.portfolio import services_cmdb as services
from serviceloop.portfolio.api.common import (
    IF_MATCH,
    StaleToPreconditionMixin,
    if_match_version,
    with_etag,
)
from serviceloop.portfolio.impact import DEFAULT_MAX_DEPTH, MAX_START_ITEMS, impact_of
from serviceloop.portfolio.models import CiRelation, CiType, ConfigurationItem
from serviceloop.portfolio.permissions import (
    can_write_ci_types,
    can_write_cmdb,
    get_ci_for,
    get_ci_type_for,
    get_relation_for,
    is_staff,
)

CI_STATUS_HELP = "planned | active | maintenance | retired"
RELATION_KIND_HELP = "runs_on | depends_on | connected_to | part_of (source <kind> target)"


# --- Types ---------------------------------------------------------------------------------


class CiTypeSerializer(serializers.ModelSerializer):
    attributes = serializers.JSONField(
        required=False,
        help_text='[{"key", "label", "type": text|number|date|choice, "required", "choices"}]',
    )

    class Meta:
        model = CiType
        fields = ["code", "name", "description", "attributes", "is_active", "version"]
        read_only_fields = ["version"]
        extra_kwargs = {"code": {"validators": []}, "name": {"validators": []}}


class CiTypeViewSet(
    StaleToPreconditionMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = CiTypeSerializer
    lookup_field = "code"
    queryset = CiType.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return CiType.objects.visible_to(self.request.user).order_by("-pk")

    def _get(self, code, write=False):
        ci_type = CiType.objects.visible_to(self.request.user).filter(code=code).first()
        if ci_type is None:
            raise Http404
        return get_ci_type_for(self.request.user, ci_type.pk, write=write)

    def retrieve(self, request, code=None):
        ci_type = self._get(code)
        return with_etag(Response(CiTypeSerializer(ci_type).data), ci_type)

    def create(self, request):
        if not can_write_ci_types(request.user):
            raise PermissionDenied
        serializer = CiTypeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ci_type = services.ci_type_create(actor=request.user, **serializer.validated_data)
        return with_etag(
            Response(CiTypeSerializer(ci_type).data, status=status.HTTP_201_CREATED), ci_type
        )

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request, code=None):
        ci_type = self._get(code, write=True)
        serializer = CiTypeSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        ci_type = services.ci_type_update(
            actor=request.user,
            ci_type=ci_type,
            expected_version=if_match_version(request, ci_type),
            **serializer.validated_data,
        )
        return with_etag(Response(CiTypeSerializer(ci_type).data), ci_type)


# --- Configuration items -------------------------------------------------------------------


class ConfigurationItemSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    type = serializers.SlugRelatedField(source="ci_type", slug_field="code", read_only=True)
    status = serializers.CharField(read_only=True, help_text=CI_STATUS_HELP)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    organisation = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    version_label = serializers.CharField(read_only=True, help_text="the item's own version")

    class Meta:
        model = ConfigurationItem
        fields = [
            "id", "reference", "name", "type", "status", "owner", "organisation", "location",
            "supplier", "version_label", "description", "attributes", "version",
            "created_at", "updated_at",
        ]  # fmt: skip


class ConfigurationItemWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    type = serializers.SlugRelatedField(
        slug_field="code", queryset=CiType.objects.all(), required=False, source="ci_type"
    )
    status = serializers.CharField(
        required=False, help_text=f"on create only: {CI_STATUS_HELP} (default planned)"
    )
    owner = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )
    organisation = serializers.SlugRelatedField(
        slug_field="uuid",
        queryset=Organisation.objects.filter(kind=OrganisationKind.CUSTOMER),
        required=False,
        allow_null=True,
    )
    location = serializers.CharField(max_length=200, required=False, allow_blank=True)
    supplier = serializers.CharField(max_length=200, required=False, allow_blank=True)
    version_label = serializers.CharField(max_length=80, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    attributes = serializers.JSONField(required=False)


class CiTransitionSerializer(serializers.Serializer):
    target = serializers.CharField(max_length=16, help_text="the next status")


class ImpactItemSerializer(serializers.Serializer):
    reference = serializers.CharField()
    name = serializers.CharField()
    type = serializers.CharField(source="type_name")
    status = serializers.CharField(help_text=CI_STATUS_HELP)
    depth = serializers.IntegerField()


class ImpactServiceSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    status = serializers.CharField()
    depth = serializers.IntegerField()


class ImpactCustomerSerializer(serializers.Serializer):
    short_name = serializers.CharField()
    name = serializers.CharField()


class ImpactEdgeSerializer(serializers.Serializer):
    source = serializers.CharField(help_text='"ci:<id>", "service:<id>" or "customer:<id>"')
    target = serializers.CharField()
    kind = serializers.CharField()


class ImpactSerializer(serializers.Serializer):
    items = ImpactItemSerializer(many=True)
    services = ImpactServiceSerializer(many=True)
    customers = ImpactCustomerSerializer(many=True)
    edges = ImpactEdgeSerializer(many=True)
    max_depth = serializers.IntegerField()
    depth_limit_reached = serializers.BooleanField()


def _impact_response(impact):
    return Response(ImpactSerializer(impact).data)


def _max_depth(request) -> int:
    try:
        value = int(request.query_params.get("max_depth", DEFAULT_MAX_DEPTH))
    except ValueError as exc:
        raise serializers.ValidationError({"max_depth": [_("Enter a whole number.")]}) from exc
    if not 0 <= value <= 50:
        raise serializers.ValidationError({"max_depth": [_("Choose a depth from 0 to 50.")]})
    return value


MAX_DEPTH_PARAMETER = OpenApiParameter(
    "max_depth", OpenApiTypes.INT, description=f"depth limit (default {DEFAULT_MAX_DEPTH})"
)


class ConfigurationItemViewSet(
    StaleToPreconditionMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    serializer_class = ConfigurationItemSerializer
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = ConfigurationItem.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        items = ConfigurationItem.objects.visible_to(self.request.user).select_related(
            "ci_type", "owner", "organisation"
        )
        params = self.request.query_params
        if params.get("type"):
            items = items.filter(ci_type__code=params["type"])
        if params.get("status"):
            items = items.filter(status=params["status"])
        return items.order_by("-pk")

    @extend_schema(
        parameters=[
            OpenApiParameter("type", OpenApiTypes.STR, description="a type's code"),
            OpenApiParameter("status", OpenApiTypes.STR, description=CI_STATUS_HELP),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _respond(self, item, code=status.HTTP_200_OK):
        item = self.get_queryset().get(pk=item.pk)
        return with_etag(Response(ConfigurationItemSerializer(item).data, status=code), item)

    def retrieve(self, request, reference=None):
        return self._respond(get_ci_for(request.user, reference))

    @extend_schema(
        request=ConfigurationItemWriteSerializer, responses={201: ConfigurationItemSerializer}
    )
    def create(self, request):
        if not can_write_cmdb(request.user):
            raise PermissionDenied
        serializer = ConfigurationItemWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        missing = {
            ("type" if name == "ci_type" else name): [_("This field is required.")]
            for name in ("name", "ci_type")
            if name not in data
        }
        if missing:
            raise serializers.ValidationError(missing)
        item = services.ci_create(actor=request.user, **data)
        return self._respond(item, status.HTTP_201_CREATED)

    @extend_schema(
        request=ConfigurationItemWriteSerializer,
        responses={200: ConfigurationItemSerializer},
        parameters=[IF_MATCH],
    )
    def partial_update(self, request, reference=None):
        item = get_ci_for(request.user, reference, write=True)
        serializer = ConfigurationItemWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "status" in data:
            raise serializers.ValidationError(
                {"status": [_("Change the status with the transition action.")]}
            )
        item = services.ci_update(
            actor=request.user,
            item=item,
            expected_version=if_match_version(request, item),
            **data,
        )
        return self._respond(item)

    @extend_schema(
        request=CiTransitionSerializer,
        responses={200: ConfigurationItemSerializer},
        parameters=[IF_MATCH],
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, reference=None):
        item = get_ci_for(request.user, reference, write=True)
        serializer = CiTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.ci_transition(
            actor=request.user,
            item=item,
            target=serializer.validated_data["target"],
            expected_version=if_match_version(request, item),
        )
        return self._respond(item)

    @extend_schema(responses={200: ImpactSerializer}, parameters=[MAX_DEPTH_PARAMETER])
    @action(detail=True, methods=["get"])
    def impact(self, request, reference=None):
        if not is_staff(request.user):
            raise Http404
        item = get_ci_for(request.user, reference)
        return _impact_response(impact_of([item.pk], max_depth=_max_depth(request)))


# --- Relations -----------------------------------------------------------------------------


class CiRelationSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    source = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    target = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    kind = serializers.CharField(read_only=True, help_text=RELATION_KIND_HELP)

    class Meta:
        model = CiRelation
        fields = ["id", "source", "kind", "target", "note", "created_at"]


class CiRelationWriteSerializer(serializers.Serializer):
    source = serializers.CharField(max_length=32, help_text="the needing item's reference")
    kind = serializers.CharField(max_length=16, help_text=RELATION_KIND_HELP)
    target = serializers.CharField(max_length=32, help_text="the needed item's reference")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class CiRelationViewSet(
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = CiRelationSerializer
    lookup_field = "uuid"
    queryset = CiRelation.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        relations = CiRelation.objects.visible_to(self.request.user).select_related(
            "source", "target"
        )
        reference = self.request.query_params.get("item")
        if reference:
            relations = relations.filter(source__reference=reference) | relations.filter(
                target__reference=reference
            )
        return relations.order_by("-pk")

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "item", OpenApiTypes.STR, description="an item's reference: its relations"
            )
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _get(self, uuid, write=False):
        relation = CiRelation.objects.visible_to(self.request.user).filter(uuid=uuid).first()
        if relation is None:
            raise Http404
        return get_relation_for(self.request.user, relation.pk, write=write)

    def retrieve(self, request, uuid=None):
        return Response(CiRelationSerializer(self._get(uuid)).data)

    @extend_schema(request=CiRelationWriteSerializer, responses={201: CiRelationSerializer})
    def create(self, request):
        if not can_write_cmdb(request.user):
            raise PermissionDenied
        serializer = CiRelationWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        source = get_ci_for(request.user, data["source"], write=True)
        target = get_ci_for(request.user, data["target"], write=True)
        relation = services.relation_add(
            actor=request.user,
            source=source,
            kind=data["kind"],
            target=target,
            note=data.get("note", ""),
        )
        return Response(CiRelationSerializer(relation).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, uuid=None):
        services.relation_remove(actor=request.user, relation=self._get(uuid, write=True))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Impact of several items ---------------------------------------------------------------


class ImpactViewSet(viewsets.GenericViewSet):
    """``GET /api/v1/impact/?items=CI-2026-000001,CI-2026-000002``: staff only."""

    serializer_class = ImpactSerializer
    pagination_class = None
    queryset = ConfigurationItem.objects.none()

    @extend_schema(
        responses={200: ImpactSerializer},
        parameters=[
            OpenApiParameter(
                "items",
                OpenApiTypes.STR,
                required=True,
                description="comma-separated item references",
            ),
            MAX_DEPTH_PARAMETER,
        ],
    )
    def list(self, request):
        if not is_staff(request.user):
            raise Http404
        references = [r.strip().upper() for r in request.query_params.get("items", "").split(",")]
        references = [r for r in references if r]
        if not references or len(references) > MAX_START_ITEMS:
            raise serializers.ValidationError(
                {"items": [_("Name 1 to %(n)d item references.") % {"n": MAX_START_ITEMS}]}
            )
        found = dict(
            ConfigurationItem.objects.visible_to(request.user)
            .filter(reference__in=references)
            .values_list("reference", "pk")
        )
        unknown = sorted(set(references) - set(found))
        if unknown:
            raise serializers.ValidationError(
                {"items": [_("Unknown items: %(refs)s.") % {"refs": ", ".join(unknown)}]}
            )
        return _impact_response(impact_of(found.values(), max_depth=_max_depth(request)))


ROUTES: list = [
    ("ci-types", CiTypeViewSet, "ci-type"),
    ("configuration-items", ConfigurationItemViewSet, "configuration-item"),
    ("ci-relations", CiRelationViewSet, "ci-relation"),
    ("impact", ImpactViewSet, "impact"),
]
