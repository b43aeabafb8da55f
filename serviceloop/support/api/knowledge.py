"""REST API of the knowledge part: ``ROUTES`` = [(prefix, viewset, basename)].

- ``knowledge/articles/``: list (filters ``status``, ``audience``, ``category`` (name),
  ``service`` (code), ``overdue``), read, create, change (``If-Match`` with the ETag),
  ``versions/``, ``transition/``, ``reviewed/``, ``feedback/`` (GET the figures, POST an
  answer) and ``links/``.
- ``knowledge/categories/``: the free list of categories.
- ``knowledge/ticket-links/`` and ``knowledge/problem-links/``: links to tickets and to
  problems / known errors, and their "used to resolve" flag (staff only), in
  ``api.knowledge_links``.
- ``knowledge/search/?q=``: ranked full-text search with snippets.

Customers read the published version of the articles published for them (others: 404) and
may give feedback; read-only staff get 403 on every write. The knowledge services write.
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
from serviceloop.portfolio.models import Service
from serviceloop.support import services_knowledge as services
from serviceloop.support import services_knowledge_feedback as feedback_services
from serviceloop.support.api.knowledge_links import (
    ArticleLinksSerializer,
    ProblemLinkSerializer,
    ProblemLinkViewSet,
    TicketLinkSerializer,
    TicketLinkViewSet,
)
from serviceloop.support.models import (
    Article,
    ArticleVersion,
    KnowledgeCategory,
)
from serviceloop.support.search_knowledge import search_results

# --- Concurrency ---------------------------------------------------------------------------


class PreconditionRequired(APIException):
    status_code = 428
    default_detail = gettext_lazy(
        "Send If-Match with the ETag of the article as you read it, so that nobody's change "
        "is overwritten."
    )
    default_code = "precondition_required"


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = gettext_lazy(
        "The article changed since you read it. Read it again and repeat your change."
    )
    default_code = "precondition_failed"


def expected_version(request, article: Article) -> int | None:
    """The version named by ``If-Match`` (None for ``*``); 428 without the header, 412 when
    no tag in it is the article's current version."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise PreconditionRequired
    tags = [tag.strip() for tag in header.split(",")]
    if "*" in tags:
        return None
    for tag in tags:
        value = tag.removeprefix("W/").strip('"')
        if value.isdigit() and int(value) == article.version:
            return article.version
    raise PreconditionFailed


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="The article's ETag as read (or *).",
)


def _is_staff(user) -> bool:
    return user.has_capability(Capability.STAFF)


def _staff_only(user) -> None:
    if not _is_staff(user):
        raise Http404


# --- Serializers ---------------------------------------------------------------------------


class ArticleSerializer(serializers.ModelSerializer):
    """An article as its reader sees it: staff the newest version, customers the published
    one (and no workflow fields)."""

    id = serializers.UUIDField(source="uuid", read_only=True)
    title = serializers.SerializerMethodField()
    body = serializers.SerializerMethodField(help_text="Sanitised HTML.")
    status = serializers.CharField(
        read_only=True, help_text="draft | in_review | published | retired"
    )
    audience = serializers.CharField(read_only=True, help_text="internal | customers")
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    categories = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    services = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    version_number = serializers.SerializerMethodField()
    published_version_number = serializers.SerializerMethodField()
    review_overdue = serializers.BooleanField(source="is_review_overdue", read_only=True)

    class Meta:
        model = Article
        fields = [
            "id", "reference", "title", "body", "status", "audience", "owner", "review_due",
            "review_overdue", "categories", "services", "version_number",
            "published_version_number", "first_published_at", "created_at", "updated_at",
            "version",
        ]  # fmt: skip
        read_only_fields = fields

    def _shown(self, article) -> ArticleVersion | None:
        if self.context.get("reader"):
            return article.published_version
        return article.current_version

    def get_title(self, article) -> str:
        shown = self._shown(article)
        return shown.title if shown else article.title

    def get_body(self, article) -> str:
        shown = self._shown(article)
        return shown.body if shown else ""

    def get_version_number(self, article) -> int | None:
        shown = self._shown(article)
        return shown.number if shown else None

    def get_published_version_number(self, article) -> int | None:
        return article.published_version.number if article.published_version_id else None

    def to_representation(self, article):
        data = super().to_representation(article)
        if self.context.get("reader"):
            # Readers get the text, not the provider's workflow (owner, services, status).
            for name in ("status", "owner", "services", "review_due", "review_overdue", "version"):
                data.pop(name, None)
        return data


class ArticleWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    body = serializers.CharField(required=False, help_text="HTML (sanitised) or plain text.")
    change_note = serializers.CharField(max_length=300, required=False, allow_blank=True)
    audience = serializers.CharField(required=False, help_text="internal | customers")
    owner = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True), required=False
    )
    review_due = serializers.DateField(required=False)
    categories = serializers.SlugRelatedField(
        slug_field="name", queryset=KnowledgeCategory.objects.all(), many=True, required=False
    )
    services = serializers.SlugRelatedField(
        slug_field="code", queryset=Service.objects.all(), many=True, required=False
    )


