"""REST API of competence: ``ROUTES`` = [(prefix, viewset, basename)].

- ``competences/`` (by id) and ``competence-requirements/`` (by id; ``DELETE`` removes one).
- ``person-competences/``: levels on record (``?person=username``, ``?lapsed=true``);
  ``POST`` records a level (the history keeps the previous one).
- ``competence-matrix/`` (``?team=``, ``?process=``, ``?category=``): one row per person and
  competence with the level required, gaps and lapsed certifications.
- ``competence-check/?person=&category=``: the assignment check the desk may call.

Training courses and sessions are in ``api.training``, the communication plan in
``api.communication``; all three use this module's ``StaffViewSet``.

Provider staff only (customers: 404). Everyone's levels: the management-system owner,
administrators, auditors, top management and team leads; other staff see their own. Writes:
the management-system owner and administrators (403 for others).
"""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from serviceloop.core.models import Team, User
from serviceloop.core.roles import Capability
from serviceloop.desk.models import Category
from serviceloop.support import queries_competence as queries
from serviceloop.support import services_competence as services
from serviceloop.support.models import (
    Competence,
    CompetenceRequirement,
    PersonCompetence,
)


class StaffOr404(BasePermission):
    """Anonymous callers are refused (401/403); signed-in non-staff get 404."""

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        if not request.user.has_capability(Capability.STAFF):
            raise NotFound
        return True


class StaffViewSet(viewsets.GenericViewSet):
    permission_classes = [StaffOr404]


# --- Competences and requirements ----------------------------------------------------------


class CompetenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Competence
        fields = ["id", "name", "category", "description", "is_active"]
        read_only_fields = ["id"]
        extra_kwargs = {"name": {"validators": []}}  # the service checks uniqueness


class CompetenceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, StaffViewSet):
    serializer_class = CompetenceSerializer
    queryset = Competence.objects.all()

    def create(self, request):
        serializer = CompetenceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("is_active", None)
        competence = services.competence_create(actor=request.user, **data)
        return Response(CompetenceSerializer(competence).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        competence = services.get_competence_for(request.user, pk, write=True)
        serializer = CompetenceSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        competence = services.competence_update(
            actor=request.user, competence=competence, **serializer.validated_data
        )
        return Response(CompetenceSerializer(competence).data)


class CompetenceRequirementSerializer(serializers.ModelSerializer):
    competence = serializers.PrimaryKeyRelatedField(queryset=Competence.objects.all())
    level = serializers.IntegerField(min_value=1, max_value=4)
    role = serializers.CharField(required=False, allow_blank=True, help_text="A role's value.")
    process = serializers.CharField(required=False, allow_blank=True, max_length=120)
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = CompetenceRequirement
        fields = ["id", "competence", "level", "role", "process", "category"]
        read_only_fields = ["id"]
        validators = []  # the service checks the one-target rule and uniqueness


class RequirementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, StaffViewSet):
    serializer_class = CompetenceRequirementSerializer
    queryset = CompetenceRequirement.objects.select_related("competence", "category")

    def create(self, request):
        serializer = CompetenceRequirementSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        requirement = services.requirement_set(actor=request.user, **serializer.validated_data)
        return Response(
            CompetenceRequirementSerializer(requirement).data, status=status.HTTP_201_CREATED
        )

    def destroy(self, request, pk=None):
        requirement = services.get_requirement_for(request.user, pk, write=True)
        services.requirement_remove(actor=request.user, requirement=requirement)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- People's levels, the matrix, the assignment check -------------------------------------


class PersonCompetenceSerializer(serializers.ModelSerializer):
    person = serializers.SlugRelatedField(slug_field="username", read_only=True)
    competence = serializers.PrimaryKeyRelatedField(read_only=True)
    competence_name = serializers.CharField(source="competence.name", read_only=True)
    assessed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    session = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    source = serializers.CharField(read_only=True, help_text="assessment | training")
    lapsed = serializers.SerializerMethodField()

    class Meta:
        model = PersonCompetence
        fields = [
            "id", "person", "competence", "competence_name", "level", "evidence", "certificate",
            "expires_on", "lapsed", "assessed_on", "assessed_by", "source", "session",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_lapsed(self, held) -> bool:
        return held.is_lapsed()


class PersonCompetenceWriteSerializer(serializers.Serializer):
    person = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True)
    )
    competence = serializers.PrimaryKeyRelatedField(queryset=Competence.objects.all())
    level = serializers.IntegerField(min_value=0, max_value=4)
    evidence = serializers.CharField(required=False, allow_blank=True)
    certificate = serializers.CharField(required=False, allow_blank=True, max_length=200)
    expires_on = serializers.DateField(required=False, allow_null=True)
    assessed_on = serializers.DateField(required=False, allow_null=True)


