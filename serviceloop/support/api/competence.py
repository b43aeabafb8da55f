"""REST API of competence, training and communication: ``ROUTES`` = [(prefix, viewset,
basename)].

- ``competences/`` (by id) and ``competence-requirements/`` (by id; ``DELETE`` removes one).
- ``person-competences/``: levels on record (``?person=username``, ``?lapsed=true``);
  ``POST`` records a level (the history keeps the previous one).
- ``competence-matrix/`` (``?team=``, ``?process=``, ``?category=``): one row per person and
  competence with the level required, gaps and lapsed certifications.
- ``competence-check/?person=&category=``: the assignment check the desk may call.
- ``training-courses/`` (by id) and ``training-sessions/`` (by reference) with
  ``…/transition/`` and ``…/attendance/`` (attendance and results).
- ``communication-plan/`` (by reference) with ``…/records/``; ``communication-records/``.

Provider staff only (customers: 404). Everyone's levels: the management-system owner,
administrators, auditors, top management and team leads; other staff see their own. Writes:
the management-system owner and administrators (403 for others); a session's trainer
records its attendance; a plan item's owner records its communications.
"""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from serviceloop.core.models import Team, User
from serviceloop.core.roles import Capability
from serviceloop.desk.models import Category
from serviceloop.support import queries_competence as queries
from serviceloop.support import services_competence as services
from serviceloop.support.models import (
    CommunicationItem,
    CommunicationRecord,
    Competence,
    CompetenceRequirement,
    PersonCompetence,
    TrainingAttendance,
    TrainingCourse,
    TrainingSession,
    competence_read_all,
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
            team = Team.objects.filter(pk=_int(params["team"])).first()
        if params.get("category"):
            category = Category.objects.filter(pk=_int(params["category"])).first()
        matrix = queries.competence_matrix(
            request.user, team=team, process=params.get("process", ""), category=category
        )
        return Response(CompetenceMatrixCellSerializer(list(matrix.long_rows()), many=True).data)


def _int(value) -> int:
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
        category = Category.objects.filter(pk=_int(request.query_params.get("category"))).first()
        if category is None:
            raise Http404
        level, message = queries.assignment_check(person, category)
        gaps = [gap.describe() for gap in queries.competence_gaps_for(person, category)]
        return Response({"level": level, "message": message, "gaps": gaps})


# --- Training ------------------------------------------------------------------------------


class TrainingCourseSerializer(serializers.ModelSerializer):
    competence = serializers.PrimaryKeyRelatedField(
        queryset=Competence.objects.all(), required=False, allow_null=True
    )
    raises_to_level = serializers.IntegerField(
        min_value=1, max_value=4, required=False, allow_null=True
    )

    class Meta:
        model = TrainingCourse
        fields = [
            "id", "title", "description", "competence", "raises_to_level", "validity_months",
            "duration_hours", "is_active",
        ]  # fmt: skip
        read_only_fields = ["id"]
        extra_kwargs = {"title": {"validators": []}}


class CourseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, StaffViewSet):
    serializer_class = TrainingCourseSerializer
    queryset = TrainingCourse.objects.select_related("competence")

    def create(self, request):
        serializer = TrainingCourseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("is_active", None)
        course = services.course_create(actor=request.user, **data)
        return Response(TrainingCourseSerializer(course).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        course = services.get_course_for(request.user, pk, write=True)
        serializer = TrainingCourseSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        course = services.course_update(
            actor=request.user, course=course, **serializer.validated_data
        )
        return Response(TrainingCourseSerializer(course).data)


class TrainingAttendanceSerializer(serializers.ModelSerializer):
    person = serializers.SlugRelatedField(slug_field="username", read_only=True)
    result = serializers.CharField(read_only=True, help_text="'' | pass | fail")

    class Meta:
        model = TrainingAttendance
        fields = ["person", "attended", "result", "score", "comment", "level_raised", "recorded_at"]
        read_only_fields = fields


class TrainingSessionSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    course = serializers.PrimaryKeyRelatedField(read_only=True)
    trainer = serializers.SlugRelatedField(slug_field="username", read_only=True)
    status = serializers.CharField(read_only=True, help_text="planned | held | cancelled")
    attendees = serializers.SerializerMethodField()

    class Meta:
        model = TrainingSession
        fields = [
            "id", "reference", "course", "held_on", "trainer", "trainer_name", "location",
            "status", "notes", "attendees", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_attendees(self, session) -> list[str]:
        return [a.person.username for a in session.attendances.all()]


class TrainingSessionWriteSerializer(serializers.Serializer):
    course = serializers.PrimaryKeyRelatedField(
        queryset=TrainingCourse.objects.all(), required=False
    )
    held_on = serializers.DateField(required=False)
    trainer = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )
    trainer_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    location = serializers.CharField(required=False, allow_blank=True, max_length=200)
    notes = serializers.CharField(required=False, allow_blank=True)
    attendees = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        many=True,
        required=False,
    )


