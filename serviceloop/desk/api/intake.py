"""The monitoring intake's endpoints: ``/api/v1/intake/alertmanager|zabbix|generic``.

Authenticated by a per-source bearer token (``IntakeToken``); the body is read raw with a
1 MB limit (413 above), parsed whole before anything is written (400 with the reason when
malformed), then applied alert by alert by ``intake_alerts.intake_receive``.
"""

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import APIException, AuthenticationFailed, ParseError
from rest_framework.exceptions import PermissionDenied as DRFPermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from serviceloop.desk.api.preconditions import ApiErrorSerializer
from serviceloop.desk.intake_alerts import MAX_BODY_BYTES, PARSERS, MalformedAlert, intake_receive
from serviceloop.desk.models import IntakeSource, IntakeToken
from serviceloop.desk.services.intake_tokens import intake_token_touch


class BodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The body is larger than 1 MB.")
    default_code = "too_large"


class IntakeUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "intake_unavailable"


class IntakeTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer TOKEN`` with an intake token (not a person's API token)."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != b"bearer":
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(_("Send the header as: Authorization: Bearer TOKEN."))
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise AuthenticationFailed(_("Unknown or revoked intake token.")) from exc
        token = IntakeToken.objects.for_secret(secret)
        if token is None:
            raise AuthenticationFailed(_("Unknown or revoked intake token."))
        intake_token_touch(token)
        return AnonymousUser(), token

    def authenticate_header(self, request):
        return 'Bearer realm="serviceloop-intake"'


class IntakeTokenScheme(OpenApiAuthenticationExtension):
    target_class = IntakeTokenAuthentication
    name = "intakeToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An intake token for this source (`serviceloop intake-token create`).",
        }


class TokenForThisSource(BasePermission):
    def has_permission(self, request, view):
        token = request.auth
        if not isinstance(token, IntakeToken):
            return False
        if token.source != view.source:
            raise DRFPermissionDenied(
                _("This token belongs to the %(source)s intake.")
                % {"source": IntakeSource(token.source).label}
            )
        return True


