"""REST API of documented information: ``ROUTES`` = [(prefix, viewset, basename)].

- ``documents/`` (by reference): the register (filters ``kind``, ``status``, ``owner``,
  ``clause``, ``overdue``, ``self_signed``: the documents with a version approved or reviewed
  by its own author); ``POST`` creates a document with version 1 as a draft; ``PATCH``
  changes its details (optional ``If-Match``); ``…/versions/`` lists the versions the caller
  may read (``POST`` opens the next one); ``…/reviewed/`` records the periodic review;
  ``…/acknowledge/`` records the caller's acknowledgement for a campaign.
- ``document-versions/`` (by id): read one version; ``PATCH`` a draft; ``…/transition/``
  (submit, return to draft, approve, put into effect, cancel, withdraw); ``…/review/``;
  ``…/signoffs/``.

The read-and-acknowledge campaigns and the acknowledgement rate are in
``api.document_campaigns``.

Readers of every document (owner, administrators, auditors, top management) see everything;
other staff the documents in force; a customer only what a campaign asks him to read (others:
404). Writes: the management-system owner and administrators (403 for others); approving:
top management too; reviewing: the named reviewers; acknowledging: whoever is asked. A
version's author signs it only while nobody else in his organisation may, with an
``exception_reason``, recorded on the version (``approved_by_author``) and sign-off.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.response import Response

from serviceloop.core.models import User
from serviceloop.core.roles import Capability
from serviceloop.support import queries_documents as queries
from serviceloop.support import services_document_campaigns as campaign_services
from serviceloop.support import services_document_versions as version_services
from serviceloop.support import services_documents as services
from serviceloop.support.models import (
    AcknowledgementCampaign,
    Document,
    DocumentVersion,
    documents_read_all,
)

# --- Concurrency ---------------------------------------------------------------------------


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = gettext_lazy(
        "The document changed since you read it. Read it again and repeat your change."
    )
    default_code = "precondition_failed"


def if_match(request, document: Document) -> int | None:
    """The version named by ``If-Match`` (None without it or for ``*``); 412 if stale."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        return None
    tags = [tag.strip().removeprefix("W/").strip('"') for tag in header.split(",")]
    if "*" in tags:
        return None
    if str(document.version) in tags:
        return document.version
    raise PreconditionFailed


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="The document's ETag as read; a stale one gets 412.",
)


class StaleToPrecondition:
    def handle_exception(self, exc):
        if isinstance(exc, DjangoValidationError) and any(
            getattr(e, "code", None) == "stale" for e in getattr(exc, "error_list", [])
        ):
            exc = PreconditionFailed()
        return super().handle_exception(exc)


def _staff_only(user) -> None:
    if not user.has_capability(Capability.STAFF):
        raise Http404


# --- Serializers ---------------------------------------------------------------------------


class DocumentVersionSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    document = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    status = serializers.CharField(
        read_only=True, help_text="draft | in_review | approved | effective | obsolete"
    )
    body = serializers.CharField(read_only=True, help_text="Sanitised HTML.")
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)
    approved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    reviewers = serializers.SlugRelatedField(slug_field="username", many=True, read_only=True)
    approvers = serializers.SlugRelatedField(slug_field="username", many=True, read_only=True)
    obsolete_reason = serializers.CharField(read_only=True, help_text="superseded | withdrawn")
    superseded_by = serializers.SerializerMethodField()
    approved_by_author = serializers.BooleanField(
        read_only=True,
        help_text="The recorded exception: its author approved it, nobody else could.",
    )
    approval_exception_reason = serializers.CharField(
        read_only=True, help_text="Why the author approved it (empty otherwise)."
    )

    class Meta:
        model = DocumentVersion
        fields = [
            "id", "document", "number", "status", "body", "change_summary", "author",
            "reviewers", "approvers", "planned_effective", "round", "submitted_at",
            "approved_at", "approved_by", "approved_by_author", "approval_exception_reason",
            "effective_from", "obsolete_from", "obsolete_reason", "superseded_by", "created_at",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_superseded_by(self, version) -> int | None:
        return version.superseded_by.number if version.superseded_by_id else None


class DocumentSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    kind = serializers.CharField(
        read_only=True,
        help_text="policy | process | procedure | work_instruction | form_template | record",
    )
    status = serializers.CharField(read_only=True, help_text="draft | effective | withdrawn")
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    effective_version = serializers.SerializerMethodField()
    newest_version = serializers.SerializerMethodField()
    review_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Document
        fields = [
            "id", "reference", "title", "kind", "status", "owner", "clauses",
            "review_interval_months", "next_review", "review_overdue", "last_reviewed_at",
            "effective_version", "newest_version", "created_at", "updated_at", "version",
        ]  # fmt: skip
        read_only_fields = fields

    def get_effective_version(self, document) -> int | None:
        return document.effective_version.number if document.effective_version_id else None

    def get_newest_version(self, document) -> int | None:
        if not self.context.get("read_all"):
            return None
        return document.current_version.number if document.current_version_id else None


def _people_field(**kwargs):
    return serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        many=True,
        required=False,
        **kwargs,
    )


