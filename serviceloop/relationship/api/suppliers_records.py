"""The suppliers API, continued: performance reviews (``supplier-reviews/``) and disputes
(``supplier-disputes/``); see ``api/suppliers.py``."""

import django_filters
from django.http import Http404
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action

from serviceloop.relationship import services_suppliers_disputes as dispute_services
from serviceloop.relationship import services_suppliers_reviews as reviews
from serviceloop.relationship.api.suppliers_base import (
    IF_MATCH,
    StaffOnlyViewSet,
    if_match,
    staff_people,
    transition_action,
)
from serviceloop.relationship.models import (
    Contract,
    DisputeStatus,
    PerformanceReview,
    ReviewRating,
    ReviewScore,
    ReviewStatus,
    Supplier,
    SupplierDispute,
)
from serviceloop.relationship.models.suppliers import DISPUTE_TARGETS
from serviceloop.relationship.permissions_suppliers import (
    get_dispute_for,
    get_review_for,
)

# --- Performance reviews -------------------------------------------------------------------


class ReviewScoreSerializer(serializers.ModelSerializer):
    obligation = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    description = serializers.CharField(source="obligation.description", read_only=True)
    measured_by = serializers.CharField(source="obligation.metric", read_only=True)
    target_value = serializers.DecimalField(
        source="obligation.target_value", max_digits=12, decimal_places=2, read_only=True
    )
    unit = serializers.CharField(source="obligation.unit", read_only=True)

    class Meta:
        model = ReviewScore
        fields = [
            "id", "obligation", "description", "measured_by", "target_value", "unit",
            "actual_value", "met", "computed", "sample_size", "note",
        ]  # fmt: skip
        read_only_fields = fields


class PerformanceReviewSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    supplier = serializers.SlugRelatedField(slug_field="uuid", queryset=Supplier.objects.all())
    reviewer = serializers.SlugRelatedField(
        slug_field="uuid",
        queryset=staff_people(),
        required=False,
        help_text=gettext_lazy("Empty on create: you."),
    )
    scores = ReviewScoreSerializer(many=True, read_only=True)

    class Meta:
        model = PerformanceReview
        fields = [
            "id", "reference", "supplier", "period_start", "period_end", "reviewer", "status",
            "overall_rating", "summary", "actions", "scores", "computed_at", "completed_at",
            "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = [
            "reference", "status", "computed_at", "completed_at", "version", "created_at",
            "updated_at",
        ]  # fmt: skip


class ScoreSetSerializer(serializers.Serializer):
    score = serializers.IntegerField(
        help_text=gettext_lazy("The id of one of the review's scores.")
    )
    met = serializers.BooleanField(required=False, allow_null=True, default=None)
    actual_value = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True, default=None
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ReviewCompleteSerializer(serializers.Serializer):
    overall_rating = serializers.ChoiceField(
        choices=ReviewRating.choices, required=False, allow_null=True, default=None
    )
    summary = serializers.CharField(required=False, allow_blank=True, allow_null=True, default=None)
    actions = serializers.CharField(required=False, allow_blank=True, allow_null=True, default=None)


class ReviewFilter(django_filters.FilterSet):
    supplier = django_filters.UUIDFilter(field_name="supplier__uuid")
    status = django_filters.ChoiceFilter(choices=ReviewStatus.choices)

    class Meta:
        model = PerformanceReview
        fields = ["supplier", "status"]


