"""A ticket's affected configuration items through the API:
``/api/v1/tickets/<reference>/configuration-items/`` — GET lists them with the services and
customers they reach (staff only); PUT ``{"items": ["CI-…", …]}`` replaces them (agents)."""

from django.core.exceptions import ValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from serviceloop.core.roles import Capability
from serviceloop.desk.permissions import get_ticket_for
from serviceloop.desk.services import affected


class AffectedItemsWriteSerializer(serializers.Serializer):
    items = serializers.ListField(child=serializers.CharField(max_length=32), max_length=50)


class AffectedItemsSerializer(serializers.Serializer):
    items = serializers.ListField(child=serializers.DictField())
    services = serializers.ListField(child=serializers.DictField())
    customers = serializers.ListField(child=serializers.DictField())


def _body(ticket) -> dict:
    links = list(ticket.affected_items.select_related("item__ci_type"))
    impact = affected.ticket_impact(ticket) if links else None
    return {
        "items": [
            {
                "reference": link.item.reference,
                "name": link.item.name,
                "type": link.item.ci_type.name,
            }
            for link in links
        ],
        "services": [
            {"code": s.code, "name": s.name, "depth": s.depth}
            for s in (impact.services if impact else [])
        ],
        "customers": [
            {"name": c.name, "short_name": c.short_name}
            for c in (impact.customers if impact else [])
        ],
    }


class TicketAffectedItemsView(APIView):
    def _ticket(self, request, reference, *, write=False):
        if not request.user.has_capability(Capability.STAFF):
            raise Http404  # the CMDB is the provider's
        return get_ticket_for(request.user, reference, write=write)

    @extend_schema(responses=AffectedItemsSerializer)
    def get(self, request, reference):
        return Response(_body(self._ticket(request, reference)))

    @extend_schema(request=AffectedItemsWriteSerializer, responses=AffectedItemsSerializer)
    def put(self, request, reference):
        ticket = self._ticket(request, reference, write=True)
        serializer = AffectedItemsWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            items = affected.items_by_reference(request.user, serializer.validated_data["items"])
            affected.affected_items_set(actor=request.user, ticket=ticket, items=items)
        except ValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error
        return Response(_body(ticket))
