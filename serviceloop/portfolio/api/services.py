"""REST API of the services part: ``ROUTES`` = [(prefix, viewset, basename)].

``/api/v1/services/{id}/`` (the service's UUID): staff read every service with its plan,
staff notes, dependencies, components and checklist; a customer reads only the live services
his organisation is entitled to, with the customer description (never the staff notes);
others 404. Writes by the management system, administrators and the service's owner (403 for
other staff): create, PATCH, ``transition/``, ``checklist/``, ``dependencies/``,
``components/``. ``ETag``/``If-Match`` as on the CMDB.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from serviceloop.core.models import Calendar, Organisation, OrganisationKind, User
from serviceloop.portfolio import services_catalogue as services
from serviceloop.portfolio.api.common import (
    IF_MATCH,
    StaleToPreconditionMixin,
    if_match_version,
    with_etag,
)
from serviceloop.portfolio.models import (
    ConfigurationItem,
    Service,
    ServiceComponent,
    ServiceDependency,
)
from serviceloop.portfolio.permissions import (
    can_edit_service,
    can_manage_services,
    get_ci_for,
    is_staff,
)

SERVICE_STATUS_HELP = "pipeline | live | retired"
ROLE_HELP = "component | runs_on | depends_on"


class ServiceChecklistSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    position = serializers.IntegerField()
    label = serializers.CharField()
    done = serializers.BooleanField()
    done_by = serializers.CharField(source="done_by.username", default=None, allow_null=True)
    done_at = serializers.DateTimeField(allow_null=True)


class ServiceComponentSerializer(serializers.Serializer):
    configuration_item = serializers.CharField(source="configuration_item.reference")
    role = serializers.CharField(help_text=ROLE_HELP)


class ServiceDependencySerializer(serializers.Serializer):
    depends_on = serializers.UUIDField(source="depends_on.uuid")
    code = serializers.CharField(source="depends_on.code")
    note = serializers.CharField()


class ServiceSerializer(serializers.ModelSerializer):
    """What staff read."""

    id = serializers.UUIDField(source="uuid", read_only=True)
    status = serializers.CharField(read_only=True, help_text=SERVICE_STATUS_HELP)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    hours = serializers.SlugRelatedField(slug_field="name", read_only=True)
    customers = serializers.SlugRelatedField(slug_field="uuid", many=True, read_only=True)
    dependencies = ServiceDependencySerializer(many=True, read_only=True)
    components = ServiceComponentSerializer(many=True, read_only=True)
    checklist = ServiceChecklistSerializer(many=True, read_only=True)

    class Meta:
        model = Service
        fields = [
            "id", "code", "name", "status", "owner", "summary", "staff_notes", "hours",
            "customers", "requirements", "resources", "budget_amount", "budget_currency",
            "risks", "dependencies", "components", "checklist", "live_since", "retired_at",
            "version", "created_at", "updated_at",
        ]  # fmt: skip


class PortalServiceSerializer(serializers.ModelSerializer):
    """What a customer reads: the catalogue entry, nothing internal."""

    id = serializers.UUIDField(source="uuid", read_only=True)
    hours = serializers.SlugRelatedField(slug_field="label", read_only=True)

    class Meta:
        model = Service
        fields = ["id", "code", "name", "summary", "hours"]


class ServiceWriteSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40, required=False)
    name = serializers.CharField(max_length=200, required=False)
    owner = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )
    summary = serializers.CharField(required=False, allow_blank=True)
    staff_notes = serializers.CharField(required=False, allow_blank=True)
    hours = serializers.SlugRelatedField(
        slug_field="name", queryset=Calendar.objects.all(), required=False, allow_null=True
    )
    customers = serializers.SlugRelatedField(
        slug_field="uuid",
        queryset=Organisation.objects.filter(kind=OrganisationKind.CUSTOMER),
        many=True,
        required=False,
    )
    requirements = serializers.CharField(required=False, allow_blank=True)
    resources = serializers.CharField(required=False, allow_blank=True)
    budget_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True
    )
    budget_currency = serializers.CharField(max_length=3, required=False, allow_blank=True)
    risks = serializers.CharField(required=False, allow_blank=True)


class ServiceTransitionSerializer(serializers.Serializer):
    target = serializers.CharField(max_length=16, help_text=SERVICE_STATUS_HELP)


class ChecklistChangeSerializer(serializers.Serializer):
    item = serializers.IntegerField(required=False, help_text="a step's id: tick or untick it")
    done = serializers.BooleanField(required=False)
    label = serializers.CharField(
        max_length=200, required=False, help_text="without item: add a step"
    )


class DependencyChangeSerializer(serializers.Serializer):
    depends_on = serializers.UUIDField(help_text="the needed service's id")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class ComponentChangeSerializer(serializers.Serializer):
    configuration_item = serializers.CharField(max_length=32, help_text="an item's reference")
    role = serializers.CharField(max_length=16, required=False, help_text=ROLE_HELP)


class ServiceViewSet(StaleToPreconditionMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ServiceSerializer
    lookup_field = "uuid"
    queryset = Service.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        services_qs = Service.objects.visible_to(self.request.user).select_related("hours")
        if is_staff(self.request.user):
            services_qs = services_qs.select_related("owner").prefetch_related(
                "customers",
                "dependencies__depends_on",
                "components__configuration_item",
                "checklist__done_by",
            )
            wanted = self.request.query_params.get("status")
            if wanted:
                services_qs = services_qs.filter(status=wanted)
        return services_qs.order_by("-pk")

    def get_serializer_class(self):
        if getattr(self, "swagger_fake_view", False) or is_staff(self.request.user):
            return ServiceSerializer
        return PortalServiceSerializer

    @extend_schema(
        parameters=[OpenApiParameter("status", OpenApiTypes.STR, description=SERVICE_STATUS_HELP)]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _get(self, uuid, *, write=False) -> Service:
        service = self.get_queryset().filter(uuid=uuid).first() if _is_uuid(uuid) else None
        if service is None:
            raise Http404
        if write and not (
            is_staff(self.request.user) and can_edit_service(self.request.user, service)
        ):
            raise PermissionDenied
        return service

    def _respond(self, service, code=status.HTTP_200_OK):
        service = self.get_queryset().get(pk=service.pk)
        serializer = self.get_serializer_class()(service)
        return with_etag(Response(serializer.data, status=code), service)

    def retrieve(self, request, uuid=None):
        return self._respond(self._get(uuid))

    @extend_schema(request=ServiceWriteSerializer, responses={201: ServiceSerializer})
    def create(self, request):
        if not is_staff(request.user):
            raise Http404
        if not can_manage_services(request.user):
            raise PermissionDenied
        serializer = ServiceWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        missing = {
            name: [_("This field is required.")] for name in ("code", "name") if name not in data
        }
        if missing:
            raise serializers.ValidationError(missing)
        service = services.service_create(
            actor=request.user,
            code=data.pop("code"),
            name=data.pop("name"),
            customers=data.pop("customers", []),
            **data,
        )
        return self._respond(service, status.HTTP_201_CREATED)

    @extend_schema(
        request=ServiceWriteSerializer, responses={200: ServiceSerializer}, parameters=[IF_MATCH]
    )
    def partial_update(self, request, uuid=None):
        service = self._get(uuid, write=True)
        serializer = ServiceWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        service = services.service_update(
            actor=request.user,
            service=service,
            expected_version=if_match_version(request, service),
            customers=data.pop("customers", None),
            **data,
        )
        return self._respond(service)

    @extend_schema(
        request=ServiceTransitionSerializer,
        responses={200: ServiceSerializer},
        parameters=[IF_MATCH],
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, uuid=None):
        service = self._get(uuid, write=True)
        serializer = ServiceTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        service = services.service_transition(
            actor=request.user,
            service=service,
            target=serializer.validated_data["target"],
            expected_version=if_match_version(request, service),
        )
        return self._respond(service)

    @extend_schema(request=ChecklistChangeSerializer, responses={200: ServiceSerializer})
    @action(detail=True, methods=["post"])
    def checklist(self, request, uuid=None):
        service = self._get(uuid, write=True)
        serializer = ChecklistChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "item" in data:
            item = service.checklist.filter(pk=data["item"]).first()
            if item is None:
                raise serializers.ValidationError({"item": [_("No such checklist step.")]})
            services.checklist_set_done(actor=request.user, item=item, done=data.get("done", True))
        elif data.get("label"):
            services.checklist_add(actor=request.user, service=service, label=data["label"])
        else:
            raise serializers.ValidationError(
                {"item": [_("Name a step to tick, or give a label to add one.")]}
            )
        return self._respond(service)

    @extend_schema(
        request=DependencyChangeSerializer,
        responses={200: ServiceSerializer},
        parameters=[
            OpenApiParameter(
                "depends_on",
                OpenApiTypes.UUID,
                description="DELETE: the needed service's id",
            )
        ],
    )
    @action(detail=True, methods=["post", "delete"])
    def dependencies(self, request, uuid=None):
        service = self._get(uuid, write=True)
        if request.method == "DELETE":
            wanted = request.query_params.get("depends_on", "")
            dependency = (
                ServiceDependency.objects.filter(service=service, depends_on__uuid=wanted).first()
                if _is_uuid(wanted)
                else None
            )
            if dependency is None:
                raise Http404
            services.dependency_remove(actor=request.user, dependency=dependency)
            return self._respond(service)
        serializer = DependencyChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        other = Service.objects.filter(uuid=serializer.validated_data["depends_on"]).first()
        if other is None:
            raise serializers.ValidationError({"depends_on": [_("No such service.")]})
        services.dependency_add(
            actor=request.user,
            service=service,
            depends_on=other,
            note=serializer.validated_data.get("note", ""),
        )
        return self._respond(service)

    @extend_schema(
        request=ComponentChangeSerializer,
        responses={200: ServiceSerializer},
        parameters=[
            OpenApiParameter(
                "configuration_item",
                OpenApiTypes.STR,
                description="DELETE: the item's reference",
            )
        ],
    )
    @action(detail=True, methods=["post", "delete"])
    def components(self, request, uuid=None):
        service = self._get(uuid, write=True)
        if request.method == "DELETE":
            component = ServiceComponent.objects.filter(
                service=service,
                configuration_item__reference=request.query_params.get("configuration_item", ""),
            ).first()
            if component is None:
                raise Http404
            services.component_remove(actor=request.user, component=component)
            return self._respond(service)
        serializer = ComponentChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item: ConfigurationItem = get_ci_for(
            request.user, serializer.validated_data["configuration_item"].strip().upper()
        )
        services.component_add(
            actor=request.user,
            service=service,
            configuration_item=item,
            role=serializer.validated_data.get("role") or "component",
        )
        return self._respond(service)


def _is_uuid(value) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


ROUTES: list = [("services", ServiceViewSet, "service")]