class DocumentVersionWriteSerializer(serializers.Serializer):
    body = serializers.CharField(
        required=False, allow_blank=True, help_text="HTML (sanitised) or plain text."
    )
    change_summary = serializers.CharField(max_length=300, required=False, allow_blank=True)
    reviewers = _people_field()
    approvers = _people_field()
    planned_effective = serializers.DateField(required=False, allow_null=True)


class DocumentCreateSerializer(DocumentVersionWriteSerializer):
    title = serializers.CharField(max_length=200, required=False)
    kind = serializers.CharField(
        required=False,
        help_text="policy | process | procedure | work_instruction | form_template | record",
    )
    owner = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True), required=False
    )
    clauses = serializers.CharField(max_length=200, required=False, allow_blank=True)
    review_interval_months = serializers.IntegerField(required=False)


class DocumentMetaSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    kind = serializers.CharField(required=False)
    owner = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True), required=False
    )
    clauses = serializers.CharField(max_length=200, required=False, allow_blank=True)
    review_interval_months = serializers.IntegerField(required=False)
    next_review = serializers.DateField(required=False, allow_null=True)


EXCEPTION_REASON_HELP = (
    "Only the author signing his own version, allowed while nobody else in his organisation "
    "may: why (required then, refused otherwise). Recorded with the version and in the "
    "audit trail."
)


class DocumentVersionTransitionSerializer(serializers.Serializer):
    target = serializers.CharField(help_text="in_review | draft | approved | effective | obsolete")
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    exception_reason = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, help_text=EXCEPTION_REASON_HELP
    )


class DocumentVersionReviewSerializer(serializers.Serializer):
    decision = serializers.CharField(help_text="endorsed | changes_requested")
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    exception_reason = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, help_text=EXCEPTION_REASON_HELP
    )


class DocumentReviewedSerializer(serializers.Serializer):
    next_review = serializers.DateField(required=False, allow_null=True)


class DocumentAcknowledgeSerializer(serializers.Serializer):
    campaign = serializers.CharField(max_length=32, help_text="The campaign's reference.")


class DocumentAcknowledgementSerializer(serializers.Serializer):
    campaign = serializers.CharField(source="campaign.reference")
    person = serializers.CharField(source="person.username")
    added_at = serializers.DateTimeField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    reminded_at = serializers.DateTimeField(allow_null=True)


class DocumentSignoffSerializer(serializers.Serializer):
    person = serializers.CharField(source="person.username")
    round = serializers.IntegerField()
    kind = serializers.CharField(help_text="review | approval")
    decision = serializers.CharField(help_text="endorsed | changes_requested | approved")
    comment = serializers.CharField()
    by_author = serializers.BooleanField(
        help_text="The recorded exception: the version's author signed, nobody else could."
    )
    exception_reason = serializers.CharField(help_text="Why (empty otherwise).")
    signed_at = serializers.DateTimeField()


# --- Documents -----------------------------------------------------------------------------

TRUE_VALUES = ("1", "true", "True", "yes")
DOCUMENT_FILTERS = [
    OpenApiParameter("kind", OpenApiTypes.STR),
    OpenApiParameter(
        "status", OpenApiTypes.STR, description="draft | effective | withdrawn | open"
    ),
    OpenApiParameter("owner", OpenApiTypes.STR, description="A username."),
    OpenApiParameter("clause", OpenApiTypes.STR, description="A clause number, e.g. 7.5."),
    OpenApiParameter("overdue", OpenApiTypes.BOOL, description="Only documents due for review."),
    OpenApiParameter(
        "self_signed",
        OpenApiTypes.BOOL,
        description="Only documents with a version approved or reviewed by its own author.",
    ),
]


