"""REST API of the suppliers part: ``ROUTES`` = [(prefix, viewset, basename)].

``/api/v1/suppliers/`` (by UUID), ``supplier-contacts/`` (UUID), ``supplier-contracts/``
(by reference, with ``transition``), ``supplier-obligations/`` (UUID),
``supplier-tickets/`` (the tickets that waited on a supplier; UUID),
``supplier-reviews/`` (by reference, with ``recompute``, ``score`` and ``complete``) and
``supplier-disputes/`` (by reference, with ``transition``).

Supplier records are the provider's: for customers every endpoint answers 404. Staff read
everything; the read-only roles get 403 on writes. Serializers parse; the services of
``services_suppliers*`` modules validate and write (their
ValidationError is a 400). Responses carry ``ETag: "<version>"`` where a record has one; an
optional ``If-Match`` on a change answers 412 when the record changed meanwhile.
"""

import django_filters
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from serviceloop.core.models import Organisation
from serviceloop.desk.models import Ticket
from serviceloop.portfolio.models import Service
from serviceloop.relationship import services_suppliers as services
from serviceloop.relationship import services_suppliers_contracts as contract_services
from serviceloop.relationship.api.suppliers_base import (
    IF_MATCH,
    StaffOnlyViewSet,
    staff_people,
    transition_action,
)
from serviceloop.relationship.api.suppliers_records import (
    PerformanceReviewViewSet,
    SupplierDisputeViewSet,
)
from serviceloop.relationship.models import (
    Contract,
    ContractStatus,
    Obligation,
    ObligationMetric,
    Supplier,
    SupplierContact,
    SupplierKind,
    SupplierStatus,
    TicketSupplier,
)
from serviceloop.relationship.models.suppliers import CONTRACT_TARGETS
from serviceloop.relationship.permissions_suppliers import (
    get_contact_for,
    get_contract_for,
    get_obligation_for,
    get_supplier_for,
    get_ticket_link_for,
)

# --- Suppliers and contacts ----------------------------------------------------------------


class SupplierContactSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    supplier = serializers.SlugRelatedField(slug_field="uuid", queryset=Supplier.objects.all())

    class Meta:
        model = SupplierContact
        fields = ["id", "supplier", "name", "role", "email", "phone", "is_primary"]


class SupplierContactBriefSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)

    class Meta:
        model = SupplierContact
        fields = ["id", "name", "role", "email", "phone", "is_primary"]
        read_only_fields = fields


class SupplierSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    organisation = serializers.SlugRelatedField(
        slug_field="uuid", queryset=Organisation.objects.all(), required=False, allow_null=True
    )
    manager = serializers.SlugRelatedField(
        slug_field="uuid", queryset=staff_people(), required=False, allow_null=True
    )
    is_customer_as_supplier = serializers.BooleanField(read_only=True)
    contacts = SupplierContactBriefSerializer(many=True, read_only=True)

    class Meta:
        model = Supplier
        fields = [
            "id", "name", "kind", "is_customer_as_supplier", "organisation", "status", "manager",
            "services_provided", "website", "notes", "contacts", "version", "created_at",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = ["version", "created_at", "updated_at"]
        extra_kwargs = {"name": {"validators": []}}  # the service checks it, case-blind


class SupplierFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=SupplierKind.choices)
    status = django_filters.ChoiceFilter(choices=SupplierStatus.choices)
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = Supplier
        fields = ["kind", "status", "q"]


class SupplierViewSet(mixins.ListModelMixin, StaffOnlyViewSet):
    """Suppliers: external, internal, and customers acting as suppliers (flagged)."""

    serializer_class = SupplierSerializer
    filterset_class = SupplierFilter
    queryset = Supplier.objects.none()
    record_getter = staticmethod(get_supplier_for)
    record_arg = "supplier"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return (
            Supplier.objects.visible_to(self.request.user)
            .select_related("organisation", "manager")
            .prefetch_related("contacts")
            .order_by("-pk")
        )

    def create(self, request):
        return self._create(services.supplier_create)

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request, id=None):
        return self._update(services.supplier_update)