def read_body(request) -> bytes:
    """The raw body, at most ``MAX_BODY_BYTES``: 413 when ``Content-Length`` says more or
    when more arrives than that (chunked bodies, ASGI servers)."""
    declared = request.META.get("CONTENT_LENGTH") or ""
    if declared:
        try:
            if int(declared) > MAX_BODY_BYTES:
                raise BodyTooLarge
        except ValueError as exc:
            raise ParseError(_("Content-Length is not a number.")) from exc
    chunks, size = [], 0
    while True:
        chunk = request.read(min(64 * 1024, MAX_BODY_BYTES + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BodyTooLarge
    return b"".join(chunks)


class AlertmanagerAlertSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="firing | resolved")
    labels = serializers.DictField(child=serializers.CharField())
    annotations = serializers.DictField(child=serializers.CharField(), required=False)
    startsAt = serializers.DateTimeField(required=False)  # noqa: N815 (Alertmanager's names)
    endsAt = serializers.DateTimeField(required=False)  # noqa: N815
    generatorURL = serializers.CharField(required=False)  # noqa: N815
    fingerprint = serializers.CharField(required=False)


class AlertmanagerWebhookSerializer(serializers.Serializer):
    version = serializers.CharField(help_text="4")
    groupKey = serializers.CharField(required=False)  # noqa: N815
    truncatedAlerts = serializers.IntegerField(required=False)  # noqa: N815
    status = serializers.CharField(required=False, help_text="firing | resolved")
    receiver = serializers.CharField(required=False)
    groupLabels = serializers.DictField(child=serializers.CharField(), required=False)  # noqa: N815
    commonLabels = serializers.DictField(child=serializers.CharField(), required=False)  # noqa: N815
    commonAnnotations = serializers.DictField(  # noqa: N815
        child=serializers.CharField(), required=False
    )
    externalURL = serializers.CharField(required=False)  # noqa: N815
    alerts = AlertmanagerAlertSerializer(many=True)


class ZabbixEventSerializer(serializers.Serializer):
    event_id = serializers.CharField(help_text="{EVENT.ID}")
    trigger_id = serializers.CharField(help_text="{TRIGGER.ID}")
    status = serializers.CharField(help_text="{EVENT.STATUS}: PROBLEM | RESOLVED")
    severity = serializers.CharField(
        required=False, help_text="{EVENT.SEVERITY} (name) or {EVENT.NSEVERITY} (0-5)"
    )
    host = serializers.CharField(help_text="{HOST.NAME}")
    name = serializers.CharField(help_text="{EVENT.NAME}")
    message = serializers.CharField(required=False)
    url = serializers.CharField(required=False)
    event_time = serializers.CharField(required=False, help_text="RFC 3339 or Unix seconds")
    tags = serializers.JSONField(required=False, help_text="{EVENT.TAGSJSON} or an object")


class GenericAlertSerializer(serializers.Serializer):
    source = serializers.CharField(required=False, help_text="the sending system, e.g. uptime")
    fingerprint = serializers.CharField(help_text="identifies the alert within the source")
    status = serializers.CharField(help_text="firing | resolved")
    title = serializers.CharField(required=False, help_text="required when firing")
    description = serializers.CharField(required=False)
    severity = serializers.CharField(required=False, help_text="critical, high, warning, info…")
    labels = serializers.DictField(child=serializers.CharField(), required=False)
    service = serializers.CharField(required=False)
    url = serializers.CharField(required=False)
    starts_at = serializers.DateTimeField(required=False)
    ends_at = serializers.DateTimeField(required=False)


class AlertOutcomeSerializer(serializers.Serializer):
    fingerprint = serializers.CharField()
    status = serializers.CharField()
    outcome = serializers.CharField(
        help_text="created | updated | repeated | resolved | annotated | ignored"
    )
    ticket = serializers.CharField(allow_null=True)


class IntakeResultSerializer(serializers.Serializer):
    received = serializers.IntegerField()
    alerts = AlertOutcomeSerializer(many=True)


INTAKE_RESPONSES = {
    200: IntakeResultSerializer,
    400: OpenApiResponse(ApiErrorSerializer, description="malformed body; nothing was created"),
    401: OpenApiResponse(ApiErrorSerializer, description="no, unknown or revoked token"),
    403: OpenApiResponse(ApiErrorSerializer, description="a token of another source"),
    413: OpenApiResponse(ApiErrorSerializer, description="body over 1 MB"),
    503: OpenApiResponse(ApiErrorSerializer, description="the token's settings cannot apply"),
}


class IntakeView(APIView):
    authentication_classes = [IntakeTokenAuthentication]
    permission_classes = [TokenForThisSource]
    parser_classes = []  # the body is read raw, with its size limit
    source = ""

    def post(self, request):
        token = request.auth
        body = read_body(request._request)
        try:
            notices = PARSERS[self.source](body)
        except MalformedAlert as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        try:
            outcomes = intake_receive(token=token, notices=notices)
        except (DjangoValidationError, PermissionDenied) as exc:
            reason = "; ".join(getattr(exc, "messages", [])) or _("permission denied")
            raise IntakeUnavailable(
                _("The token “%(name)s” cannot raise incidents: %(reason)s")
                % {"name": token.name, "reason": reason}
            ) from exc
        return Response(
            {
                "received": len(outcomes),
                "alerts": [
                    {
                        "fingerprint": o.fingerprint,
                        "status": o.state,
                        "outcome": o.outcome,
                        "ticket": o.ticket,
                    }
                    for o in outcomes
                ],
            }
        )


class AlertmanagerIntakeView(IntakeView):
    source = IntakeSource.ALERTMANAGER

    @extend_schema(
        request=AlertmanagerWebhookSerializer,
        responses=INTAKE_RESPONSES,
        description="Prometheus Alertmanager's webhook (payload version 4). "
        "Configure a webhook receiver with http_config.authorization (Bearer).",
    )
    def post(self, request):
        return super().post(request)


class ZabbixIntakeView(IntakeView):
    source = IntakeSource.ZABBIX

    @extend_schema(
        request=ZabbixEventSerializer,
        responses=INTAKE_RESPONSES,
        description="One Zabbix event from the ServiceLoop webhook media type (docs/intake.md).",
    )
    def post(self, request):
        return super().post(request)


class GenericIntakeView(IntakeView):
    source = IntakeSource.GENERIC

    @extend_schema(
        request=GenericAlertSerializer,
        responses=INTAKE_RESPONSES,
        description='One alert object, a list of them, or {"alerts": [...]}.',
        examples=[
            OpenApiExample(
                "firing",
                request_only=True,
                value={
                    "source": "uptime",
                    "fingerprint": "www.example.org/https",
                    "status": "firing",
                    "title": "www.example.org does not answer",
                    "severity": "critical",
                    "labels": {"service": "Website"},
                },
            )
        ],
    )
    def post(self, request):
        return super().post(request)
