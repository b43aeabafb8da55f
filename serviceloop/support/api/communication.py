"""REST API of communication (clause 7.4): ``ROUTES`` = [(prefix, viewset, basename)].

- ``communication-plan/`` (by reference): the plan's lines, with ``…/records/`` (the
  communications held; ``POST`` records one and moves the next due date).
- ``communication-records/``: every communication held.

Provider staff only (customers: 404). Writes: the management-system owner and
administrators (403 for others); a plan item's owner records its communications.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from serviceloop.core.models import User
from serviceloop.support import services_communication as communication
from serviceloop.support.api.competence import StaffViewSet
from serviceloop.support.models import (
    CommunicationItem,
    CommunicationRecord,
)

# --- Communication -------------------------------------------------------------------------


class CommunicationItemSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    frequency = serializers.CharField(
        read_only=True,
        help_text="once | weekly | monthly | quarterly | half_yearly | yearly | as_needed",
    )
    channel = serializers.CharField(
        read_only=True, help_text="email | meeting | report | portal | chat | training | other"
    )
    overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = CommunicationItem
        fields = [
            "id", "reference", "topic", "audience", "frequency", "timing", "channel", "owner",
            "notes", "is_active", "last_held_on", "next_due", "overdue", "created_at",
            "updated_at", "version",
        ]  # fmt: skip
        read_only_fields = fields


class CommunicationItemWriteSerializer(serializers.Serializer):
    topic = serializers.CharField(max_length=200, required=False)
    audience = serializers.CharField(max_length=200, required=False)
    frequency = serializers.CharField(required=False)
    timing = serializers.CharField(max_length=200, required=False, allow_blank=True)
    channel = serializers.CharField(required=False)
    owner = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True), required=False
    )
    notes = serializers.CharField(required=False, allow_blank=True)
    next_due = serializers.DateField(required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False)


class CommunicationRecordSerializer(serializers.ModelSerializer):
    item = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CommunicationRecord
        fields = ["id", "item", "held_on", "summary", "recorded_by", "created_at"]
        read_only_fields = fields


class CommunicationRecordWriteSerializer(serializers.Serializer):
    held_on = serializers.DateField()
    summary = serializers.CharField()


class CommunicationItemViewSet(mixins.ListModelMixin, StaffViewSet):
    serializer_class = CommunicationItemSerializer
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = CommunicationItem.objects.select_related("owner")

    def retrieve(self, request, reference=None):
        item = communication.get_communication_item_for(request.user, reference)
        return Response(CommunicationItemSerializer(item).data)

    @extend_schema(
        request=CommunicationItemWriteSerializer, responses={201: CommunicationItemSerializer}
    )
    def create(self, request):
        serializer = CommunicationItemWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("is_active", None)
        missing = {
            f: ["This field is required."]
            for f in ("topic", "audience", "frequency", "channel")
            if f not in data
        }
        if missing:
            raise serializers.ValidationError(missing)
        item = communication.communication_item_create(actor=request.user, **data)
        return Response(CommunicationItemSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=CommunicationItemWriteSerializer, responses={200: CommunicationItemSerializer}
    )
    def partial_update(self, request, reference=None):
        item = communication.get_communication_item_for(request.user, reference, write=True)
        serializer = CommunicationItemWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        item = communication.communication_item_update(
            actor=request.user, item=item, **serializer.validated_data
        )
        return Response(CommunicationItemSerializer(item).data)

    @extend_schema(
        methods=["GET"], request=None, responses={200: CommunicationRecordSerializer(many=True)}
    )
    @extend_schema(
        methods=["POST"],
        request=CommunicationRecordWriteSerializer,
        responses={201: CommunicationRecordSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def records(self, request, reference=None):
        item = communication.get_communication_item_for(request.user, reference)
        if request.method == "GET":
            rows = item.records.select_related("item", "recorded_by")
            return Response(CommunicationRecordSerializer(rows, many=True).data)
        serializer = CommunicationRecordWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = communication.communication_record_add(
            actor=request.user, item=item, **serializer.validated_data
        )
        return Response(CommunicationRecordSerializer(record).data, status=status.HTTP_201_CREATED)


class CommunicationRecordViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, StaffViewSet):
    serializer_class = CommunicationRecordSerializer
    queryset = CommunicationRecord.objects.select_related("item", "recorded_by")


ROUTES: list = [
    ("communication-plan", CommunicationItemViewSet, "communication-item"),
    ("communication-records", CommunicationRecordViewSet, "communication-record"),
]
