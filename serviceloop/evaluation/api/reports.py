"""REST API of evaluation: service reports (9.4) and their templates.

``/api/v1/report-templates/`` (by id; ``?active=true|false``, ``?customer=<organisation
uuid>``): list, read, create, ``PUT``/``PATCH`` and ``DELETE`` (only a template that never
produced a report: deactivate one that did, ``{"is_active": false}``). Provider staff read;
report managers (MANAGE_SYSTEM or LEAD) write, other staff 403; customers 404. Reads and
writes answer ``ETag`` (the version); updates and deletes honour ``If-Match`` (412 stale).
Every write is one service call with its audit row.

``/api/v1/service-reports/`` (by reference, newest first; ``?status=``, ``?period=2026-10``,
``?customer=<organisation uuid>``): list and read, the data snapshot on the detail, and the
files at ``…/pdf/`` and ``…/xlsx/`` (``pdf_url`` / ``xlsx_url`` in each row).
``POST /api/v1/service-reports/generate/`` ``{"template", "day", "commentary", "send"}``
queues a report (report managers: MANAGE_SYSTEM or LEAD; other staff 403).

Visibility as on the screens: staff read every report; a customer manager his
organisation's generated reports; every other user gets 404.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.reverse import reverse

from serviceloop.core.models import Organisation
from serviceloop.evaluation import queries_reports as queries
from serviceloop.evaluation import services_reports as services
from serviceloop.evaluation.models import (
    ReportPeriod,
    ReportSection,
    ReportStatus,
    ReportTemplate,
    ServiceReport,
)
from serviceloop.evaluation.permissions_reports import (
    get_template_for,
    may_read_reports,
    require_manager,
)
from serviceloop.evaluation.services_reports import report_request
from serviceloop.planning.api_support import (
    IF_MATCH,
    ManagementViewSetMixin,
    enum_field,
    if_match,
)
from serviceloop.portfolio.models import Service


def of_customer(rows, customer: str | None):
    """``rows`` (reports or templates) of the customer organisation whose id is
    ``customer``; all of them without one, none for a malformed id."""
    if not customer:
        return rows
    try:
        return rows.filter(organisation__uuid=customer)
    except ValidationError:
        return rows.none()


class ReportReaders(permissions.BasePermission):
    """Staff and customer managers; to everyone else service reports do not exist."""

    def has_permission(self, request, view):
        if not request.user.is_authenticated:
            return False
        if not may_read_reports(request.user):
            raise Http404
        return True


class ServiceReportSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    template = serializers.IntegerField(source="template_id", read_only=True)
    title = serializers.CharField(source="template.name", read_only=True)
    customer = serializers.SlugRelatedField(
        source="organisation", slug_field="uuid", read_only=True
    )
    customer_name = serializers.CharField(source="organisation.name", read_only=True, default=None)
    service = serializers.SlugRelatedField(slug_field="code", read_only=True)
    # named in SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] (ServiceReportStatusEnum, LanguageEnum)
    status = serializers.ChoiceField(choices=ReportStatus.choices, read_only=True)
    period_kind = enum_field(
        ReportPeriod.choices, "evaluation-service-report-period", read_only=True
    )
    language = serializers.ChoiceField(choices=settings.LANGUAGES, read_only=True)
    pdf_url = serializers.SerializerMethodField()
    xlsx_url = serializers.SerializerMethodField()

    class Meta:
        model = ServiceReport
        fields = [
            "id", "reference", "template", "title", "customer", "customer_name", "service",
            "period_kind", "period_label", "period_start", "period_end", "version", "status",
            "language", "generated_at", "sent_at", "checksum", "pdf_url", "xlsx_url",
        ]  # fmt: skip
        read_only_fields = fields

    def _url(self, report, name) -> str | None:
        if not report.is_ready:
            return None
        return reverse(
            f"service-report-{name}",
            kwargs={"reference": report.reference},
            request=self.context.get("request"),
        )

    def get_pdf_url(self, report) -> str | None:
        return self._url(report, "pdf")

    def get_xlsx_url(self, report) -> str | None:
        return self._url(report, "xlsx")


class ServiceReportDetailSerializer(ServiceReportSerializer):
    snapshot = serializers.JSONField(read_only=True)

    class Meta(ServiceReportSerializer.Meta):
        fields = [*ServiceReportSerializer.Meta.fields, "snapshot"]
        read_only_fields = fields


class ReportGenerateSerializer(serializers.Serializer):
    template = serializers.IntegerField()
    day = serializers.DateField(help_text="Any day of the month or quarter to report.")
    commentary = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    send = serializers.BooleanField(required=False, default=False)


class ServiceReportViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = ServiceReportSerializer
    permission_classes = [ReportReaders]
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = ServiceReport.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ServiceReport.objects.none()
        reports = ServiceReport.objects.visible_to(self.request.user).select_related(
            "template", "organisation", "service"
        )
        params = self.request.query_params
        if params.get("status"):
            reports = reports.filter(status=params["status"])
        if params.get("period"):
            reports = reports.filter(period_label=params["period"])
        return of_customer(reports, params.get("customer"))

    def get_serializer_class(self):
        if self.action == "retrieve":
            return ServiceReportDetailSerializer
        return super().get_serializer_class()

    def _file(self, kind: str):
        report = self.get_object()
        field = report.pdf if kind == "pdf" else report.xlsx
        if not report.is_ready or not field:
            raise Http404
        content_type = (
            "application/pdf"
            if kind == "pdf"
            else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        return FileResponse(
            field.open("rb"),
            as_attachment=True,
            filename=report.file_name(kind),
            content_type=content_type,
        )

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def pdf(self, request, reference=None):
        return self._file("pdf")

    @extend_schema(
        responses={
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"):
                OpenApiTypes.BINARY
        }
    )  # fmt: skip
    @action(detail=True, methods=["get"])
    def xlsx(self, request, reference=None):
        return self._file("xlsx")

    @extend_schema(
        request=ReportGenerateSerializer,
        responses={202: ServiceReportSerializer, 400: OpenApiResponse(description="Bad input")},
    )
    @action(detail=False, methods=["post"])
    def generate(self, request):
        data = ReportGenerateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        template = get_template_for(request.user, data.validated_data["template"], write=True)
        report = report_request(
            actor=request.user,
            template=template,
            day=data.validated_data["day"],
            commentary=data.validated_data.get("commentary"),
            send=data.validated_data["send"],
        )
        return Response(
            ServiceReportSerializer(report, context={"request": request}).data,
            status=status.HTTP_202_ACCEPTED,
        )


# --- Templates -----------------------------------------------------------------------------


class ReportTemplateSerializer(serializers.ModelSerializer):
    customer = serializers.SlugRelatedField(
        source="organisation",
        slug_field="uuid",
        queryset=Organisation.objects.customers(),
        required=False,
        allow_null=True,
        help_text="The customer organisation's id; empty: every customer of the service.",
    )
    customer_name = serializers.CharField(source="organisation.name", read_only=True, default=None)
    service = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Service.objects.all(),
        required=False,
        allow_null=True,
        help_text="The service's code; empty: every service of the customer.",
    )
    # named as on the reports (one enum in the schema): month or quarter
    period_kind = enum_field(
        ReportPeriod.choices, "evaluation-service-report-period", source="period", required=False
    )
    sections = serializers.ListField(
        child=enum_field(ReportSection.choices, "evaluation-service-report-section"),
        required=False,
        help_text="The sections in the order the report shows them (each once).",
    )
    language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False)
    generation_day = serializers.IntegerField(min_value=1, max_value=28, required=False)
    report_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = ReportTemplate
        fields = [
            "id", "name", "customer", "customer_name", "service", "period_kind", "sections",
            "language", "send_to_contacts", "extra_recipients", "schedule_enabled",
            "generation_day", "commentary", "is_active", "report_count", "created_at",
            "updated_at", "version",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at", "version"]


# The service's error keys (model fields) as this API names them.
TEMPLATE_API_NAMES = {"organisation": "customer", "period": "period_kind"}


def _template_write(function, **kwargs):
    """Call a template service; its field errors keyed by this API's names."""
    try:
        return function(**kwargs)
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            raise
        raise ValidationError(
            {TEMPLATE_API_NAMES.get(key, key): value for key, value in error.error_dict.items()}
        ) from error


