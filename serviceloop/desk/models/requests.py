"""Service request types with their own form fields and optional approval, and canned replies."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

FIELD_TYPES = ("text", "textarea", "number", "date", "choice", "boolean", "email")


def validate_form_schema(value) -> None:
    """A list of fields: {"name", "label", "type", "required", "choices" (for choice),
    "min"/"max" (for number), "help"}. Names are identifiers, unique in the form."""
    if not isinstance(value, list):
        raise ValidationError(_("The form is a list of fields."))
    names = set()
    for position, field in enumerate(value, start=1):
        if not isinstance(field, dict):
            raise ValidationError(_("Field %(n)s is not an object.") % {"n": position})
        name = field.get("name")
        if not isinstance(name, str) or not name.isidentifier() or name in names:
            raise ValidationError(
                _("Field %(n)s needs a unique name made of letters, digits and _.")
                % {"n": position}
            )
        names.add(name)
        if field.get("type", "text") not in FIELD_TYPES:
            raise ValidationError(
                _("Field %(name)s: the type must be one of %(types)s.")
                % {"name": name, "types": ", ".join(FIELD_TYPES)}
            )
        if not isinstance(field.get("label", name), str):
            raise ValidationError(_("Field %(name)s: the label is text.") % {"name": name})
        if field.get("type") == "choice" and (
            not isinstance(field.get("choices"), list) or not field["choices"]
        ):
            raise ValidationError(
                _("Field %(name)s: a choice field needs its choices.") % {"name": name}
            )


class RequestType(models.Model):
    """What customers can ask for in the portal, with the details each needs."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    service = models.CharField(_("service"), max_length=120, blank=True)
    category = models.ForeignKey(
        "desk.Category", verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT
    )
    form_schema = models.JSONField(
        _("form fields"), default=list, blank=True, validators=[validate_form_schema]
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approver"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("When set, requests wait for this person's approval before work starts."),
    )
    customer_manager_approves = models.BooleanField(
        _("the customer's manager approves"),
        default=False,
        help_text=_(
            "Requests first need the approval of a manager of the requester's organisation."
        ),
    )
    is_active = models.BooleanField(_("offered in the portal"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("request type")
        verbose_name_plural = _("request types")

    def __str__(self):
        return self.name

    @property
    def needs_approval(self) -> bool:
        return self.approver_id is not None or self.customer_manager_approves


class Approval(models.Model):
    """One approval step of a service request."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    ticket = models.ForeignKey("desk.Ticket", on_delete=models.CASCADE, related_name="approvals")
    step = models.PositiveSmallIntegerField(_("step"))
    approver_role = models.CharField(max_length=32)  # "customer_manager" or "named"
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(
        _("decision"), max_length=16, choices=Decision.choices, default=Decision.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["ticket", "step"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "step"], name="approval_step_unique")
        ]

    def __str__(self):
        return f"{self.ticket_id} step {self.step}: {self.decision}"


class CannedResponse(models.Model):
    """A reply text agents insert and adapt."""

    title = models.CharField(_("title"), max_length=120, unique=True)
    body = models.TextField(_("text"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")

    def __str__(self):
        return self.title
