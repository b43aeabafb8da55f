"""Satisfaction surveys through the API: ``/api/v1/customer-surveys/`` (by reference) and
``/api/v1/customer-survey-responses/``. Staff who keep the relationship draft, open and close
surveys and enter responses for contacts; a customer reads the surveys addressed to his
organisation and answers for himself; results cover the responses the caller may see."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from serviceloop.core.models import Organisation
from serviceloop.relationship import queries_customers
from serviceloop.relationship import services_customers_surveys as survey_services
from serviceloop.relationship.api.customers_common import (
    IF_MATCH,
    StaleAsPreconditionFailed,
    if_match,
    inline_choice_field,
    with_etag,
)
from serviceloop.relationship.models import (
    CustomerContact,
    Survey,
    SurveyResponse,
    SurveyStatus,
)
from serviceloop.relationship.permissions_customers import (
    customers_prefetch,
    get_survey_for,
    get_survey_response_for,
    require_relationship_writer,
)

SurveyStatusField = inline_choice_field(SurveyStatus.choices)


def _visible(model, user, **lookup):
    try:
        return model.objects.visible_to(user).get(**lookup)
    except (model.DoesNotExist, ValueError, TypeError, DjangoValidationError):
        raise Http404 from None


def _services_by_code(codes):
    from serviceloop.portfolio.models import Service

    codes = list(codes or [])
    found = list(Service.objects.filter(code__in=codes))
    if len(found) != len(set(codes)):
        raise serializers.ValidationError({"services": [_("Unknown service code.")]})
    return found


# --- Surveys -------------------------------------------------------------------------------


class SurveyQuestionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    position = serializers.IntegerField(read_only=True)
    text = serializers.CharField(max_length=300)


class SurveySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    status = SurveyStatusField(read_only=True)
    services = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    customers = serializers.SlugRelatedField(slug_field="uuid", many=True, read_only=True)
    questions = SurveyQuestionSerializer(many=True, read_only=True)

    class Meta:
        model = Survey
        fields = ["id", "reference", "title", "intro", "period_start", "period_end", "status",
                  "per_service", "services", "customers", "questions", "version", "opened_at",
                  "closed_at"]  # fmt: skip


class SurveyWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    intro = serializers.CharField(required=False, allow_blank=True)
    period_start = serializers.DateField(required=False)
    period_end = serializers.DateField(required=False)
    per_service = serializers.BooleanField(required=False)
    services = serializers.ListField(child=serializers.CharField(), required=False)
    customers = serializers.SlugRelatedField(
        slug_field="uuid", many=True, queryset=Organisation.objects.all(), required=False
    )
    questions = serializers.ListField(
        child=serializers.CharField(max_length=300), required=False, help_text="On create only."
    )


class ResultRowSerializer(serializers.Serializer):
    label = serializers.CharField()
    responses = serializers.IntegerField()
    average = serializers.FloatField(allow_null=True)


class SurveyResultsSerializer(serializers.Serializer):
    overall = ResultRowSerializer()
    by_customer = ResultRowSerializer(many=True)
    by_service = ResultRowSerializer(many=True)
    by_question = ResultRowSerializer(many=True)


class SurveyViewSet(StaleAsPreconditionFailed, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = SurveySerializer
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = Survey.objects.none()

    def get_queryset(self):
        return (
            Survey.objects.visible_to(self.request.user)
            .prefetch_related("services", customers_prefetch(self.request.user), "questions")
            .order_by("pk")
        )

    def _respond(self, survey, code=status.HTTP_200_OK):
        survey = self.get_queryset().get(pk=survey.pk)
        return with_etag(Response(SurveySerializer(survey).data, status=code), survey.version)

    def retrieve(self, request, reference=None):
        return self._respond(get_survey_for(request.user, reference))

    @extend_schema(request=SurveyWriteSerializer, responses={201: SurveySerializer})
    def create(self, request):
        require_relationship_writer(request.user)
        serializer = SurveyWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "services" in data:
            data["services"] = _services_by_code(data["services"])
        survey = survey_services.survey_create(
            actor=request.user,
            title=data.pop("title", ""),
            period_start=data.pop("period_start", None),
            period_end=data.pop("period_end", None),
            **data,
        )
        return self._respond(survey, status.HTTP_201_CREATED)

    @extend_schema(
        request=SurveyWriteSerializer, responses={200: SurveySerializer}, parameters=[IF_MATCH]
    )
    def partial_update(self, request, reference=None):
        survey = get_survey_for(request.user, reference, write=True)
        serializer = SurveyWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "questions" in data:
            raise serializers.ValidationError(
                {"questions": [_("Add or remove questions through /questions/.")]}
            )
        if "services" in data:
            data["services"] = _services_by_code(data["services"])
        survey = survey_services.survey_update(
            actor=request.user,
            survey=survey,
            expected_version=if_match(request, survey.version),
            **data,
        )
        return self._respond(survey)

    @extend_schema(
        request=inline_serializer("SurveyTransition", {"target": SurveyStatusField()}),
        responses={200: SurveySerializer},
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, reference=None):
        survey = get_survey_for(request.user, reference, write=True)
        target = request.data.get("target")
        if target not in SurveyStatus.values:
            raise serializers.ValidationError({"target": [_("Choose draft, open or closed.")]})
        survey = survey_services.survey_transition(actor=request.user, survey=survey, target=target)
        return self._respond(survey)

    @extend_schema(request=SurveyQuestionSerializer, responses={201: SurveyQuestionSerializer})
    @action(detail=True, methods=["post"])
    def questions(self, request, reference=None):
        survey = get_survey_for(request.user, reference, write=True)
        serializer = SurveyQuestionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        question = survey_services.survey_question_add(
            actor=request.user, survey=survey, text=serializer.validated_data["text"]
        )
        return Response(SurveyQuestionSerializer(question).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: SurveyResultsSerializer})
    @action(detail=True, methods=["get"])
    def results(self, request, reference=None):
        """Averages and response counts over the responses the user may see."""
        survey = get_survey_for(request.user, reference)
        results = queries_customers.survey_results(request.user, survey)
        return Response(SurveyResultsSerializer(results).data)


class SurveyAnswerSerializer(serializers.Serializer):
    question = serializers.IntegerField(source="question_id")
    score = serializers.IntegerField()


class SurveyResponseSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    survey = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    organisation = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    contact = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    service = serializers.SlugRelatedField(slug_field="code", read_only=True)
    answers = SurveyAnswerSerializer(many=True, read_only=True)

    class Meta:
        model = SurveyResponse
        fields = ["id", "survey", "organisation", "contact", "service", "answers", "comment",
                  "submitted_at"]  # fmt: skip


class SurveyResponseWriteSerializer(serializers.Serializer):
    survey = serializers.CharField(help_text="The survey's reference.")
    contact = serializers.UUIDField(
        required=False, allow_null=True, help_text="Staff: the contact who answered."
    )
    service = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    scores = serializers.DictField(
        child=serializers.IntegerField(), help_text="{question id: score from 1 to 5}"
    )
    comment = serializers.CharField(required=False, allow_blank=True)


class SurveyResponseViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = SurveyResponseSerializer
    lookup_field = "uuid"
    queryset = SurveyResponse.objects.none()

    def get_queryset(self):
        responses = (
            SurveyResponse.objects.visible_to(self.request.user)
            .select_related("survey", "organisation", "contact", "service")
            .prefetch_related("answers")
        )
        survey = self.request.query_params.get("survey")
        if survey:
            responses = responses.filter(survey__reference=survey)
        return responses.order_by("pk")

    def retrieve(self, request, uuid=None):
        response = _visible(SurveyResponse, request.user, uuid=uuid)
        return Response(
            SurveyResponseSerializer(get_survey_response_for(request.user, response.pk)).data
        )

    @extend_schema(request=SurveyResponseWriteSerializer, responses={201: SurveyResponseSerializer})
    def create(self, request):
        from serviceloop.portfolio.models import Service

        serializer = SurveyResponseWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        survey = get_survey_for(request.user, data["survey"])
        contact = None
        if data.get("contact"):
            contact = _visible(CustomerContact, request.user, uuid=data["contact"])
        service = None
        if data.get("service"):
            service = Service.objects.filter(code=data["service"]).first()
            if service is None:
                raise serializers.ValidationError({"service": [_("Unknown service code.")]})
        response = survey_services.survey_response_submit(
            actor=request.user,
            survey=survey,
            contact=contact,
            service=service,
            scores=data["scores"],
            comment=data.get("comment", ""),
        )
        response = SurveyResponse.objects.prefetch_related("answers").get(pk=response.pk)
        return Response(SurveyResponseSerializer(response).data, status=status.HTTP_201_CREATED)


ROUTES: list = [
    ("customer-surveys", SurveyViewSet, "customer-survey"),
    ("customer-survey-responses", SurveyResponseViewSet, "customer-survey-response"),
]