class ReportTemplateViewSet(
    ManagementViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):  # fmt: skip
    """Report templates: what to report about whom, to whom and when."""

    serializer_class = ReportTemplateSerializer
    lookup_value_regex = r"[0-9]+"
    queryset = ReportTemplate.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        templates = queries.templates_for_list(self.request.user)
        if self.action != "list":
            return templates
        params = self.request.query_params
        if params.get("active") in ("true", "false"):
            templates = templates.filter(is_active=params["active"] == "true")
        return of_customer(templates, params.get("customer"))

    def get_object(self):
        return get_template_for(self.request.user, self.kwargs["pk"])

    @extend_schema(
        parameters=[
            OpenApiParameter("active", OpenApiTypes.BOOL, required=False),
            OpenApiParameter("customer", OpenApiTypes.UUID, required=False),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def create(self, request):
        require_manager(request.user)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        template = _template_write(
            services.template_create, actor=request.user, **serializer.validated_data
        )
        return self.respond(template, status.HTTP_201_CREATED)

    def _change(self, request, pk, *, partial: bool):
        template = get_template_for(request.user, pk, write=True)
        serializer = self.get_serializer(template, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        template = _template_write(
            services.template_update, actor=request.user, template=template,
            expected_version=if_match(request, template), **serializer.validated_data,
        )  # fmt: skip
        return self.respond(template)

    @extend_schema(parameters=[IF_MATCH])
    def update(self, request, pk=None):
        return self._change(request, pk, partial=False)

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request, pk=None):
        return self._change(request, pk, partial=True)

    @extend_schema(
        parameters=[IF_MATCH],
        responses={
            204: OpenApiResponse(description="Deleted"),
            400: OpenApiResponse(description="Reports were generated from it"),
        },
    )
    def destroy(self, request, pk=None):
        template = get_template_for(request.user, pk, write=True)
        services.template_delete(
            actor=request.user, template=template, expected_version=if_match(request, template)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


ROUTES = [
    ("report-templates", ReportTemplateViewSet, "report-template"),
    ("service-reports", ServiceReportViewSet, "service-report"),
]
