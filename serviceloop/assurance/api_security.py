"""The information security API.

- ``/api/v1/security-risks/`` (by reference): the risk register; ``POST``, ``PATCH``,
  ``…/transition/``. Score and level are computed (likelihood × impact; low 1–4, medium 5–9,
  high 10–14, critical 15–25).
- ``/api/v1/security-controls/`` (by code): the controls list; ``POST``, ``PATCH``;
  ``…/seed/`` adds the missing starter controls.
- ``/api/v1/security-incidents/`` (by reference): CONFIDENTIAL — only the security team and
  the people named see them (everyone else: 404). ``POST`` records a ticket as one (the ticket
  becomes confidential); ``PATCH``; ``…/viewers/``, ``…/notified/``, ``…/transition/``.

Staff read risks and controls; managers (and a record's owner) write them. Security incidents:
those cleared who operate or manage write them.
"""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from serviceloop.assurance import services_security, services_security_register
from serviceloop.assurance.api_common import (
    IF_MATCH,
    AssuranceViewSetMixin,
    choice_text,
    if_match,
    required,
)
from serviceloop.assurance.lifecycle import IncidentStatus, RiskStatus
from serviceloop.assurance.models import (
    ControlStatus,
    IncidentClassification,
    RiskLevel,
    RiskTreatment,
    SecurityControl,
    SecurityIncident,
    SecurityRisk,
)
from serviceloop.assurance.permissions import (
    can_work_security_incidents,
    get_control_for,
    get_risk_for,
    get_security_incident_for,
    require_manage,
    staff_only,
)
from serviceloop.core.models import User
from serviceloop.core.roles import PROVIDER_ROLES
from serviceloop.desk.models import Ticket
from serviceloop.portfolio.models import ConfigurationItem

STAFF = User.objects.filter(is_active=True, role__in=PROVIDER_ROLES)


class SecurityTransitionSerializer(serializers.Serializer):
    target = serializers.CharField(max_length=20)
    note = serializers.CharField(required=False, allow_blank=True, default="")


# --- Risks -------------------------------------------------------------------------------------


class SecurityRiskSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    configuration_item = serializers.SlugRelatedField(
        slug_field="reference",
        queryset=ConfigurationItem.objects.in_use(),
        required=False,
        allow_null=True,
    )
    owner = serializers.SlugRelatedField(slug_field="username", queryset=STAFF)
    controls = serializers.SlugRelatedField(
        slug_field="code", queryset=SecurityControl.objects.all(), many=True, required=False
    )
    treatment = choice_text(RiskTreatment.choices)
    level = choice_text(RiskLevel.choices, read_only=True)
    status = choice_text(RiskStatus.choices, read_only=True)
    likelihood = serializers.IntegerField(min_value=1, max_value=5)
    impact = serializers.IntegerField(min_value=1, max_value=5)

    class Meta:
        model = SecurityRisk
        fields = [
            "id", "reference", "title", "configuration_item", "asset", "threat", "vulnerability",
            "likelihood", "impact", "score", "level", "treatment", "treatment_plan", "controls",
            "owner", "review_on", "status", "status_note", "created_at", "updated_at", "version",
        ]  # fmt: skip
        read_only_fields = [
            "reference", "score", "status_note", "created_at", "updated_at", "version",
        ]  # fmt: skip


