"""REST API of conformity: ``ROUTES`` = [(prefix, viewset, basename)].

``/api/v1/clauses/`` (read only): the clause model with our guidance, in the list's order,
looked up by number (``/api/v1/clauses/8.3.3/``); ``/api/v1/clauses/8.6.1/evidence/`` gives
the live evidence of the clause and its sub-clauses. Provider staff only; customers get 404.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from serviceloop.conformity import queries
from serviceloop.conformity.evidence import evidence_for
from serviceloop.conformity.models import Clause
from serviceloop.conformity.permissions import ProviderStaffOr404, get_clause_for


class ClauseOrderPagination(CursorPagination):
    ordering = "position"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500


class ClauseSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="number", read_only=True)

    class Meta:
        model = Clause
        fields = [
            "number", "parent", "level", "position", "is_leaf", "title_en", "title_zh", "area",
            "guidance_en", "guidance_zh",
        ]  # fmt: skip


class EvidenceSerializer(serializers.Serializer):
    clause = serializers.CharField()
    label = serializers.CharField()
    value = serializers.CharField()
    ratio = serializers.FloatField(allow_null=True)
    percent = serializers.IntegerField(allow_null=True)
    tone = serializers.ChoiceField(choices=["good", "warn", "bad", "info"])
    detail = serializers.CharField()
    url = serializers.CharField()


class ClauseViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ClauseSerializer
    permission_classes = [ProviderStaffOr404]
    pagination_class = ClauseOrderPagination
    lookup_field = "number"
    lookup_value_regex = r"[0-9.]+"
    queryset = Clause.objects.none()  # for the schema

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return Clause.objects.visible_to(self.request.user).select_related("parent")

    def get_object(self):
        return get_clause_for(self.request.user, self.kwargs["number"])

    @extend_schema(responses={200: EvidenceSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def evidence(self, request, number=None):
        """Live evidence from the records for the clause and its sub-clauses."""
        clause = self.get_object()
        found = evidence_for([c.number for c in queries.clause_subtree(clause)])
        items = [item.as_dict() for items in found.values() for item in items]
        return Response(EvidenceSerializer(items, many=True).data)


ROUTES: list = [("clauses", ClauseViewSet, "clause")]
