"""REST API of the core app (``/api/v1/``). Serializers parse; services write."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from serviceloop.core import permissions, queries
from serviceloop.core.audit_redaction import audit_events_redact
from serviceloop.core.models import AuditEvent, Calendar, Notification, Organisation, Team, User
from serviceloop.core.roles import Capability, Role
from serviceloop.core.services import organisations as services
from serviceloop.core.services.notifications import notification_mark_read


def exception_handler(exc, context):
    """Django's ValidationError from a service becomes a 400 with its messages."""
    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = DRFValidationError(detail)
    return drf_exception_handler(exc, context)


class OrganisationSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    calendar = serializers.SlugRelatedField(
        slug_field="name", queryset=Calendar.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Organisation
        fields = [
            "id",
            "kind",
            "name",
            "short_name",
            "time_zone",
            "calendar",
            "email_domain",
            "is_active",
        ]
        read_only_fields = ["id"]


class PersonSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    organisation = serializers.SlugRelatedField(
        slug_field="uuid", queryset=Organisation.objects.all()
    )
    role = serializers.ChoiceField(choices=Role.choices)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "organisation",
            "role",
            "first_name",
            "last_name",
            "display_name",
            "email",
            "phone",
            "language",
            "time_zone",
            "is_active",
        ]
        read_only_fields = ["id"]


class TeamSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    organisation = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    lead = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    members = serializers.SlugRelatedField(slug_field="uuid", many=True, read_only=True)

    class Meta:
        model = Team
        fields = [
            "id",
            "organisation",
            "name",
            "description",
            "email",
            "lead",
            "members",
            "is_active",
        ]


class CalendarSerializer(serializers.ModelSerializer):
    class Meta:
        model = Calendar
        fields = ["name", "label", "preset", "time_zone", "hours", "weekly_hours", "is_active"]


class DeadlineSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    minutes = serializers.DecimalField(max_digits=14, decimal_places=4, min_value=0)


class AuditEventSerializer(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="uuid", read_only=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "occurred_at",
            "actor_label",
            "organisation",
            "object_type",
            "object_id",
            "object_repr",
            "verb",
            "payload",
            "request_id",
            "ip_address",
            "prev_hash",
            "hash",
        ]


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "subject", "body", "url", "created_at", "read_at"]


class OrganisationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = OrganisationSerializer
    lookup_field = "uuid"

    def get_queryset(self):
        return queries.organisations_for_list(self.request.user).order_by("pk")

    def get_object(self):
        organisation = self._lookup(write=self.request.method not in ("GET", "HEAD", "OPTIONS"))
        self.check_object_permissions(self.request, organisation)
        return organisation

    def _lookup(self, *, write):
        try:
            pk = Organisation.objects.only("pk").get(uuid=self.kwargs["uuid"]).pk
        except (Organisation.DoesNotExist, DjangoValidationError) as exc:
            raise Http404 from exc
        return permissions.get_organisation_for(self.request.user, pk, write=write)

    def create(self, request, *args, **kwargs):
        permissions.require(request.user, Capability.ADMINISTER)  # before validation: no probing
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.organisation_create(
            actor=self.request.user, kind=data.pop("kind"), name=data.pop("name"), **data
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("kind", None)
        serializer.instance = services.organisation_update(
            actor=self.request.user, organisation=serializer.instance, **data
        )


class PersonViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = PersonSerializer
    lookup_field = "uuid"

    def get_queryset(self):
        return queries.people_for_list(self.request.user).order_by("pk")

    def get_object(self):
        try:
            pk = User.objects.only("pk").get(uuid=self.kwargs["uuid"]).pk
        except (User.DoesNotExist, DjangoValidationError) as exc:
            raise Http404 from exc
        write = self.request.method not in ("GET", "HEAD", "OPTIONS")
        return permissions.get_person_for(self.request.user, pk, write=write)

    def create(self, request, *args, **kwargs):
        permissions.require(request.user, Capability.ADMINISTER)  # before validation: no probing
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.person_create(
            actor=self.request.user,
            organisation=data.pop("organisation"),
            username=data.pop("username"),
            role=data.pop("role"),
            **data,
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        if (
            data.pop("organisation", serializer.instance.organisation)
            != serializer.instance.organisation
        ):
            raise DRFValidationError(
                {"organisation": "A person cannot move to another organisation."}
            )
        data.pop("username", None)
        serializer.instance = services.person_update(
            actor=self.request.user, person=serializer.instance, **data
        )


class TeamViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = TeamSerializer
    lookup_field = "uuid"

    def get_queryset(self):
        return queries.teams_for_list(self.request.user).prefetch_related("members").order_by("pk")


class CalendarViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CalendarSerializer
    lookup_field = "name"

    def get_queryset(self):
        return Calendar.objects.visible_to(self.request.user).order_by("pk")

    @action(detail=True, methods=["post"], serializer_class=DeadlineSerializer)
    def deadline(self, request, name=None):
        """The deadline ``minutes`` business minutes after ``start`` in this calendar."""
        calendar = self.get_object()
        serializer = DeadlineSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        engine = calendar.engine()
        deadline = engine.add(
            serializer.validated_data["start"], serializer.validated_data["minutes"]
        )
        return Response({"deadline": deadline.isoformat()})


class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AuditEventSerializer
    queryset = AuditEvent.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        if not permissions.user_can(self.request.user, Capability.READ_AUDIT_TRAIL):
            raise PermissionDenied
        return AuditEvent.objects.visible_to(self.request.user).select_related("organisation")

    def get_object(self):
        event = permissions.get_audit_event_for(self.request.user, self.kwargs["pk"])
        audit_events_redact(self.request.user, [event])
        return event

    def paginate_queryset(self, queryset):
        # rows about confidential records the reader may not see: title and changes hidden
        page = super().paginate_queryset(queryset)
        return None if page is None else audit_events_redact(self.request.user, page)


class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = NotificationSerializer

    def get_queryset(self):
        return Notification.objects.visible_to(self.request.user)

    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = permissions.get_notification_for(request.user, pk)
        notification_mark_read(actor=request.user, notification=notification)
        return Response(status=status.HTTP_204_NO_CONTENT)
