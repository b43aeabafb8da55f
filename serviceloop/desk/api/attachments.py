"""Ticket attachments through the API: ``/api/v1/tickets/<reference>/attachments/``.

Listing shows what the user may see (customers never see internal files); uploading is a
multipart POST with ``file`` (and ``internal`` for staff), through ``ticket_attach``.
"""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from serviceloop.core.models import Attachment
from serviceloop.desk.models import Ticket
from serviceloop.desk.permissions import get_ticket_for
from serviceloop.desk.services.relations import ticket_attach


class AttachmentSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    url = serializers.SerializerMethodField()
    uploaded_by = serializers.CharField(source="uploaded_by.get_username", read_only=True)

    class Meta:
        model = Attachment
        fields = [
            "id",
            "filename",
            "mime_type",
            "size",
            "sha256",
            "is_internal",
            "uploaded_by",
            "created_at",
            "url",
        ]

    def get_url(self, attachment) -> str:
        return f"/attachments/{attachment.uuid}/"


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    internal = serializers.BooleanField(required=False, default=False)


class TicketAttachmentsView(APIView):
    parser_classes = [MultiPartParser]

    def _attachments(self, ticket):
        return (
            Attachment.objects.visible_to(self.request.user)
            .filter(
                content_type=ContentType.objects.get_for_model(Ticket), object_id=str(ticket.pk)
            )
            .select_related("uploaded_by")
        )

    @extend_schema(responses=AttachmentSerializer(many=True))
    def get(self, request, reference):
        ticket = get_ticket_for(request.user, reference)
        return Response(AttachmentSerializer(self._attachments(ticket), many=True).data)

    @extend_schema(request=AttachmentUploadSerializer, responses={201: AttachmentSerializer})
    def post(self, request, reference):
        ticket = get_ticket_for(request.user, reference, write=True)
        serializer = AttachmentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            attachment = ticket_attach(
                actor=request.user,
                ticket=ticket,
                uploaded_file=serializer.validated_data["file"],
                internal=serializer.validated_data["internal"],
            )
        except ValidationError as error:
            from rest_framework.exceptions import ValidationError as ApiValidationError

            raise ApiValidationError(
                error.message_dict if hasattr(error, "error_dict") else error.messages
            ) from error
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)