class PerformanceReviewViewSet(mixins.ListModelMixin, StaffOnlyViewSet):
    """Supplier performance reviews: creating one computes the measured obligations from the
    desk's records; ``score`` scores a manual one; ``recompute`` and ``complete``."""

    serializer_class = PerformanceReviewSerializer
    filterset_class = ReviewFilter
    queryset = PerformanceReview.objects.none()
    lookup_field = "reference"
    lookup_url_kwarg = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    record_getter = staticmethod(get_review_for)
    record_arg = "review"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return (
            PerformanceReview.objects.visible_to(self.request.user)
            .select_related("supplier", "reviewer")
            .prefetch_related("scores__obligation")
            .order_by("-pk")
        )

    def create(self, request):
        return self._create(
            reviews.review_create, only=["supplier", "period_start", "period_end", "reviewer"]
        )

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request, reference=None):
        return self._update(
            reviews.review_update,
            fixed=["supplier", "period_start", "period_end"],
            fixed_message="Fixed once the review is opened.",
        )

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def recompute(self, request, reference=None):
        """Recompute the measured scores from the records as they are now (drafts)."""
        review = self.get_record(write=True)
        return self._respond(reviews.review_recompute(actor=request.user, review=review))

    @extend_schema(request=ScoreSetSerializer)
    @action(detail=True, methods=["post"])
    def score(self, request, reference=None):
        """Score a manual obligation (met, a note, optionally the actual value), or add a
        note to a measured one."""
        review = self.get_record(write=True)
        serializer = ScoreSetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        score = review.scores.filter(pk=data.pop("score")).first()
        if score is None:
            raise Http404
        reviews.review_score_set(actor=request.user, score=score, **data)
        return self._respond(review)

    @extend_schema(request=ReviewCompleteSerializer, parameters=[IF_MATCH])
    @action(detail=True, methods=["post"])
    def complete(self, request, reference=None):
        """Complete the review (measured scores recomputed, every manual one scored, an
        overall rating given); final afterwards."""
        review = self.get_record(write=True)
        serializer = ReviewCompleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = reviews.review_complete(
            actor=request.user,
            review=review,
            expected_version=if_match(request),
            **serializer.validated_data,
        )
        return self._respond(review)


# --- Disputes ------------------------------------------------------------------------------


class SupplierDisputeSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    supplier = serializers.SlugRelatedField(slug_field="uuid", queryset=Supplier.objects.all())
    contract = serializers.SlugRelatedField(
        slug_field="reference", queryset=Contract.objects.all(), required=False, allow_null=True
    )
    owner = serializers.SlugRelatedField(
        slug_field="uuid", queryset=staff_people(), required=False, allow_null=True
    )

    class Meta:
        model = SupplierDispute
        fields = [
            "id", "reference", "supplier", "contract", "title", "raised_on", "description",
            "status", "owner", "resolution", "resolved_on", "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = [
            "reference", "status", "resolution", "resolved_on", "version", "created_at",
            "updated_at",
        ]  # fmt: skip
        extra_kwargs = {"raised_on": {"required": False}}


class DisputeTransitionSerializer(serializers.Serializer):
    target = serializers.ChoiceField(choices=DISPUTE_TARGETS)
    resolution = serializers.CharField(required=False, allow_blank=True, default="")
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class DisputeFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=DisputeStatus.choices)
    supplier = django_filters.UUIDFilter(field_name="supplier__uuid")

    class Meta:
        model = SupplierDispute
        fields = ["status", "supplier"]


class SupplierDisputeViewSet(mixins.ListModelMixin, StaffOnlyViewSet):
    """Disputes with suppliers; ``transition`` negotiates, escalates, resolves, reopens."""

    serializer_class = SupplierDisputeSerializer
    filterset_class = DisputeFilter
    queryset = SupplierDispute.objects.none()
    lookup_field = "reference"
    lookup_url_kwarg = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    record_getter = staticmethod(get_dispute_for)
    record_arg = "dispute"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return (
            SupplierDispute.objects.visible_to(self.request.user)
            .select_related("supplier", "contract", "owner")
            .order_by("-pk")
        )

    def create(self, request):
        return self._create(dispute_services.dispute_create)

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request, reference=None):
        return self._update(
            dispute_services.dispute_update,
            fixed=["supplier"],
            fixed_message="A dispute stays with its supplier.",
        )

    transition = transition_action(DisputeTransitionSerializer, dispute_services.dispute_transition)