class SecurityRiskViewSet(AssuranceViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = SecurityRiskSerializer
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = SecurityRisk.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        risks = SecurityRisk.objects.visible_to(self.request.user).select_related(
            "configuration_item", "owner"
        )
        for name in ("status", "level", "treatment"):
            if self.request.query_params.get(name):
                risks = risks.filter(**{name: self.request.query_params[name]})
        return risks.prefetch_related("controls").order_by("-pk")

    def get_object(self):
        return get_risk_for(self.request.user, self.kwargs["reference"])

    def create(self, request):
        require_manage(request.user)
        serializer = SecurityRiskSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        controls = data.pop("controls", [])
        risk = services_security_register.risk_create(actor=request.user, controls=controls, **data)
        return self.respond(risk, status.HTTP_201_CREATED)

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request, reference=None):
        risk = get_risk_for(request.user, reference, write=True)
        serializer = SecurityRiskSerializer(risk, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        controls = data.pop("controls", None)
        risk = services_security_register.risk_update(
            actor=request.user,
            risk=risk,
            controls=controls,
            expected_version=if_match(request, risk),
            **data,
        )
        return self.respond(risk)

    @extend_schema(request=SecurityTransitionSerializer, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def transition(self, request, reference=None):
        """``treating``, ``monitored``, ``closed`` (note) or ``open`` again."""
        risk = get_risk_for(request.user, reference, write=True)
        serializer = SecurityTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        risk = services_security_register.risk_transition(
            actor=request.user,
            risk=risk,
            expected_version=if_match(request, risk),
            **serializer.validated_data,
        )
        return self.respond(risk)


# --- Controls ----------------------------------------------------------------------------------


class SecurityControlSerializer(serializers.ModelSerializer):
    status = choice_text(ControlStatus.choices, required=False)
    owner = serializers.SlugRelatedField(
        slug_field="username", queryset=STAFF, required=False, allow_null=True
    )
    evidence_links = serializers.ListField(
        child=serializers.CharField(max_length=500), required=False
    )

    class Meta:
        model = SecurityControl
        fields = [
            "code", "title", "description", "status", "justification", "owner",
            "evidence_links", "updated_at", "version",
        ]  # fmt: skip
        read_only_fields = ["updated_at", "version"]


class SeedSerializer(serializers.Serializer):
    added = serializers.IntegerField()


class SecurityControlViewSet(AssuranceViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = SecurityControlSerializer
    lookup_field = "code"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = SecurityControl.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        controls = SecurityControl.objects.visible_to(self.request.user).select_related("owner")
        if self.request.query_params.get("status"):
            controls = controls.filter(status=self.request.query_params["status"])
        return controls.order_by("-pk")

    def get_object(self):
        return get_control_for(self.request.user, self.kwargs["code"])

    def create(self, request):
        require_manage(request.user)
        serializer = SecurityControlSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        control = services_security_register.control_create(
            actor=request.user, **serializer.validated_data
        )
        return self.respond(control, status.HTTP_201_CREATED)

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request, code=None):
        control = get_control_for(request.user, code, write=True)
        serializer = SecurityControlSerializer(control, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if data.pop("code", control.code) != control.code:
            raise serializers.ValidationError({"code": [_("A control keeps its code.")]})
        control = services_security_register.control_update(
            actor=request.user,
            control=control,
            expected_version=if_match(request, control),
            **data,
        )
        return self.respond(control)

    @extend_schema(request=None, responses={200: SeedSerializer})
    @action(detail=False, methods=["post"])
    def seed(self, request):
        """Add the starter controls that are missing (managers)."""
        require_manage(request.user)
        return Response({"added": services_security_register.controls_seed(actor=request.user)})


# --- Security incidents ------------------------------------------------------------------------


class SecurityIncidentSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    ticket = serializers.CharField(source="ticket.reference", help_text="the ticket's reference")
    classification = choice_text(IncidentClassification.choices)
    status = choice_text(IncidentStatus.choices, read_only=True)
    viewers = serializers.SlugRelatedField(
        slug_field="username", queryset=STAFF, many=True, required=False
    )
    notification_overdue = serializers.SerializerMethodField()
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = SecurityIncident
        fields = [
            "id", "reference", "ticket", "classification", "status", "summary", "detected_at",
            "personal_data", "notify_due_at", "notified_at", "notification_reference",
            "notification_overdue", "viewers", "status_note", "created_by", "created_at",
            "updated_at", "closed_at", "version",
        ]  # fmt: skip
        read_only_fields = [
            "reference", "notify_due_at", "notified_at", "notification_reference",
            "status_note", "created_at", "updated_at", "closed_at", "version",
        ]  # fmt: skip
        extra_kwargs = {"detected_at": {"required": False}}

    def get_notification_overdue(self, incident) -> bool:
        return incident.notification_overdue(timezone.now())


class SecurityViewersSerializer(serializers.Serializer):
    viewers = serializers.SlugRelatedField(slug_field="username", queryset=STAFF, many=True)


class SecurityNotifiedSerializer(serializers.Serializer):
    notified_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    reference = serializers.CharField(required=False, allow_blank=True, default="", max_length=120)


class SecurityIncidentViewSet(
    AssuranceViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    serializer_class = SecurityIncidentSerializer
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = SecurityIncident.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        incidents = SecurityIncident.objects.visible_to(self.request.user).select_related(
            "ticket", "created_by"
        )
        if self.request.query_params.get("status"):
            incidents = incidents.filter(status=self.request.query_params["status"])
        return incidents.prefetch_related("viewers").order_by("-pk")

    def get_object(self):
        return get_security_incident_for(self.request.user, self.kwargs["reference"])

    def respond_if_visible(self, incident):
        if not self.get_queryset().filter(pk=incident.pk).exists():
            return Response(status=status.HTTP_204_NO_CONTENT)  # the actor cleared himself off
        return self.respond(incident)

    def create(self, request):
        staff_only(request.user)
        if not can_work_security_incidents(request.user):
            raise PermissionDenied
        serializer = SecurityIncidentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        required(data, "classification")
        reference = data["ticket"]["reference"]
        ticket = Ticket.objects.visible_to(request.user).filter(reference=reference).first()
        if ticket is None:
            raise serializers.ValidationError({"ticket": [_("No ticket with this reference.")]})
        incident = services_security.security_incident_create(
            actor=request.user,
            ticket=ticket,
            classification=data["classification"],
            detected_at=data.get("detected_at"),
            personal_data=data.get("personal_data", False),
            summary=data.get("summary", ""),
            viewers=data.get("viewers", []),
        )
        return self.respond(incident, status.HTTP_201_CREATED)

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request, reference=None):
        incident = get_security_incident_for(request.user, reference, write=True)
        serializer = SecurityIncidentSerializer(incident, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "ticket" in data or "viewers" in data:
            raise serializers.ValidationError(
                {"ticket": [_("Change the people cleared with …/viewers/; the ticket stays.")]}
            )
        incident = services_security.security_incident_update(
            actor=request.user,
            incident=incident,
            expected_version=if_match(request, incident),
            **data,
        )
        return self.respond(incident)

    @extend_schema(request=SecurityViewersSerializer, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def viewers(self, request, reference=None):
        """Name the people (besides the security team) cleared to see it and its ticket."""
        incident = get_security_incident_for(request.user, reference, write=True)
        serializer = SecurityViewersSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        incident = services_security.security_incident_viewers_set(
            actor=request.user,
            incident=incident,
            viewers=serializer.validated_data["viewers"],
            expected_version=if_match(request, incident),
        )
        return self.respond_if_visible(incident)

    @extend_schema(request=SecurityNotifiedSerializer, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def notified(self, request, reference=None):
        """Record that the regulator was notified (personal data involved)."""
        incident = get_security_incident_for(request.user, reference, write=True)
        serializer = SecurityNotifiedSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        incident = services_security.security_incident_notified(
            actor=request.user,
            incident=incident,
            expected_version=if_match(request, incident),
            **serializer.validated_data,
        )
        return self.respond(incident)

    @extend_schema(request=SecurityTransitionSerializer, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def transition(self, request, reference=None):
        """``contained``, ``closed`` (note) or ``open`` again."""
        incident = get_security_incident_for(request.user, reference, write=True)
        serializer = SecurityTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        incident = services_security.security_incident_transition(
            actor=request.user,
            incident=incident,
            expected_version=if_match(request, incident),
            **serializer.validated_data,
        )
        return self.respond(incident)


ROUTES = [
    ("security-risks", SecurityRiskViewSet, "security-risk"),
    ("security-controls", SecurityControlViewSet, "security-control"),
    ("security-incidents", SecurityIncidentViewSet, "security-incident"),
]
