"""REST API of evaluation: service reports (9.4).

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
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.reverse import reverse

from serviceloop.evaluation.models import ReportPeriod, ReportStatus, ServiceReport
from serviceloop.evaluation.permissions_reports import may_read_reports
from serviceloop.evaluation.services_reports import report_request
from serviceloop.planning.api_support import enum_field


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
        if params.get("customer"):
            try:
                reports = reports.filter(organisation__uuid=params["customer"])
            except ValidationError:  # a malformed uuid matches nothing
                reports = reports.none()
        return reports

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
        from serviceloop.evaluation.permissions_reports import get_template_for

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


ROUTES = [("service-reports", ServiceReportViewSet, "service-report")]