class DocumentViewSet(StaleToPrecondition, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = DocumentSerializer
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = Document.objects.none()  # for the schema

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["read_all"] = documents_read_all(self.request.user)
        return context

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        params = self.request.query_params
        owner = None
        if params.get("owner"):
            owner = User.objects.filter(username=params["owner"]).first()
            if owner is None:
                return Document.objects.none()
        return queries.documents_for_list(
            self.request.user,
            kind=params.get("kind", ""),
            status=params.get("status", ""),
            owner=owner,
            clause=params.get("clause", ""),
            overdue=params.get("overdue") in TRUE_VALUES,
            self_signed=params.get("self_signed") in TRUE_VALUES,
        )

    def _respond(self, document, code=status.HTTP_200_OK):
        document = Document.objects.select_related(
            "owner", "current_version", "effective_version"
        ).get(pk=document.pk)
        response = Response(self.get_serializer(document).data, status=code)
        response["ETag"] = f'"{document.version}"'
        return response

    @extend_schema(parameters=DOCUMENT_FILTERS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, reference=None):
        return self._respond(services.get_document_for(request.user, reference))

    @extend_schema(request=DocumentCreateSerializer, responses={201: DocumentSerializer})
    def create(self, request):
        _staff_only(request.user)
        if not services.documents_may_edit(request.user):
            raise PermissionDenied
        serializer = DocumentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        missing = {f: ["This field is required."] for f in ("title", "kind") if f not in data}
        if missing:
            raise serializers.ValidationError(missing)
        document = services.document_create(actor=request.user, **data)
        return self._respond(document, status.HTTP_201_CREATED)

    @extend_schema(
        request=DocumentMetaSerializer, responses={200: DocumentSerializer}, parameters=[IF_MATCH]
    )
    def partial_update(self, request, reference=None):
        document = services.get_document_for(request.user, reference, write=True)
        serializer = DocumentMetaSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        document = services.document_update(
            actor=request.user,
            document=document,
            expected_version=if_match(request, document),
            **serializer.validated_data,
        )
        return self._respond(document)

    @extend_schema(
        methods=["GET"], request=None, responses={200: DocumentVersionSerializer(many=True)}
    )
    @extend_schema(
        methods=["POST"],
        request=DocumentVersionWriteSerializer,
        responses={201: DocumentVersionSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def versions(self, request, reference=None):
        """GET: the versions the caller may read, newest first. POST: open the next version
        as a draft (its text and people start as the newest version's unless given)."""
        document = services.get_document_for(request.user, reference)
        if request.method == "GET":
            versions = services.readable_versions(request.user, document).prefetch_related(
                "reviewers", "approvers"
            )
            return Response(DocumentVersionSerializer(versions, many=True).data)
        document = services.get_document_for(request.user, reference, write=True)
        serializer = DocumentVersionWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = version_services.version_create(
            actor=request.user, document=document, **serializer.validated_data
        )
        return Response(DocumentVersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DocumentReviewedSerializer, responses={200: DocumentSerializer})
    @action(detail=True, methods=["post"])
    def reviewed(self, request, reference=None):
        document = services.get_document_for(request.user, reference)
        serializer = DocumentReviewedSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        document = services.document_mark_reviewed(
            actor=request.user,
            document=document,
            next_review=serializer.validated_data.get("next_review"),
        )
        return self._respond(document)

    @extend_schema(
        request=DocumentAcknowledgeSerializer, responses={200: DocumentAcknowledgementSerializer}
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, reference=None):
        document = services.get_document_for(request.user, reference)
        serializer = DocumentAcknowledgeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        campaign = AcknowledgementCampaign.objects.filter(
            reference=serializer.validated_data["campaign"], document=document
        ).first()
        if campaign is None:
            raise Http404
        row = campaign_services.acknowledgement_give(actor=request.user, campaign=campaign)
        return Response(DocumentAcknowledgementSerializer(row).data)


# --- Versions ------------------------------------------------------------------------------


class DocumentVersionViewSet(viewsets.GenericViewSet):
    serializer_class = DocumentVersionSerializer
    lookup_field = "uuid"
    lookup_url_kwarg = "id"
    queryset = DocumentVersion.objects.none()  # for the schema
    pagination_class = None

    def _version(self, pk) -> DocumentVersion:
        return services.get_version_by_uuid(self.request.user, pk)

    def _respond(self, version):
        version = (
            DocumentVersion.objects.select_related("document", "author", "approved_by")
            .prefetch_related("reviewers", "approvers")
            .get(pk=version.pk)
        )
        return Response(DocumentVersionSerializer(version).data)

    def retrieve(self, request, id=None):  # noqa: A002 - the URL's name
        return self._respond(self._version(id))

    @extend_schema(
        request=DocumentVersionWriteSerializer, responses={200: DocumentVersionSerializer}
    )
    def partial_update(self, request, id=None):  # noqa: A002
        version = self._version(id)
        if not services.documents_may_edit(request.user):
            raise PermissionDenied
        serializer = DocumentVersionWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        version = version_services.version_update(
            actor=request.user, version=version, **serializer.validated_data
        )
        return self._respond(version)

    @extend_schema(
        request=DocumentVersionTransitionSerializer, responses={200: DocumentVersionSerializer}
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, id=None):  # noqa: A002
        """Move the version: ``approved`` is the caller's approval (the version is approved
        once every named approver signed; the author never approves his own, unless nobody
        else in his organisation may: then with an ``exception_reason``)."""
        version = self._version(id)
        serializer = DocumentVersionTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = version_services.version_transition(
            actor=request.user, version=version, **serializer.validated_data
        )
        return self._respond(version)

    @extend_schema(
        request=DocumentVersionReviewSerializer, responses={200: DocumentSignoffSerializer}
    )
    @action(detail=True, methods=["post"])
    def review(self, request, id=None):  # noqa: A002
        version = self._version(id)
        serializer = DocumentVersionReviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        signoff = version_services.version_review(
            actor=request.user, version=version, **serializer.validated_data
        )
        return Response(DocumentSignoffSerializer(signoff).data)

    @extend_schema(request=None, responses={200: DocumentSignoffSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def signoffs(self, request, id=None):  # noqa: A002
        version = self._version(id)
        if not documents_read_all(request.user) and not services.document_roles(request.user):
            raise Http404
        rows = version.signoffs.select_related("person").order_by("round", "signed_at")
        return Response(DocumentSignoffSerializer(rows, many=True).data)


ROUTES: list = [
    ("documents", DocumentViewSet, "document"),
    ("document-versions", DocumentVersionViewSet, "document-version"),
]