class SupplierContactViewSet(mixins.ListModelMixin, StaffOnlyViewSet):
    """The contact people of suppliers (filter with ``?supplier=<uuid>``)."""

    serializer_class = SupplierContactSerializer
    queryset = SupplierContact.objects.none()
    filterset_fields = {"supplier__uuid": ["exact"]}
    record_getter = staticmethod(get_contact_for)
    record_arg = "contact"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return SupplierContact.objects.visible_to(self.request.user).select_related("supplier")

    def create(self, request):
        return self._create(services.supplier_contact_add)

    def partial_update(self, request, id=None):
        return self._update(
            services.supplier_contact_update,
            fixed=["supplier"],
            fixed_message="A contact stays with its supplier.",
            versioned=False,
        )

    def destroy(self, request, id=None):
        contact = self.get_record(write=True)
        services.supplier_contact_remove(actor=request.user, contact=contact)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Contracts and obligations -------------------------------------------------------------


class ObligationBriefSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    measured_by = serializers.CharField(source="metric", read_only=True)

    class Meta:
        model = Obligation
        fields = ["id", "description", "measured_by", "target_value", "unit", "is_active"]
        read_only_fields = fields


class ContractSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    supplier = serializers.SlugRelatedField(slug_field="uuid", queryset=Supplier.objects.all())
    services = serializers.SlugRelatedField(
        slug_field="code", queryset=Service.objects.all(), many=True, required=False
    )
    owner = serializers.SlugRelatedField(
        slug_field="uuid",
        queryset=staff_people(),
        required=False,
        help_text=gettext_lazy("Empty on create: you."),
    )
    notice_date = serializers.DateField(read_only=True)
    obligations = ObligationBriefSerializer(many=True, read_only=True)

    class Meta:
        model = Contract
        fields = [
            "id", "reference", "supplier", "supplier_reference", "title", "scope", "services",
            "value", "currency", "start_date", "end_date", "notice_period_days", "notice_date",
            "owner", "status", "termination_reason", "obligations", "version", "created_at",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = [
            "reference", "status", "termination_reason", "version", "created_at", "updated_at"
        ]  # fmt: skip


class ContractTransitionSerializer(serializers.Serializer):
    target = serializers.ChoiceField(choices=CONTRACT_TARGETS)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ContractFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ContractStatus.choices)
    supplier = django_filters.UUIDFilter(field_name="supplier__uuid")
    ends_before = django_filters.DateFilter(field_name="end_date", lookup_expr="lt")

    class Meta:
        model = Contract
        fields = ["status", "supplier", "ends_before"]


class ContractViewSet(mixins.ListModelMixin, StaffOnlyViewSet):
    """Supplier contracts with their obligations; ``transition`` moves them along the
    declared lifecycle (draft → active → expired / terminated)."""

    serializer_class = ContractSerializer
    filterset_class = ContractFilter
    queryset = Contract.objects.none()
    lookup_field = "reference"
    lookup_url_kwarg = "reference"
    lookup_value_regex = r"[A-Za-z0-9._-]+"
    record_getter = staticmethod(get_contract_for)
    record_arg = "contract"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return (
            Contract.objects.visible_to(self.request.user)
            .select_related("supplier", "owner")
            .prefetch_related("services", "obligations")
            .order_by("-pk")
        )

    def create(self, request):
        return self._create(contract_services.contract_create)

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request, reference=None):
        return self._update(
            contract_services.contract_update,
            fixed=["supplier"],
            fixed_message="A contract stays with its supplier.",
        )

    transition = transition_action(
        ContractTransitionSerializer, contract_services.contract_transition
    )


class ObligationSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    contract = serializers.SlugRelatedField(slug_field="reference", queryset=Contract.objects.all())
    measured_by = serializers.ChoiceField(
        source="metric",
        choices=ObligationMetric.choices,
        help_text=gettext_lazy(
            "supplier_incidents, waiting_hours and response_hours are computed from the desk's "
            "records (the target is a maximum); manual is scored by the reviewer."
        ),
    )

    class Meta:
        model = Obligation
        fields = [
            "id", "contract", "description", "measured_by", "target_value", "unit", "is_active"
        ]  # fmt: skip


class ObligationViewSet(mixins.ListModelMixin, StaffOnlyViewSet):
    """Contract obligations and how each is measured (``?contract=<reference>``). Their
    contract and measure are fixed once recorded."""

    serializer_class = ObligationSerializer
    queryset = Obligation.objects.none()
    filterset_fields = {"contract__reference": ["exact"]}
    record_getter = staticmethod(get_obligation_for)
    record_arg = "obligation"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return Obligation.objects.visible_to(self.request.user).select_related("contract")

    def create(self, request):
        return self._create(contract_services.obligation_create, ignore=["is_active"])

    def partial_update(self, request, id=None):
        return self._update(
            contract_services.obligation_update,
            fixed=["contract", "metric"],
            fixed_message="Fixed once recorded.",
            versioned=False,
        )


# --- Tickets waiting on a supplier ---------------------------------------------------------


class TicketSupplierSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    # narrowed to the tickets the reader may see (a confidential one reads "does not exist")
    ticket = serializers.SlugRelatedField(slug_field="reference", queryset=Ticket.objects.all())
    supplier = serializers.SlugRelatedField(slug_field="uuid", queryset=Supplier.objects.all())
    recorded_by = serializers.SlugRelatedField(slug_field="uuid", read_only=True)

    class Meta:
        model = TicketSupplier
        fields = [
            "id",
            "ticket",
            "supplier",
            "caused_incident",
            "note",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = ["recorded_at"]
        validators = []  # linking again updates the link (see ticket_supplier_link)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["ticket"].queryset = Ticket.objects.visible_to(request.user)


class TicketSupplierFilter(django_filters.FilterSet):
    supplier = django_filters.UUIDFilter(field_name="supplier__uuid")
    ticket = django_filters.CharFilter(field_name="ticket__reference")
    caused_incident = django_filters.BooleanFilter()

    class Meta:
        model = TicketSupplier
        fields = ["supplier", "ticket", "caused_incident"]


class TicketSupplierViewSet(mixins.ListModelMixin, StaffOnlyViewSet):
    """The desk tickets that waited on a supplier (and incidents it caused): the records the
    performance reviews compute from. POST again to change a link; DELETE removes one."""

    serializer_class = TicketSupplierSerializer
    filterset_class = TicketSupplierFilter
    queryset = TicketSupplier.objects.none()
    record_getter = staticmethod(get_ticket_link_for)
    record_arg = "link"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return TicketSupplier.objects.visible_to(self.request.user).select_related(
            "ticket", "supplier", "recorded_by"
        )

    def create(self, request):
        return self._create(services.ticket_supplier_link)

    def destroy(self, request, id=None):
        link = self.get_record(write=True)
        services.ticket_supplier_unlink(actor=request.user, link=link)
        return Response(status=status.HTTP_204_NO_CONTENT)


ROUTES: list = [
    ("suppliers", SupplierViewSet, "supplier"),
    ("supplier-contacts", SupplierContactViewSet, "supplier-contact"),
    ("supplier-contracts", ContractViewSet, "supplier-contract"),
    ("supplier-obligations", ObligationViewSet, "supplier-obligation"),
    ("supplier-tickets", TicketSupplierViewSet, "supplier-ticket"),
    ("supplier-reviews", PerformanceReviewViewSet, "supplier-review"),
    ("supplier-disputes", SupplierDisputeViewSet, "supplier-dispute"),
]