class ArticleTransitionSerializer(serializers.Serializer):
    target = serializers.CharField(help_text="in_review | draft | published | retired")


class ReviewedSerializer(serializers.Serializer):
    next_review = serializers.DateField(required=False, allow_null=True)


class FeedbackSerializer(serializers.Serializer):
    helpful = serializers.BooleanField()
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class FeedbackAnswerSerializer(serializers.Serializer):
    version = serializers.IntegerField(source="version.number")
    helpful = serializers.BooleanField()
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class VersionFeedbackSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    yes = serializers.IntegerField()
    no = serializers.IntegerField()


class FeedbackStatsSerializer(serializers.Serializer):
    yes = serializers.IntegerField()
    no = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.IntegerField(allow_null=True)
    per_version = VersionFeedbackSerializer(many=True)


class ArticleVersionSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    published_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ArticleVersion
        fields = [
            "number", "title", "body", "change_note", "created_by", "created_at", "published_at",
            "published_by",
        ]  # fmt: skip
        read_only_fields = fields


class KnowledgeCategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = KnowledgeCategory
        fields = ["id", "name", "description", "is_active"]
        read_only_fields = ["id"]
        extra_kwargs = {"name": {"validators": []}}  # the service checks uniqueness


class SearchResultSerializer(serializers.Serializer):
    reference = serializers.CharField()
    title = serializers.CharField()
    snippet = serializers.CharField()
    audience = serializers.CharField()
    unpublished = serializers.BooleanField(help_text="The match is in a version not published yet.")


# --- Articles ------------------------------------------------------------------------------


ARTICLE_FILTERS = [
    OpenApiParameter(
        "status", OpenApiTypes.STR, description="draft | in_review | published | retired"
    ),
    OpenApiParameter("audience", OpenApiTypes.STR, description="internal | customers"),
    OpenApiParameter("category", OpenApiTypes.STR, description="A category name."),
    OpenApiParameter("service", OpenApiTypes.STR, description="A service code."),
    OpenApiParameter("overdue", OpenApiTypes.BOOL, description="Only articles due for review."),
]


class ArticleViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ArticleSerializer
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = Article.objects.none()  # for the schema

    def handle_exception(self, exc):
        if isinstance(exc, DjangoValidationError) and any(
            e.code == "stale" for e in getattr(exc, "error_list", [])
        ):
            exc = PreconditionFailed()
        return super().handle_exception(exc)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["reader"] = not _is_staff(self.request.user)
        return context

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        articles = (
            Article.objects.visible_to(self.request.user)
            .select_related("owner", "current_version", "published_version")
            .prefetch_related("categories", "services")
        )
        params = self.request.query_params
        if params.get("status"):
            articles = articles.filter(status=params["status"])
        if params.get("audience"):
            articles = articles.filter(audience=params["audience"])
        if params.get("category"):
            articles = articles.filter(categories__name=params["category"])
        if params.get("service"):
            articles = articles.filter(services__code=params["service"])
        if params.get("overdue") in ("1", "true", "True", "yes"):
            articles = articles.review_overdue()
        return articles

    def _respond(self, article, code=status.HTTP_200_OK):
        article = (
            Article.objects.select_related("owner", "current_version", "published_version")
            .prefetch_related("categories", "services")
            .get(pk=article.pk)
        )
        response = Response(self.get_serializer(article).data, status=code)
        if _is_staff(self.request.user):
            response["ETag"] = f'"{article.version}"'
        return response

    @extend_schema(parameters=ARTICLE_FILTERS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, reference=None):
        article = services.get_article_for(request.user, reference)
        if not _is_staff(request.user) and not article.is_readable:
            raise Http404
        return self._respond(article)

    @extend_schema(request=ArticleWriteSerializer, responses={201: ArticleSerializer})
    def create(self, request):
        if not services.knowledge_may_write(request.user):
            raise PermissionDenied
        serializer = ArticleWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        missing = {f: ["This field is required."] for f in ("title", "body") if f not in data}
        if missing:
            raise serializers.ValidationError(missing)
        article = services.article_create(actor=request.user, **data)
        return self._respond(article, status.HTTP_201_CREATED)

    @extend_schema(
        request=ArticleWriteSerializer, responses={200: ArticleSerializer}, parameters=[IF_MATCH]
    )
    def partial_update(self, request, reference=None):
        article = services.get_article_for(request.user, reference, write=True)
        serializer = ArticleWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        article = services.article_update(
            actor=request.user,
            article=article,
            expected_version=expected_version(request, article),
            **serializer.validated_data,
        )
        return self._respond(article)

    @extend_schema(
        request=ArticleTransitionSerializer,
        responses={200: ArticleSerializer},
        parameters=[IF_MATCH],
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, reference=None):
        article = services.get_article_for(request.user, reference, write=True)
        serializer = ArticleTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        article = services.article_transition(
            actor=request.user,
            article=article,
            target=serializer.validated_data["target"],
            expected_version=expected_version(request, article),
        )
        return self._respond(article)

    @extend_schema(request=ReviewedSerializer, responses={200: ArticleSerializer})
    @action(detail=True, methods=["post"])
    def reviewed(self, request, reference=None):
        article = services.get_article_for(request.user, reference, write=True)
        serializer = ReviewedSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        article = services.article_mark_reviewed(
            actor=request.user,
            article=article,
            next_review=serializer.validated_data.get("next_review"),
        )
        return self._respond(article)

    @extend_schema(responses={200: ArticleVersionSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None)
    def versions(self, request, reference=None):
        _staff_only(request.user)
        article = services.get_article_for(request.user, reference)
        versions = article.versions.select_related("created_by", "published_by")
        return Response(ArticleVersionSerializer(versions, many=True).data)

    @extend_schema(methods=["GET"], request=None, responses={200: FeedbackStatsSerializer})
    @extend_schema(
        methods=["POST"], request=FeedbackSerializer, responses={200: FeedbackAnswerSerializer}
    )
    @action(detail=True, methods=["get", "post"])
    def feedback(self, request, reference=None):
        """GET: the helpful / not helpful figures (staff). POST: the reader's answer on the
        published version (one per reader and version; a new answer replaces it)."""
        article = services.get_article_for(request.user, reference)
        if request.method == "GET":
            _staff_only(request.user)
            return Response(feedback_services.feedback_stats(article))
        if not _is_staff(request.user) and not article.is_readable:
            raise Http404
        serializer = FeedbackSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        answer = feedback_services.article_feedback_give(
            actor=request.user, article=article, **serializer.validated_data
        )
        return Response(FeedbackAnswerSerializer(answer).data)

    @extend_schema(responses={200: ArticleLinksSerializer})
    @action(detail=True, methods=["get"], pagination_class=None)
    def links(self, request, reference=None):
        _staff_only(request.user)
        article = services.get_article_for(request.user, reference)
        return Response(
            {
                "tickets": TicketLinkSerializer(
                    article.ticket_links.select_related("ticket", "linked_by", "used_by"),
                    many=True,
                ).data,
                "problems": ProblemLinkSerializer(
                    article.problem_links.select_related("problem", "linked_by", "used_by"),
                    many=True,
                ).data,
            }
        )


# --- Categories ----------------------------------------------------------------------------


class KnowledgeCategoryViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Staff see every category; customers the active ones."""

    serializer_class = KnowledgeCategorySerializer
    queryset = KnowledgeCategory.objects.none()  # for the schema

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        categories = KnowledgeCategory.objects.all()
        if not _is_staff(self.request.user):
            categories = categories.filter(is_active=True)
        return categories

    def create(self, request):
        if not services.knowledge_may_write(request.user):
            raise PermissionDenied
        serializer = KnowledgeCategorySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        category = services.category_create(
            actor=request.user, name=data["name"], description=data.get("description", "")
        )
        return Response(KnowledgeCategorySerializer(category).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        category = services.get_category_for(request.user, pk, write=True)
        serializer = KnowledgeCategorySerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        category = services.category_update(
            actor=request.user, category=category, **serializer.validated_data
        )
        return Response(KnowledgeCategorySerializer(category).data)


# --- Search ---------------------------------------------------------------------------------


class KnowledgeSearchViewSet(viewsets.GenericViewSet):
    """Ranked full-text search (Chinese segmented by jieba) with a snippet per article."""

    serializer_class = SearchResultSerializer
    pagination_class = None
    queryset = Article.objects.none()  # for the schema

    @extend_schema(
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, required=True, description="The words."),
            OpenApiParameter("limit", OpenApiTypes.INT, description="At most 50 (default 20)."),
            OpenApiParameter(
                "published", OpenApiTypes.BOOL, description="Staff: only readable articles."
            ),
        ],
        responses={200: SearchResultSerializer(many=True)},
    )
    def list(self, request):
        try:
            limit = max(1, min(int(request.query_params.get("limit", 20)), 50))
        except ValueError:
            limit = 20
        readable_only = request.query_params.get("published") in ("1", "true", "True")
        results = search_results(
            request.user,
            request.query_params.get("q", ""),
            limit=limit,
            readable_only=readable_only or not _is_staff(request.user),
        )
        rows = [
            {
                "reference": r.article.reference,
                "title": r.title,
                "snippet": "".join(text for text, _hit in r.snippet_parts),
                "audience": r.article.audience,
                "unpublished": r.is_draft,
            }
            for r in results
        ]
        return Response(SearchResultSerializer(rows, many=True).data)


ROUTES: list = [
    ("knowledge/articles", ArticleViewSet, "knowledge-article"),
    ("knowledge/categories", KnowledgeCategoryViewSet, "knowledge-category"),
    ("knowledge/ticket-links", TicketLinkViewSet, "knowledge-ticket-link"),
    ("knowledge/problem-links", ProblemLinkViewSet, "knowledge-problem-link"),
    ("knowledge/search", KnowledgeSearchViewSet, "knowledge-search"),
]
