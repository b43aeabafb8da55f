"""The budgeting and accounting API (staff only: 404 to customers).

- ``/api/v1/budgets/{id}/``: budgets with their actual cost, variance and variance %;
  list (``?year=``, ``service``, ``period_kind``), create, PATCH (``ETag``/``If-Match``);
- ``/api/v1/cost-lines/{id}/``: list (``?service=``, ``category``, ``period``), create,
  PATCH;
- ``/api/v1/budget-variance/``: the variance report (budget against actual per service and
  period), not paginated;
- ``/api/v1/cost-allocation/?service=&period=&driver=``: a service's cost in a period
  shared among its customers by tickets, users or configuration items.

Budgets and cost lines are written by managers and the service's owner (403 otherwise).
"""

import uuid

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from serviceloop.demand import queries_budgets, services_budgets
from serviceloop.demand.api_capacity import StaffViewSetMixin
from serviceloop.demand.models import Budget, CostLine
from serviceloop.demand.periods import Period
from serviceloop.demand.permissions import get_budget_for, get_cost_line_for
from serviceloop.portfolio.api.common import IF_MATCH, if_match_version, with_etag
from serviceloop.portfolio.models import Service

PERIOD_HELP = "2026 | 2026-Q2 | 2026-05"
PERIOD_KIND_HELP = "year | quarter | month"
CATEGORY_HELP = "staff | licence | hardware | supplier | facilities | other"
DRIVER_HELP = "tickets | users | cis"


def _uuid_or_404(value):
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise Http404 from exc


def _period_param(params, name="period") -> Period | None:
    if not params.get(name):
        return None
    try:
        return Period.parse(params[name])
    except ValueError as exc:
        raise serializers.ValidationError(
            {name: [_("Enter a period as 2026, 2026-Q2 or 2026-05.")]}
        ) from exc


# --- Budgets -------------------------------------------------------------------------------


class BudgetSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    service = serializers.SlugRelatedField(slug_field="code", read_only=True)
    period = serializers.SerializerMethodField()
    period_kind = serializers.CharField(read_only=True, help_text=PERIOD_KIND_HELP)
    actual = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)
    variance = serializers.DecimalField(
        max_digits=16, decimal_places=2, read_only=True, help_text="actual − budget"
    )
    variance_percent = serializers.SerializerMethodField()
    other_currency_lines = serializers.IntegerField(read_only=True)

    class Meta:
        model = Budget
        fields = [
            "id", "service", "period", "period_kind", "period_start", "period_end", "amount",
            "currency", "actual", "variance", "variance_percent", "other_currency_lines",
            "note", "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(help_text=PERIOD_HELP))
    def get_period(self, budget) -> str:
        return budget.period.label

    @extend_schema_field(serializers.DecimalField(max_digits=9, decimal_places=1, allow_null=True))
    def get_variance_percent(self, budget):
        percent = queries_budgets.variance_percent(budget)
        return None if percent is None else str(percent)


class BudgetWriteSerializer(serializers.Serializer):
    service = serializers.SlugRelatedField(
        slug_field="code", queryset=Service.objects.all(), required=False, help_text="creating only"
    )
    period = serializers.CharField(max_length=7, required=False, help_text=PERIOD_HELP)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    currency = serializers.CharField(max_length=3, required=False)
    note = serializers.CharField(required=False, allow_blank=True)


class BudgetViewSet(StaffViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = BudgetSerializer
    lookup_field = "uuid"
    queryset = Budget.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        params = self.request.query_params
        service = None
        if params.get("service"):
            service = Service.objects.filter(code=params["service"]).first()
            if service is None:
                return Budget.objects.none()
        year = int(params["year"]) if params.get("year", "").isdigit() else None
        return queries_budgets.budgets_with_actuals(
            self.request.user,
            year=year,
            service=service,
            period_kind=params.get("period_kind", ""),
        ).order_by("-pk")

    @extend_schema(
        parameters=[
            OpenApiParameter("year", OpenApiTypes.INT),
            OpenApiParameter("service", OpenApiTypes.STR, description="a service's code"),
            OpenApiParameter("period_kind", OpenApiTypes.STR, description=PERIOD_KIND_HELP),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _budget(self, uuid_text, *, write=False) -> Budget:
        found = Budget.objects.filter(uuid=_uuid_or_404(uuid_text)).values("pk").first()
        if found is None:
            raise Http404
        return get_budget_for(self.request.user, found["pk"], write=write)

    def _respond(self, budget, code=status.HTTP_200_OK):
        budget = queries_budgets.budgets_with_actuals(self.request.user).get(pk=budget.pk)
        return with_etag(Response(BudgetSerializer(budget).data, status=code), budget)

    def retrieve(self, request, uuid=None):
        return self._respond(self._budget(uuid))

    @extend_schema(request=BudgetWriteSerializer, responses={201: BudgetSerializer})
    def create(self, request):
        serializer = BudgetWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        missing = {
            name: [_("This field is required.")]
            for name in ("service", "period", "amount")
            if name not in data
        }
        if missing:
            raise serializers.ValidationError(missing)
        budget = services_budgets.budget_create(actor=request.user, **data)
        return self._respond(budget, status.HTTP_201_CREATED)

    @extend_schema(
        request=BudgetWriteSerializer, responses={200: BudgetSerializer}, parameters=[IF_MATCH]
    )
    def partial_update(self, request, uuid=None):
        budget = self._budget(uuid, write=True)
        serializer = BudgetWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("service", None)
        budget = services_budgets.budget_update(
            actor=request.user,
            budget=budget,
            expected_version=if_match_version(request, budget),
            **data,
        )
        return self._respond(budget)


# --- Cost lines ----------------------------------------------------------------------------


class CostLineSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    service = serializers.SlugRelatedField(slug_field="code", read_only=True)
    category = serializers.CharField(read_only=True, help_text=CATEGORY_HELP)
    supplier = serializers.SlugRelatedField(slug_field="name", read_only=True)
    source = serializers.CharField(read_only=True, help_text="manual | csv | api")

    class Meta:
        model = CostLine
        fields = [
            "id", "service", "date", "category", "amount", "currency", "supplier", "note",
            "source", "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class CostLineWriteSerializer(serializers.Serializer):
    service = serializers.SlugRelatedField(
        slug_field="code", queryset=Service.objects.all(), required=False
    )
    date = serializers.DateField(required=False)
    category = serializers.CharField(max_length=16, required=False, help_text=CATEGORY_HELP)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False)
    currency = serializers.CharField(max_length=3, required=False)
    supplier = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="a supplier's name"
    )
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)

    def validate_supplier(self, value):
        if not value:
            return None
        from serviceloop.relationship.models import Supplier

        supplier = Supplier.objects.filter(name__iexact=value.strip()).first()
        if supplier is None:
            raise serializers.ValidationError(_("No supplier has this name."))
        return supplier


class CostLineViewSet(StaffViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = CostLineSerializer
    lookup_field = "uuid"
    queryset = CostLine.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        params = self.request.query_params
        lines = CostLine.objects.visible_to(self.request.user).select_related("service", "supplier")
        if params.get("service"):
            lines = lines.filter(service__code=params["service"])
        if params.get("category"):
            lines = lines.filter(category=params["category"])
        period = _period_param(params)
        if period is not None:
            lines = lines.filter(date__gte=period.start, date__lt=period.end)
        return lines.order_by("-pk")

    @extend_schema(
        parameters=[
            OpenApiParameter("service", OpenApiTypes.STR, description="a service's code"),
            OpenApiParameter("category", OpenApiTypes.STR, description=CATEGORY_HELP),
            OpenApiParameter("period", OpenApiTypes.STR, description=PERIOD_HELP),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _line(self, uuid_text, *, write=False) -> CostLine:
        found = CostLine.objects.filter(uuid=_uuid_or_404(uuid_text)).values("pk").first()
        if found is None:
            raise Http404
        return get_cost_line_for(self.request.user, found["pk"], write=write)

    def _respond(self, line, code=status.HTTP_200_OK):
        return with_etag(Response(CostLineSerializer(line).data, status=code), line)

    def retrieve(self, request, uuid=None):
        return self._respond(self._line(uuid))

    @extend_schema(request=CostLineWriteSerializer, responses={201: CostLineSerializer})
    def create(self, request):
        serializer = CostLineWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        missing = {
            name: [_("This field is required.")]
            for name in ("service", "date", "category", "amount")
            if name not in data
        }
        if missing:
            raise serializers.ValidationError(missing)
        line = services_budgets.cost_line_create(actor=request.user, source="api", **data)
        return self._respond(line, status.HTTP_201_CREATED)

    @extend_schema(
        request=CostLineWriteSerializer, responses={200: CostLineSerializer}, parameters=[IF_MATCH]
    )
    def partial_update(self, request, uuid=None):
        line = self._line(uuid, write=True)
        serializer = CostLineWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        line = services_budgets.cost_line_update(
            actor=request.user,
            line=line,
            expected_version=if_match_version(request, line),
            **serializer.validated_data,
        )
        return self._respond(line)


# --- Reports -------------------------------------------------------------------------------


class VarianceRowSerializer(serializers.Serializer):
    budget = serializers.UUIDField(source="uuid")
    service = serializers.CharField(source="service.code")
    service_name = serializers.CharField(source="service.name")
    period = serializers.CharField(source="period.label", help_text=PERIOD_HELP)
    currency = serializers.CharField()
    budget_amount = serializers.DecimalField(source="amount", max_digits=16, decimal_places=2)
    actual = serializers.DecimalField(max_digits=16, decimal_places=2)
    variance = serializers.DecimalField(max_digits=16, decimal_places=2)
    variance_percent = serializers.DecimalField(
        max_digits=9, decimal_places=1, allow_null=True, help_text="variance / budget × 100"
    )
    other_currency_lines = serializers.IntegerField()


class BudgetVarianceViewSet(StaffViewSetMixin, viewsets.GenericViewSet):
    """The variance report: every budget with its actual cost and variance."""

    serializer_class = VarianceRowSerializer
    pagination_class = None
    queryset = Budget.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter("year", OpenApiTypes.INT),
            OpenApiParameter("service", OpenApiTypes.STR, description="a service's code"),
            OpenApiParameter("period_kind", OpenApiTypes.STR, description=PERIOD_KIND_HELP),
        ],
        responses={200: VarianceRowSerializer(many=True)},
    )
    def list(self, request):
        params = request.query_params
        service = None
        if params.get("service"):
            service = Service.objects.filter(code=params["service"]).first()
            if service is None:
                return Response([])
        year = int(params["year"]) if params.get("year", "").isdigit() else None
        budgets = queries_budgets.budgets_with_actuals(
            request.user, year=year, service=service, period_kind=params.get("period_kind", "")
        )
        rows = []
        for budget in budgets:
            budget.variance_percent = queries_budgets.variance_percent(budget)
            rows.append(budget)
        return Response(VarianceRowSerializer(rows, many=True).data)


class AllocationRowSerializer(serializers.Serializer):
    customer = serializers.UUIDField(source="organisation.uuid")
    customer_name = serializers.CharField(source="organisation.name")
    count = serializers.IntegerField(help_text="the driver's count for the customer")
    share = serializers.DecimalField(max_digits=7, decimal_places=2, help_text="percent")
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)


class AllocationSerializer(serializers.Serializer):
    service = serializers.CharField(source="service.code")
    period = serializers.CharField(source="period.label", help_text=PERIOD_HELP)
    driver = serializers.CharField(help_text=DRIVER_HELP)
    currency = serializers.CharField()
    total_cost = serializers.DecimalField(max_digits=16, decimal_places=2)
    driver_total = serializers.IntegerField()
    allocated = serializers.DecimalField(max_digits=16, decimal_places=2)
    rows = AllocationRowSerializer(many=True)
    other_currencies = serializers.DictField(
        child=serializers.DecimalField(max_digits=16, decimal_places=2),
        help_text="costs in other currencies: not allocated",
    )


class CostAllocationViewSet(StaffViewSetMixin, viewsets.GenericViewSet):
    """A service's cost in a period shared among its customers by a driver."""

    serializer_class = AllocationSerializer
    pagination_class = None
    queryset = CostLine.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter("service", OpenApiTypes.STR, required=True, description="code"),
            OpenApiParameter("period", OpenApiTypes.STR, required=True, description=PERIOD_HELP),
            OpenApiParameter("driver", OpenApiTypes.STR, required=True, description=DRIVER_HELP),
            OpenApiParameter("currency", OpenApiTypes.STR, description="default: most used"),
        ],
        responses={200: AllocationSerializer},
    )
    def list(self, request):
        params = request.query_params
        errors = {}
        service = Service.objects.filter(code=params.get("service", "")).first()
        if service is None:
            errors["service"] = [_("No service has this code.")]
        period = None
        try:
            period = _period_param(params)
        except serializers.ValidationError as error:
            errors.update(error.detail)
        if period is None and "period" not in errors:
            errors["period"] = [_("This field is required.")]
        driver = params.get("driver", "")
        if driver not in queries_budgets.Driver.values:
            errors["driver"] = [_("Choose tickets, users or cis.")]
        if errors:
            raise serializers.ValidationError(errors)
        allocation = queries_budgets.cost_allocation(
            service, period, driver, params.get("currency", "").strip().upper()
        )
        return Response(AllocationSerializer(allocation).data)


ROUTES: list = [
    ("budgets", BudgetViewSet, "budget"),
    ("cost-lines", CostLineViewSet, "cost-line"),
    ("budget-variance", BudgetVarianceViewSet, "budget-variance"),
    ("cost-allocation", CostAllocationViewSet, "cost-allocation"),
]