class PersonCompetenceViewSet(mixins.ListModelMixin, StaffViewSet):
    serializer_class = PersonCompetenceSerializer
    queryset = PersonCompetence.objects.none()  # for the schema

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        held = PersonCompetence.objects.visible_to(self.request.user).select_related(
            "person", "competence", "assessed_by", "session"
        )
        params = self.request.query_params
        if params.get("person"):
            held = held.filter(person__username=params["person"])
        if params.get("lapsed") in ("1", "true", "True"):
            held = held.lapsed()
        return held

    @extend_schema(
        parameters=[
            OpenApiParameter("person", OpenApiTypes.STR, description="A username."),
            OpenApiParameter("lapsed", OpenApiTypes.BOOL),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=PersonCompetenceWriteSerializer, responses={201: PersonCompetenceSerializer}
    )
    def create(self, request):
        serializer = PersonCompetenceWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        person = services.get_person_for(request.user, data.pop("person").pk, write=True)
        held = services.person_competence_set(actor=request.user, person=person, **data)
        return Response(PersonCompetenceSerializer(held).data, status=status.HTTP_201_CREATED)


class CompetenceMatrixCellSerializer(serializers.Serializer):
    person = serializers.CharField(source="username")
    teams = serializers.CharField()
    competence = serializers.CharField()
    category = serializers.CharField()
    level = serializers.IntegerField(allow_null=True)
    required = serializers.IntegerField(allow_null=True)
    gap = serializers.BooleanField()
    lapsed = serializers.BooleanField()
    expires_on = serializers.DateField(allow_null=True)


class MatrixViewSet(StaffViewSet):
    serializer_class = CompetenceMatrixCellSerializer
    pagination_class = None
    queryset = PersonCompetence.objects.none()  # for the schema

    @extend_schema(
        parameters=[
            OpenApiParameter("team", OpenApiTypes.INT),
            OpenApiParameter("process", OpenApiTypes.STR),
            OpenApiParameter("category", OpenApiTypes.INT, description="A desk category id."),
        ],
        responses={200: CompetenceMatrixCellSerializer(many=True)},
    )
    def list(self, request):
        params = request.query_params
        team = category = None
        if params.get("team"):
            team = Team.objects.filter(pk=query_int(params["team"])).first()
        if params.get("category"):
            category = Category.objects.filter(pk=query_int(params["category"])).first()
        matrix = queries.competence_matrix(
            request.user, team=team, process=params.get("process", ""), category=category
        )
        return Response(CompetenceMatrixCellSerializer(list(matrix.long_rows()), many=True).data)


def query_int(value) -> int:
    """A query parameter as an id; 400 when it is not a number."""
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise serializers.ValidationError({"id": ["Not a number."]}) from exc


class CompetenceCheckSerializer(serializers.Serializer):
    level = serializers.CharField(help_text="ok | warn | block")
    message = serializers.CharField()
    gaps = serializers.ListField(child=serializers.CharField())


class AssignmentCheckViewSet(StaffViewSet):
    """What the assignment competence check says for a person and a desk category."""

    serializer_class = CompetenceCheckSerializer
    pagination_class = None
    queryset = PersonCompetence.objects.none()  # for the schema

    @extend_schema(
        parameters=[
            OpenApiParameter("person", OpenApiTypes.STR, required=True, description="Username."),
            OpenApiParameter("category", OpenApiTypes.INT, required=True),
        ],
        responses={200: CompetenceCheckSerializer},
    )
    def list(self, request):
        person = User.objects.filter(username=request.query_params.get("person", "")).first()
        if person is None:
            raise Http404
        person = services.get_person_for(request.user, person.pk)
        category = Category.objects.filter(
            pk=query_int(request.query_params.get("category"))
        ).first()
        if category is None:
            raise Http404
        level, message = queries.assignment_check(person, category)
        gaps = [gap.describe() for gap in queries.competence_gaps_for(person, category)]
        return Response({"level": level, "message": message, "gaps": gaps})


ROUTES: list = [
    ("competences", CompetenceViewSet, "competence"),
    ("competence-requirements", RequirementViewSet, "competence-requirement"),
    ("person-competences", PersonCompetenceViewSet, "person-competence"),
    ("competence-matrix", MatrixViewSet, "competence-matrix"),
    ("competence-check", AssignmentCheckViewSet, "competence-check"),
]
