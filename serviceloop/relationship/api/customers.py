"""REST API of the customers part: ``ROUTES`` = [(prefix, viewset, basename)].

``/api/v1/customer-accounts/``, ``customer-contacts/``, ``customer-reviews/``,
``customer-review-actions/``, ``customer-surveys/`` and ``customer-survey-responses/``, plus the
agreements (``agreements/``, ``agreement-versions/``, ``agreement-targets/``, see
``api.agreements``). The same rules as the screens: a customer sees only his organisation's
records (others: 404), read-only staff and customers get 403 on writes (a customer may answer
a survey and mark his own actions done). Serializers parse; the services write.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from serviceloop.core.models import Organisation, OrganisationKind, User
from serviceloop.relationship import services_customers as services
from serviceloop.relationship.api.agreements import ROUTES as AGREEMENT_ROUTES
from serviceloop.relationship.api.customers_common import (
    IF_MATCH,
    StaleAsPreconditionFailed,
    if_match,
    inline_choice_field,
    with_etag,
)
from serviceloop.relationship.api.customers_surveys import ROUTES as SURVEY_ROUTES
from serviceloop.relationship.models import (
    ActionStatus,
    CustomerAccount,
    CustomerContact,
    ReviewAction,
    ReviewMeeting,
    SurveyStatus,
)
from serviceloop.relationship.permissions_customers import (
    get_account_for,
    get_contact_for,
    get_review_action_for,
    get_review_for,
    is_staff,
    require_relationship_writer,
)

ActionStatusField = inline_choice_field(ActionStatus.choices)
SurveyStatusField = inline_choice_field(SurveyStatus.choices)


def _visible(model, user, **lookup):
    try:
        return model.objects.visible_to(user).get(**lookup)
    except (model.DoesNotExist, ValueError, TypeError, DjangoValidationError):
        raise Http404 from None


def _user_by_username(username):
    if username in (None, ""):
        return None
    user = User.objects.filter(username=username).first()
    if user is None:
        raise serializers.ValidationError({"user": [_("No such user.")]})
    return user


def _services_by_code(codes):
    from serviceloop.portfolio.models import Service

    codes = list(codes or [])
    found = list(Service.objects.filter(code__in=codes))
    if len(found) != len(set(codes)):
        raise serializers.ValidationError({"services": [_("Unknown service code.")]})
    return found


# --- Accounts ------------------------------------------------------------------------------


class CustomerAccountSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    organisation = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    account_manager = serializers.SlugRelatedField(slug_field="username", read_only=True)
    services_in_use = serializers.SerializerMethodField()

    class Meta:
        model = CustomerAccount
        fields = [
            "id", "organisation", "organisation_name", "account_manager", "notes",
            "services_in_use", "created_at", "updated_at", "version",
        ]  # fmt: skip

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_services_in_use(self, account) -> list[str]:
        return [s.code for s in account.organisation.entitled_services.all()]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and not is_staff(request.user):
            data.pop("notes", None)  # the provider's internal notes
        return data


class CustomerAccountWriteSerializer(serializers.Serializer):
    organisation = serializers.SlugRelatedField(
        slug_field="uuid",
        queryset=Organisation.objects.filter(kind=OrganisationKind.CUSTOMER),
        required=False,
    )
    account_manager = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )
    notes = serializers.CharField(required=False, allow_blank=True)


class CustomerAccountViewSet(
    StaleAsPreconditionFailed, mixins.ListModelMixin, viewsets.GenericViewSet
):
    serializer_class = CustomerAccountSerializer
    lookup_field = "uuid"
    queryset = CustomerAccount.objects.none()  # for the schema

    def get_queryset(self):
        return (
            CustomerAccount.objects.visible_to(self.request.user)
            .select_related("organisation", "account_manager")
            .prefetch_related("organisation__entitled_services")
            .order_by("pk")
        )

    def _get(self, uuid, *, write=False):
        account = _visible(CustomerAccount, self.request.user, uuid=uuid)
        return get_account_for(self.request.user, account.pk, write=write)

    def _respond(self, account, code=status.HTTP_200_OK):
        account = self.get_queryset().get(pk=account.pk)
        data = CustomerAccountSerializer(account, context={"request": self.request}).data
        return with_etag(Response(data, status=code), account.version)

    def retrieve(self, request, uuid=None):
        return self._respond(self._get(uuid))

    @extend_schema(
        request=CustomerAccountWriteSerializer, responses={201: CustomerAccountSerializer}
    )
    def create(self, request):
        require_relationship_writer(request.user)
        serializer = CustomerAccountWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "organisation" not in data:
            raise serializers.ValidationError({"organisation": [_("This field is required.")]})
        account = services.customer_account_create(actor=request.user, **data)
        return self._respond(account, status.HTTP_201_CREATED)

    @extend_schema(
        request=CustomerAccountWriteSerializer,
        responses={200: CustomerAccountSerializer},
        parameters=[IF_MATCH],
    )
    def partial_update(self, request, uuid=None):
        account = self._get(uuid, write=True)
        serializer = CustomerAccountWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("organisation", None)
        account = services.customer_account_update(
            actor=request.user,
            account=account,
            expected_version=if_match(request, account.version),
            **data,
        )
        return self._respond(account)


# --- Contacts ------------------------------------------------------------------------------


class CustomerContactSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    account = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CustomerContact
        fields = ["id", "account", "name", "role", "email", "phone", "is_primary", "user",
                  "is_active"]  # fmt: skip


class CustomerContactWriteSerializer(serializers.Serializer):
    account = serializers.UUIDField(required=False)
    name = serializers.CharField(max_length=150, required=False)
    role = serializers.CharField(max_length=120, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    is_primary = serializers.BooleanField(required=False)
    user = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


class CustomerContactViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = CustomerContactSerializer
    lookup_field = "uuid"
    queryset = CustomerContact.objects.none()

    def get_queryset(self):
        contacts = CustomerContact.objects.visible_to(self.request.user).select_related(
            "account", "user"
        )
        account = self.request.query_params.get("account")
        if account:
            try:
                contacts = contacts.filter(account__uuid=account)
            except DjangoValidationError:
                return contacts.none()
        return contacts.order_by("pk")

    def _get(self, uuid, *, write=False):
        contact = _visible(CustomerContact, self.request.user, uuid=uuid)
        return get_contact_for(self.request.user, contact.pk, write=write)

    def retrieve(self, request, uuid=None):
        return Response(CustomerContactSerializer(self._get(uuid)).data)

    @extend_schema(
        request=CustomerContactWriteSerializer, responses={201: CustomerContactSerializer}
    )
    def create(self, request):
        require_relationship_writer(request.user)
        serializer = CustomerContactWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "account" not in data or "name" not in data:
            raise serializers.ValidationError({"account": [_("Give the account and a name.")]})
        account = _visible(CustomerAccount, request.user, uuid=data.pop("account"))
        data.pop("is_active", None)
        if "user" in data:
            data["user"] = _user_by_username(data["user"])
        contact = services.customer_contact_create(actor=request.user, account=account, **data)
        return Response(CustomerContactSerializer(contact).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=CustomerContactWriteSerializer, responses={200: CustomerContactSerializer}
    )
    def partial_update(self, request, uuid=None):
        contact = self._get(uuid, write=True)
        serializer = CustomerContactWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("account", None)
        if "user" in data:
            data["user"] = _user_by_username(data["user"])
        contact = services.customer_contact_update(actor=request.user, contact=contact, **data)
        return Response(CustomerContactSerializer(contact).data)


# --- Reviews and actions -------------------------------------------------------------------


class ReviewActionSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    review = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    status = ActionStatusField(read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = ReviewAction
        fields = ["id", "review", "title", "owner", "due_on", "status", "overdue", "done_at"]

    def get_overdue(self, action) -> bool:
        from django.utils import timezone

        return action.is_overdue(timezone.localdate())


class ReviewSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    account = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    customer = serializers.CharField(source="account.organisation.name", read_only=True)
    participants = serializers.ListField(
        source="participant_list", child=serializers.CharField(), read_only=True
    )
    minutes = serializers.CharField(read_only=True, help_text="Sanitised HTML.")
    actions = ReviewActionSerializer(many=True, read_only=True)

    class Meta:
        model = ReviewMeeting
        fields = ["id", "reference", "account", "customer", "held_on", "title", "participants",
                  "minutes", "actions", "version", "created_at", "updated_at"]  # fmt: skip


class ReviewWriteSerializer(serializers.Serializer):
    account = serializers.UUIDField(required=False)
    held_on = serializers.DateField(required=False)
    title = serializers.CharField(max_length=200, required=False)
    participants = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False
    )
    minutes = serializers.CharField(required=False, allow_blank=True)


class ReviewViewSet(StaleAsPreconditionFailed, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ReviewSerializer
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    queryset = ReviewMeeting.objects.none()

    def get_queryset(self):
        return (
            ReviewMeeting.objects.visible_to(self.request.user)
            .select_related("account__organisation")
            .prefetch_related("actions__owner", "actions__review")
            .order_by("pk")
        )

    def _respond(self, review, code=status.HTTP_200_OK):
        review = self.get_queryset().get(pk=review.pk)
        return with_etag(Response(ReviewSerializer(review).data, status=code), review.version)

    def retrieve(self, request, reference=None):
        return self._respond(get_review_for(request.user, reference))

    @staticmethod
    def _fields(data: dict) -> dict:
        if "participants" in data:
            data["participants"] = "\n".join(data["participants"])
        return data

    @extend_schema(request=ReviewWriteSerializer, responses={201: ReviewSerializer})
    def create(self, request):
        require_relationship_writer(request.user)
        serializer = ReviewWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = self._fields(dict(serializer.validated_data))
        if "account" not in data:
            raise serializers.ValidationError({"account": [_("This field is required.")]})
        account = _visible(CustomerAccount, request.user, uuid=data.pop("account"))
        review = services.review_create(
            actor=request.user,
            account=account,
            held_on=data.pop("held_on", None),
            title=data.pop("title", ""),
            **data,
        )
        return self._respond(review, status.HTTP_201_CREATED)

    @extend_schema(
        request=ReviewWriteSerializer, responses={200: ReviewSerializer}, parameters=[IF_MATCH]
    )
    def partial_update(self, request, reference=None):
        review = get_review_for(request.user, reference, write=True)
        serializer = ReviewWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = self._fields(dict(serializer.validated_data))
        data.pop("account", None)
        review = services.review_update(
            actor=request.user,
            review=review,
            expected_version=if_match(request, review.version),
            **data,
        )
        return self._respond(review)


class ReviewActionWriteSerializer(serializers.Serializer):
    review = serializers.CharField(required=False)
    title = serializers.CharField(max_length=300, required=False)
    owner = serializers.CharField(required=False)
    due_on = serializers.DateField(required=False)


class ReviewActionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ReviewActionSerializer
    lookup_field = "uuid"
    queryset = ReviewAction.objects.none()

    def get_queryset(self):
        from django.utils import timezone

        actions = ReviewAction.objects.visible_to(self.request.user).select_related(
            "review", "owner"
        )
        params = self.request.query_params
        if params.get("status") in ActionStatus.values:
            actions = actions.filter(status=params["status"])
        if params.get("overdue") in ("1", "true"):
            actions = actions.overdue(timezone.localdate())
        return actions.order_by("pk")

    def _get(self, uuid, *, write=False):
        action_ = _visible(ReviewAction, self.request.user, uuid=uuid)
        return get_review_action_for(self.request.user, action_.pk, write=write)

    def retrieve(self, request, uuid=None):
        return Response(ReviewActionSerializer(self._get(uuid)).data)

    @extend_schema(request=ReviewActionWriteSerializer, responses={201: ReviewActionSerializer})
    def create(self, request):
        require_relationship_writer(request.user)
        serializer = ReviewActionWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        review = get_review_for(request.user, data.pop("review", ""), write=True)
        created = services.review_action_add(
            actor=request.user,
            review=review,
            title=data.get("title", ""),
            owner=_user_by_username(data.get("owner")),
            due_on=data.get("due_on"),
        )
        return Response(ReviewActionSerializer(created).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReviewActionWriteSerializer, responses={200: ReviewActionSerializer})
    def partial_update(self, request, uuid=None):
        current = self._get(uuid, write=True)
        serializer = ReviewActionWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("review", None)
        if "owner" in data:
            data["owner"] = _user_by_username(data["owner"])
        updated = services.review_action_update(actor=request.user, action=current, **data)
        return Response(ReviewActionSerializer(updated).data)

    @extend_schema(
        request=inline_serializer("ReviewActionTransition", {"target": ActionStatusField()}),
        responses={200: ReviewActionSerializer},
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, uuid=None):
        current = self._get(uuid)
        target = request.data.get("target")
        if target not in ActionStatus.values:
            raise serializers.ValidationError({"target": [_("Choose open or done.")]})
        moved = services.review_action_transition(actor=request.user, action=current, target=target)
        return Response(ReviewActionSerializer(moved).data)


ROUTES: list = [
    ("customer-accounts", CustomerAccountViewSet, "customer-account"),
    ("customer-contacts", CustomerContactViewSet, "customer-contact"),
    ("customer-reviews", ReviewViewSet, "customer-review"),
    ("customer-review-actions", ReviewActionViewSet, "customer-review-action"),
    *SURVEY_ROUTES,
    *AGREEMENT_ROUTES,
]
