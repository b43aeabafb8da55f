"""REST API of evaluation: ``ROUTES`` = [(prefix, viewset, basename)].

Read-only: KPI definitions (``/api/v1/kpis/``), a KPI's current value
(``/api/v1/kpis/<code>/value/?day=YYYY-MM-DD``; status ``unavailable`` while the function
computing it is not installed) and stored values (``/api/v1/kpi-values/?code=&slice=``: the
whole and every slice; ``slice_key`` ``{}`` is the whole, ``?slice={}`` gives only the whole).
Staff only; everyone else sees an empty list / 404."""

import datetime

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from serviceloop.evaluation import engine
from serviceloop.evaluation.models import KpiDefinition, KpiSnapshot


class KpiDefinitionSerializer(serializers.ModelSerializer):
    class Meta:
        model = KpiDefinition
        fields = ["code", "name_en", "name_zh", "description", "aggregate", "source", "external",
                  "denominator_filter", "numerator_filter", "value_field", "start_field",
                  "end_field", "percentile", "slices", "unit", "direction", "target", "warning",
                  "period", "owner", "is_active", "version"]  # fmt: skip


class KpiSnapshotSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="definition.code")

    class Meta:
        model = KpiSnapshot
        fields = ["code", "period_start", "period_end", "slice_key", "value", "numerator",
                  "denominator", "status", "computed_at"]  # fmt: skip


class KpiValueSerializer(serializers.Serializer):
    period_start = serializers.DateTimeField()
    period_end = serializers.DateTimeField()
    value = serializers.FloatField(allow_null=True)
    numerator = serializers.FloatField(allow_null=True)
    denominator = serializers.FloatField(allow_null=True)
    status = serializers.CharField()


class KpiDefinitionViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = KpiDefinitionSerializer
    lookup_field = "code"

    def get_queryset(self):
        return KpiDefinition.objects.visible_to(self.request.user).order_by("code")

    @extend_schema(responses=KpiValueSerializer)
    @action(detail=True, methods=["get"])
    def value(self, request, code=None):
        definition = self.get_object()
        try:
            day = datetime.date.fromisoformat(request.query_params.get("day", ""))
        except ValueError:
            from django.utils import timezone

            day = timezone.localdate()
        start, end = engine.period_bounds(definition.period, day)
        try:
            result = engine.kpi_evaluate(definition, start, end)
        except ValidationError as error:
            raise serializers.ValidationError(error.messages) from error
        return Response(KpiValueSerializer({
            "period_start": start, "period_end": end, "value": result.value,
            "numerator": result.numerator, "denominator": result.denominator,
            "status": result.status,
        }).data)  # fmt: skip


class KpiSnapshotViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = KpiSnapshotSerializer

    def get_queryset(self):
        visible = KpiDefinition.objects.visible_to(self.request.user)
        rows = KpiSnapshot.objects.filter(definition__in=visible).select_related("definition")
        code = self.request.query_params.get("code")
        if code:
            rows = rows.filter(definition__code=code)
        slice_id = self.request.query_params.get("slice")
        if slice_id is not None:  # the canonical slice text: "{}" is the whole
            rows = rows.filter(slice_id=slice_id)
        return rows.order_by("definition__code", "period_start", "id")


ROUTES: list = [
    ("kpis", KpiDefinitionViewSet, "kpi"),
    ("kpi-values", KpiSnapshotViewSet, "kpi-value"),
]
