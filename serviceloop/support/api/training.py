"""REST API of training: ``ROUTES`` = [(prefix, viewset, basename)].

- ``training-courses/`` (by id): the courses, and what a pass raises.
- ``training-sessions/`` (by reference) with ``…/transition/`` (held, cancelled, planned
  again) and ``…/attendance/`` (attendance and results; a pass may raise a level).

Provider staff only (customers: 404). Writes: the management-system owner and
administrators (403 for others); a session's trainer records its attendance.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from serviceloop.core.models import User
from serviceloop.support import services_training as training
from serviceloop.support.api.competence import StaffViewSet, query_int
from serviceloop.support.models import (
    Competence,
    TrainingAttendance,
    TrainingCourse,
    TrainingSession,
    competence_read_all,
)

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
        course = training.course_create(actor=request.user, **data)
        return Response(TrainingCourseSerializer(course).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        course = training.get_course_for(request.user, pk, write=True)
        serializer = TrainingCourseSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        course = training.course_update(
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
            sessions = sessions.filter(course_id=query_int(params["course"]))
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
            TrainingSessionSerializer(training.get_session_for(request.user, reference)).data
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
        session = training.session_create(actor=request.user, **data)
        return Response(TrainingSessionSerializer(session).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=TrainingSessionWriteSerializer, responses={200: TrainingSessionSerializer}
    )
    def partial_update(self, request, reference=None):
        session = training.get_session_for(request.user, reference, write=True)
        serializer = TrainingSessionWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("course", None)
        session = training.session_update(actor=request.user, session=session, **data)
        return Response(TrainingSessionSerializer(session).data)

    @extend_schema(
        request=TrainingSessionTransitionSerializer, responses={200: TrainingSessionSerializer}
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, reference=None):
        session = training.get_session_for(request.user, reference, write=True)
        serializer = TrainingSessionTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = training.session_transition(
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
            session = training.get_session_for(request.user, reference)
            rows = session.attendances.select_related("person")
            if not (
                competence_read_all(request.user)
                or training.may_record_attendance(request.user, session)
            ):
                rows = rows.filter(person=request.user)
            return Response(TrainingAttendanceSerializer(rows, many=True).data)
        session = training.get_session_for(request.user, reference, attendance=True)
        serializer = TrainingAttendanceWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        row = training.attendance_record(
            actor=request.user, session=session, **serializer.validated_data
        )
        return Response(TrainingAttendanceSerializer(row).data)


ROUTES: list = [
    ("training-courses", CourseViewSet, "training-course"),
    ("training-sessions", SessionViewSet, "training-session"),
]
