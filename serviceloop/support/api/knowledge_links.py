"""REST API of the knowledge part, continued: links from articles to desk tickets
(``knowledge/ticket-links/``) and to problems / known errors (``knowledge/problem-links/``),
filtered by article, target and "used to resolve"; ``POST`` links (once), ``PATCH`` marks a
link as used to resolve, ``DELETE`` removes one that is not. Links are the provider's
records: staff only (customers get 404); linking needs the *operate* capability (403).
The routes are declared with the rest of the knowledge API (``api.knowledge.ROUTES``).
"""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from serviceloop.core.roles import Capability
from serviceloop.desk.models import Problem, Ticket
from serviceloop.support import services_knowledge as services
from serviceloop.support import services_knowledge_links as link_services
from serviceloop.support.models import ArticleProblemLink, ArticleTicketLink


def _staff_only(user) -> None:
    if not user.has_capability(Capability.STAFF):
        raise Http404


# --- Serializers ---------------------------------------------------------------------------


class _LinkSerializer(serializers.ModelSerializer):
    article = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    linked_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    used_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    common = ["id", "article", "used_to_resolve", "used_at", "used_by", "linked_at", "linked_by"]


class TicketLinkSerializer(_LinkSerializer):
    ticket = serializers.SlugRelatedField(slug_field="reference", read_only=True)

    class Meta:
        model = ArticleTicketLink
        fields = [*_LinkSerializer.common, "ticket"]
        read_only_fields = fields


class ProblemLinkSerializer(_LinkSerializer):
    problem = serializers.SlugRelatedField(slug_field="reference", read_only=True)

    class Meta:
        model = ArticleProblemLink
        fields = [*_LinkSerializer.common, "problem"]
        read_only_fields = fields


class ArticleLinksSerializer(serializers.Serializer):
    tickets = TicketLinkSerializer(many=True)
    problems = ProblemLinkSerializer(many=True)


class TicketLinkCreateSerializer(serializers.Serializer):
    article = serializers.CharField(max_length=32)
    ticket = serializers.CharField(max_length=32)
    used_to_resolve = serializers.BooleanField(required=False, default=False)


class ProblemLinkCreateSerializer(serializers.Serializer):
    article = serializers.CharField(max_length=32)
    problem = serializers.CharField(max_length=32)
    used_to_resolve = serializers.BooleanField(required=False, default=False)


class LinkUsedSerializer(serializers.Serializer):
    used_to_resolve = serializers.BooleanField()


# --- Views ----------------------------------------------------------------------------------


class _LinkViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Links are the provider's records: staff only (customers get 404)."""

    model = ArticleTicketLink
    kind = "ticket"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.model.objects.none()
        _staff_only(self.request.user)
        links = self.model.objects.select_related("article", self.kind, "linked_by", "used_by")
        params = self.request.query_params
        if params.get("article"):
            links = links.filter(article__reference=params["article"])
        if params.get(self.kind):
            links = links.filter(**{f"{self.kind}__reference": params[self.kind]})
        if params.get("used_to_resolve") in ("1", "true", "True"):
            links = links.filter(used_to_resolve=True)
        return links

    def _link(self, pk):
        _staff_only(self.request.user)
        link = self.model.objects.select_related("article", self.kind).filter(pk=pk).first()
        if link is None:
            raise Http404
        return link

    def _create(self, request, serializer_class, target_model, link_service):
        _staff_only(request.user)
        if not link_services.knowledge_may_link(request.user):
            raise PermissionDenied
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        article = services.get_article_for(request.user, data["article"])
        target = target_model.objects.visible_to(request.user).filter(reference=data[self.kind])
        target = target.first()
        if target is None:
            raise serializers.ValidationError({self.kind: ["Unknown reference."]})
        link, created = link_service(
            actor=request.user,
            article=article,
            used_to_resolve=data["used_to_resolve"],
            **{self.kind: target},
        )
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(self.get_serializer(link).data, status=code)

    def partial_update(self, request, pk=None):
        link = self._link(pk)
        serializer = LinkUsedSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        link = link_services.article_link_mark_used(
            actor=request.user, link=link, used=serializer.validated_data["used_to_resolve"]
        )
        return Response(self.get_serializer(link).data)

    def destroy(self, request, pk=None):
        link = self._link(pk)
        link_services.article_unlink(actor=request.user, link=link)
        return Response(status=status.HTTP_204_NO_CONTENT)


LINK_FILTERS = [
    OpenApiParameter("article", OpenApiTypes.STR, description="An article reference."),
    OpenApiParameter("used_to_resolve", OpenApiTypes.BOOL),
]


class TicketLinkViewSet(_LinkViewSet):
    serializer_class = TicketLinkSerializer
    queryset = ArticleTicketLink.objects.none()
    model, kind = ArticleTicketLink, "ticket"

    @extend_schema(parameters=[*LINK_FILTERS, OpenApiParameter("ticket", OpenApiTypes.STR)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=TicketLinkCreateSerializer, responses={201: TicketLinkSerializer})
    def create(self, request):
        return self._create(
            request, TicketLinkCreateSerializer, Ticket, link_services.article_link_ticket
        )

    @extend_schema(request=LinkUsedSerializer, responses={200: TicketLinkSerializer})
    def partial_update(self, request, pk=None):
        return super().partial_update(request, pk)


class ProblemLinkViewSet(_LinkViewSet):
    serializer_class = ProblemLinkSerializer
    queryset = ArticleProblemLink.objects.none()
    model, kind = ArticleProblemLink, "problem"

    @extend_schema(parameters=[*LINK_FILTERS, OpenApiParameter("problem", OpenApiTypes.STR)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=ProblemLinkCreateSerializer, responses={201: ProblemLinkSerializer})
    def create(self, request):
        return self._create(
            request, ProblemLinkCreateSerializer, Problem, link_services.article_link_problem
        )

    @extend_schema(request=LinkUsedSerializer, responses={200: ProblemLinkSerializer})
    def partial_update(self, request, pk=None):
        return super().partial_update(request, pk)
