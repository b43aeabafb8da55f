"""SLAs and OLAs through the API: ``/api/v1/agreements/`` (by reference),
``/api/v1/agreement-versions/`` and ``/api/v1/agreement-targets/`` (by id).

Staff read everything; a customer reads the agreed and superseded versions of the SLAs naming
his organisation (drafts, versions in review and OLAs: 404). Writes go through the agreement
services with their rules (403 for read-only roles and customers; the author of a version
cannot agree it). Versions carry an ``ETag``; ``If-Match`` on changes is honoured (412).
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from serviceloop.core.models import Organisation, Team
from serviceloop.desk.models import Priority
from serviceloop.relationship import queries_agreements
from serviceloop.relationship import services_agreements as services
from serviceloop.relationship import services_agreements_reviews as reviews
from serviceloop.relationship.api.customers_common import (
    IF_MATCH,
    StaleAsPreconditionFailed,
    if_match,
    inline_choice_field,
    with_etag,
)
from serviceloop.relationship.models import (
    Agreement,
    AgreementKind,
    AgreementTarget,
    AgreementVersion,
    TargetMetric,
    TargetUnit,
    VersionStatus,
)
from serviceloop.relationship.permissions_agreements import (
    get_agreement_for,
    get_agreement_version_by_uuid,
)
from serviceloop.relationship.permissions_customers import (
    customers_prefetch,
    is_staff,
    require_relationship_writer,
)

KindField = inline_choice_field(AgreementKind.choices)
VersionStatusField = inline_choice_field(VersionStatus.choices)
MetricField = inline_choice_field(TargetMetric.choices)
UnitField = inline_choice_field(TargetUnit.choices)
PriorityField = inline_choice_field(Priority.choices)  # the desk's priorities


def _services_by_code(codes):
    from serviceloop.portfolio.models import Service

    codes = list(codes or [])
    found = list(Service.objects.filter(code__in=codes))
    if len(found) != len(set(codes)):
        raise serializers.ValidationError({"services": [_("Unknown service code.")]})
    return found


class AgreementTargetSerializer(serializers.ModelSerializer):
    version = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    metric = MetricField(read_only=True)
    unit = UnitField(read_only=True)
    priority = PriorityField(read_only=True, allow_blank=True)
    service = serializers.SlugRelatedField(slug_field="code", read_only=True)
    sla_policy = serializers.PrimaryKeyRelatedField(read_only=True)
    sla_policy_version = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = AgreementTarget
        fields = ["id", "version", "metric", "label", "priority", "service", "target_value",
                  "unit", "sla_policy", "sla_policy_version"]  # fmt: skip


class DeskAlignmentSerializer(serializers.Serializer):
    target = serializers.IntegerField(source="target.pk")
    policy = serializers.CharField(source="policy.name", allow_null=True, default=None)
    pinned_version = serializers.IntegerField(
        source="pinned_version.number", allow_null=True, default=None
    )
    applied_version = serializers.IntegerField(
        source="applied_version.number", allow_null=True, default=None
    )
    desk_minutes = serializers.IntegerField(allow_null=True)
    state = serializers.CharField()


class AgreementVersionSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    agreement = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    status = VersionStatusField(read_only=True)
    services = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    body = serializers.CharField(read_only=True, help_text="Sanitised HTML.")
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)
    agreed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    superseded_by = serializers.SlugRelatedField(slug_field="number", read_only=True)
    targets = AgreementTargetSerializer(many=True, read_only=True)
    in_force = serializers.SerializerMethodField()
    desk = serializers.SerializerMethodField()

    class Meta:
        model = AgreementVersion
        fields = ["id", "agreement", "number", "status", "valid_from", "valid_until", "review_on",
                  "last_reviewed_on", "services", "body", "change_note", "author", "submitted_at",
                  "agreed_by", "agreed_at", "agreed_on", "superseded_by", "superseded_on",
                  "in_force", "targets", "desk", "version"]  # fmt: skip

    def get_in_force(self, version) -> bool:
        return (
            AgreementVersion.objects.in_force(timezone.localdate()).filter(pk=version.pk).exists()
        )

    @extend_schema_field(DeskAlignmentSerializer(many=True))
    def get_desk(self, version):
        """Staff only: which desk SLA policy (and version) implements each target."""
        request = self.context.get("request")
        if request is None or not is_staff(request.user):
            return []
        targets = version.targets.select_related("sla_policy", "sla_policy_version")
        return DeskAlignmentSerializer(queries_agreements.desk_alignment(targets), many=True).data


class VersionWriteSerializer(serializers.Serializer):
    valid_from = serializers.DateField(required=False)
    valid_until = serializers.DateField(required=False, allow_null=True)
    review_on = serializers.DateField(required=False, allow_null=True)
    services = serializers.ListField(child=serializers.CharField(), required=False)
    body = serializers.CharField(required=False, allow_blank=True)
    change_note = serializers.CharField(required=False, allow_blank=True, max_length=500)


class AgreementSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    kind = KindField(read_only=True)
    customers = serializers.SlugRelatedField(slug_field="uuid", many=True, read_only=True)
    teams = serializers.SlugRelatedField(slug_field="uuid", many=True, read_only=True)
    versions = serializers.SerializerMethodField()
    version_in_force = serializers.SerializerMethodField()

    class Meta:
        model = Agreement
        fields = ["id", "reference", "kind", "title", "customers", "teams", "versions",
                  "version_in_force", "created_at"]  # fmt: skip

    @extend_schema_field(
        inline_serializer(
            "AgreementVersionSummary",
            {
                "id": serializers.UUIDField(),
                "number": serializers.IntegerField(),
                "status": VersionStatusField(),
            },
            many=True,
        )
    )
    def get_versions(self, agreement):
        # Prefetched by the view set (``visible_versions``: what the user may read).
        return [
            {"id": v.uuid, "number": v.number, "status": v.status}
            for v in sorted(agreement.visible_versions, key=lambda v: v.number)
        ]

    def get_version_in_force(self, agreement) -> int | None:
        versions = agreement.in_force_versions
        return versions[0].number if versions else None


class AgreementWriteSerializer(VersionWriteSerializer):
    kind = KindField(required=False)
    title = serializers.CharField(max_length=200, required=False)
    customers = serializers.SlugRelatedField(
        slug_field="uuid", many=True, queryset=Organisation.objects.all(), required=False
    )
    teams = serializers.SlugRelatedField(
        slug_field="uuid", many=True, queryset=Team.objects.all(), required=False
    )


class AgreementViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = AgreementSerializer
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = Agreement.objects.none()

    def get_queryset(self):
        user = self.request.user
        agreements = Agreement.objects.visible_to(user).prefetch_related(
            customers_prefetch(user),
            "teams",
            Prefetch(
                "versions",
                queryset=AgreementVersion.objects.visible_to(user),
                to_attr="visible_versions",
            ),
            Prefetch(
                "versions",
                queryset=AgreementVersion.objects.in_force(timezone.localdate()),
                to_attr="in_force_versions",
            ),
        )
        kind = self.request.query_params.get("kind")
        if kind in AgreementKind.values:
            agreements = agreements.filter(kind=kind)
        return agreements.order_by("pk")

    def _respond(self, agreement, code=status.HTTP_200_OK):
        agreement = self.get_queryset().get(pk=agreement.pk)
        data = AgreementSerializer(agreement, context={"request": self.request}).data
        return Response(data, status=code)

    def retrieve(self, request, reference=None):
        return self._respond(get_agreement_for(request.user, reference))

    @extend_schema(request=AgreementWriteSerializer, responses={201: AgreementSerializer})
    def create(self, request):
        require_relationship_writer(request.user)
        serializer = AgreementWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["services"] = _services_by_code(data.get("services"))
        agreement = services.agreement_create(
            actor=request.user,
            kind=data.pop("kind", ""),
            title=data.pop("title", ""),
            valid_from=data.pop("valid_from", None),
            **data,
        )
        return self._respond(agreement, status.HTTP_201_CREATED)

    @extend_schema(
        request=inline_serializer(
            "AgreementUpdate",
            {
                "title": serializers.CharField(required=False),
                "customers": serializers.ListField(child=serializers.UUIDField(), required=False),
                "teams": serializers.ListField(child=serializers.UUIDField(), required=False),
            },
        ),
        responses={200: AgreementSerializer},
    )
    def partial_update(self, request, reference=None):
        agreement = get_agreement_for(request.user, reference, write=True)
        serializer = AgreementWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        agreement = services.agreement_update(
            actor=request.user,
            agreement=agreement,
            title=data.get("title"),
            customers=data.get("customers"),
            teams=data.get("teams"),
        )
        return self._respond(agreement)

    @extend_schema(request=None, responses={201: AgreementVersionSerializer})
    @action(detail=True, methods=["post"], url_path="new-version")
    def new_version(self, request, reference=None):
        """Start the next version as a draft copy of the newest one."""
        agreement = get_agreement_for(request.user, reference, write=True)
        version = services.agreement_version_new(actor=request.user, agreement=agreement)
        data = AgreementVersionSerializer(version, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)


class AgreementVersionTransitionSerializer(serializers.Serializer):
    target = VersionStatusField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class AgreementVersionReviewedSerializer(serializers.Serializer):
    review_on = serializers.DateField(help_text="The next review date.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class AgreementVersionViewSet(
    StaleAsPreconditionFailed, mixins.ListModelMixin, viewsets.GenericViewSet
):
    serializer_class = AgreementVersionSerializer
    lookup_field = "uuid"
    queryset = AgreementVersion.objects.none()

    def get_queryset(self):
        versions = (
            AgreementVersion.objects.visible_to(self.request.user)
            .select_related("agreement", "author", "agreed_by", "superseded_by")
            .prefetch_related("services", "targets__service")
        )
        params = self.request.query_params
        if params.get("agreement"):
            versions = versions.filter(agreement__reference=params["agreement"])
        if params.get("status") in VersionStatus.values:
            versions = versions.filter(status=params["status"])
        if params.get("in_force") in ("1", "true"):
            versions = versions.in_force(timezone.localdate())
        return versions.order_by("pk")

    def _respond(self, version, code=status.HTTP_200_OK):
        version = self.get_queryset().get(pk=version.pk)
        data = AgreementVersionSerializer(version, context={"request": self.request}).data
        return with_etag(Response(data, status=code), version.version)

    def retrieve(self, request, uuid=None):
        return self._respond(get_agreement_version_by_uuid(request.user, uuid))

    @extend_schema(
        request=VersionWriteSerializer,
        responses={200: AgreementVersionSerializer},
        parameters=[IF_MATCH],
    )
    def partial_update(self, request, uuid=None):
        version = get_agreement_version_by_uuid(request.user, uuid, write=True)
        serializer = VersionWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "services" in data:
            data["services"] = _services_by_code(data["services"])
        version = services.agreement_version_update(
            actor=request.user,
            version=version,
            expected_version=if_match(request, version.version),
            **data,
        )
        return self._respond(version)

    @extend_schema(
        request=AgreementVersionTransitionSerializer,
        responses={200: AgreementVersionSerializer},
        parameters=[IF_MATCH],
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, uuid=None):
        version = get_agreement_version_by_uuid(request.user, uuid)
        if not is_staff(request.user):
            raise PermissionDenied
        serializer = AgreementVersionTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = services.agreement_version_transition(
            actor=request.user,
            version=version,
            target=serializer.validated_data["target"],
            note=serializer.validated_data.get("note", ""),
            expected_version=if_match(request, version.version),
        )
        return self._respond(version)

    @extend_schema(
        request=AgreementVersionReviewedSerializer, responses={200: AgreementVersionSerializer}
    )
    @action(detail=True, methods=["post"])
    def reviewed(self, request, uuid=None):
        """Record that the agreed version was reviewed; set the next review date."""
        version = get_agreement_version_by_uuid(request.user, uuid)
        if not is_staff(request.user):
            raise PermissionDenied
        serializer = AgreementVersionReviewedSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = reviews.agreement_version_reviewed(
            actor=request.user,
            version=version,
            next_review_on=serializer.validated_data["review_on"],
            note=serializer.validated_data.get("note", ""),
        )
        return self._respond(version)


class TargetWriteSerializer(serializers.Serializer):
    version = serializers.UUIDField()
    metric = MetricField()
    label = serializers.CharField(required=False, allow_blank=True, max_length=200)
    priority = PriorityField(required=False, allow_blank=True)
    service = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    target_value = serializers.DecimalField(max_digits=12, decimal_places=3)
    unit = UnitField()
    sla_policy = serializers.IntegerField(required=False, allow_null=True)
    sla_policy_version = serializers.IntegerField(required=False, allow_null=True)


class AgreementTargetViewSet(
    mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    serializer_class = AgreementTargetSerializer
    queryset = AgreementTarget.objects.none()

    def get_queryset(self):
        targets = AgreementTarget.objects.filter(
            version__in=AgreementVersion.objects.visible_to(self.request.user)
        ).select_related("version", "service")
        version = self.request.query_params.get("version")
        if version:
            try:
                targets = targets.filter(version__uuid=version)
            except DjangoValidationError:
                return targets.none()
        return targets.order_by("pk")

    def get_object(self):
        try:
            return self.get_queryset().get(pk=self.kwargs["pk"])
        except (AgreementTarget.DoesNotExist, ValueError, TypeError):
            raise Http404 from None

    def retrieve(self, request, pk=None):
        return Response(AgreementTargetSerializer(self.get_object()).data)

    @extend_schema(request=TargetWriteSerializer, responses={201: AgreementTargetSerializer})
    def create(self, request):
        from serviceloop.desk.models import SlaPolicy, SlaPolicyVersion
        from serviceloop.portfolio.models import Service

        require_relationship_writer(request.user)
        serializer = TargetWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = get_agreement_version_by_uuid(request.user, data.pop("version"), write=True)
        lookups = (
            ("service", Service, "code"),
            ("sla_policy", SlaPolicy, "pk"),
            ("sla_policy_version", SlaPolicyVersion, "pk"),
        )
        for name, model, field in lookups:
            value = data.get(name)
            if value in (None, ""):
                data[name] = None
                continue
            data[name] = model.objects.filter(**{field: value}).first()
            if data[name] is None:
                raise serializers.ValidationError({name: [_("Not found.")]})
        target = services.agreement_target_add(actor=request.user, version=version, **data)
        return Response(AgreementTargetSerializer(target).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        target = self.get_object()
        get_agreement_version_by_uuid(request.user, target.version.uuid, write=True)
        services.agreement_target_remove(actor=request.user, target=target)
        return Response(status=status.HTTP_204_NO_CONTENT)


ROUTES: list = [
    ("agreements", AgreementViewSet, "agreement"),
    ("agreement-versions", AgreementVersionViewSet, "agreement-version"),
    ("agreement-targets", AgreementTargetViewSet, "agreement-target"),
]