class TrainingSessionTransitionSerializer(serializers.Serializer):
    target = serializers.CharField(help_text="planned | held | cancelled")


class TrainingAttendanceWriteSerializer(serializers.Serializer):
    person = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.all())
    attended = serializers.BooleanField()
    result = serializers.CharField(required=False, allow_blank=True, help_text="'' | pass | fail")
    score = serializers.DecimalField(
        max_digits=5, decimal_places=1, required=False, allow_null=True
    )
    comment = serializers.CharField(required=False, allow_blank=True, max_length=300)


class SessionViewSet(mixins.ListModelMixin, StaffViewSet):
    serializer_class = TrainingSessionSerializer
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = TrainingSession.objects.none()  # for the schema

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        sessions = TrainingSession.objects.select_related("course", "trainer").prefetch_related(
            "attendances__person"
        )
        params = self.request.query_params
        if params.get("status"):
            sessions = sessions.filter(status=params["status"])
        if params.get("course"):
            sessions = sessions.filter(course_id=_int(params["course"]))
        return sessions

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, description="planned | held | cancelled"),
            OpenApiParameter("course", OpenApiTypes.INT),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, reference=None):
        return Response(
            TrainingSessionSerializer(services.get_session_for(request.user, reference)).data
        )

    @extend_schema(
        request=TrainingSessionWriteSerializer, responses={201: TrainingSessionSerializer}
    )
    def create(self, request):
        serializer = TrainingSessionWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        missing = {f: ["This field is required."] for f in ("course", "held_on") if f not in data}
        if missing:
            raise serializers.ValidationError(missing)
        session = services.session_create(actor=request.user, **data)
        return Response(TrainingSessionSerializer(session).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=TrainingSessionWriteSerializer, responses={200: TrainingSessionSerializer}
    )
    def partial_update(self, request, reference=None):
        session = services.get_session_for(request.user, reference, write=True)
        serializer = TrainingSessionWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("course", None)
        session = services.session_update(actor=request.user, session=session, **data)
        return Response(TrainingSessionSerializer(session).data)

    @extend_schema(
        request=TrainingSessionTransitionSerializer, responses={200: TrainingSessionSerializer}
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, reference=None):
        session = services.get_session_for(request.user, reference, write=True)
        serializer = TrainingSessionTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = services.session_transition(
            actor=request.user, session=session, target=serializer.validated_data["target"]
        )
        return Response(TrainingSessionSerializer(session).data)

    @extend_schema(
        methods=["GET"], request=None, responses={200: TrainingAttendanceSerializer(many=True)}
    )
    @extend_schema(
        methods=["POST"],
        request=TrainingAttendanceWriteSerializer,
        responses={200: TrainingAttendanceSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def attendance(self, request, reference=None):
        """GET: attendees and results (everyone's for readers and the trainer, else one's
        own). POST: record one attendee's attendance and result."""
        if request.method == "GET":
            session = services.get_session_for(request.user, reference)
            rows = session.attendances.select_related("person")
            if not (
                competence_read_all(request.user)
                or services.may_record_attendance(request.user, session)
            ):
                rows = rows.filter(person=request.user)
            return Response(TrainingAttendanceSerializer(rows, many=True).data)
        session = services.get_session_for(request.user, reference, attendance=True)
        serializer = TrainingAttendanceWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        row = services.attendance_record(
            actor=request.user, session=session, **serializer.validated_data
        )
        return Response(TrainingAttendanceSerializer(row).data)


# --- Communication -------------------------------------------------------------------------


class CommunicationItemSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    frequency = serializers.CharField(
        read_only=True,
        help_text="once | weekly | monthly | quarterly | half_yearly | yearly | as_needed",
    )
    channel = serializers.CharField(
        read_only=True, help_text="email | meeting | report | portal | chat | training | other"
    )
    overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = CommunicationItem
        fields = [
            "id", "reference", "topic", "audience", "frequency", "timing", "channel", "owner",
            "notes", "is_active", "last_held_on", "next_due", "overdue", "created_at",
            "updated_at", "version",
        ]  # fmt: skip
        read_only_fields = fields


class CommunicationItemWriteSerializer(serializers.Serializer):
    topic = serializers.CharField(max_length=200, required=False)
    audience = serializers.CharField(max_length=200, required=False)
    frequency = serializers.CharField(required=False)
    timing = serializers.CharField(max_length=200, required=False, allow_blank=True)
    channel = serializers.CharField(required=False)
    owner = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(is_active=True), required=False
    )
    notes = serializers.CharField(required=False, allow_blank=True)
    next_due = serializers.DateField(required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False)


class CommunicationRecordSerializer(serializers.ModelSerializer):
    item = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CommunicationRecord
        fields = ["id", "item", "held_on", "summary", "recorded_by", "created_at"]
        read_only_fields = fields


class CommunicationRecordWriteSerializer(serializers.Serializer):
    held_on = serializers.DateField()
    summary = serializers.CharField()


class CommunicationItemViewSet(mixins.ListModelMixin, StaffViewSet):
    serializer_class = CommunicationItemSerializer
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = CommunicationItem.objects.select_related("owner")

    def retrieve(self, request, reference=None):
        item = services.get_communication_item_for(request.user, reference)
        return Response(CommunicationItemSerializer(item).data)

    @extend_schema(
        request=CommunicationItemWriteSerializer, responses={201: CommunicationItemSerializer}
    )
    def create(self, request):
        serializer = CommunicationItemWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("is_active", None)
        missing = {
            f: ["This field is required."]
            for f in ("topic", "audience", "frequency", "channel")
            if f not in data
        }
        if missing:
            raise serializers.ValidationError(missing)
        item = services.communication_item_create(actor=request.user, **data)
        return Response(CommunicationItemSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=CommunicationItemWriteSerializer, responses={200: CommunicationItemSerializer}
    )
    def partial_update(self, request, reference=None):
        item = services.get_communication_item_for(request.user, reference, write=True)
        serializer = CommunicationItemWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        item = services.communication_item_update(
            actor=request.user, item=item, **serializer.validated_data
        )
        return Response(CommunicationItemSerializer(item).data)

    @extend_schema(
        methods=["GET"], request=None, responses={200: CommunicationRecordSerializer(many=True)}
    )
    @extend_schema(
        methods=["POST"],
        request=CommunicationRecordWriteSerializer,
        responses={201: CommunicationRecordSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def records(self, request, reference=None):
        item = services.get_communication_item_for(request.user, reference)
        if request.method == "GET":
            rows = item.records.select_related("item", "recorded_by")
            return Response(CommunicationRecordSerializer(rows, many=True).data)
        serializer = CommunicationRecordWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = services.communication_record_add(
            actor=request.user, item=item, **serializer.validated_data
        )
        return Response(CommunicationRecordSerializer(record).data, status=status.HTTP_201_CREATED)


class CommunicationRecordViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, StaffViewSet):
    serializer_class = CommunicationRecordSerializer
    queryset = CommunicationRecord.objects.select_related("item", "recorded_by")


ROUTES: list = [
    ("competences", CompetenceViewSet, "competence"),
    ("competence-requirements", RequirementViewSet, "competence-requirement"),
    ("person-competences", PersonCompetenceViewSet, "person-competence"),
    ("competence-matrix", MatrixViewSet, "competence-matrix"),
    ("competence-check", AssignmentCheckViewSet, "competence-check"),
    ("training-courses", CourseViewSet, "training-course"),
    ("training-sessions", SessionViewSet, "training-session"),
    ("communication-plan", CommunicationItemViewSet, "communication-item"),
    ("communication-records", CommunicationRecordViewSet, "communication-record"),
]
