"""Desk configuration: categories and the impact × urgency priority matrix."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from serviceloop.core.roles import Capability


class Priority(models.TextChoices):
    P1 = "P1", _("P1 – critical")
    P2 = "P2", _("P2 – high")
    P3 = "P3", _("P3 – medium")
    P4 = "P4", _("P4 – low")


class Impact(models.IntegerChoices):
    EXTENSIVE = 1, _("Extensive (many customers or a whole service)")
    SIGNIFICANT = 2, _("Significant (a department or several users)")
    MODERATE = 3, _("Moderate (a few users)")
    MINOR = 4, _("Minor (one user)")


class Urgency(models.IntegerChoices):
    CRITICAL = 1, _("Critical (work has stopped)")
    HIGH = 2, _("High (work is seriously hindered)")
    MEDIUM = 3, _("Medium (work goes on with a workaround)")
    LOW = 4, _("Low (an inconvenience)")


# rows: impact 1..4, columns: urgency 1..4
DEFAULT_MATRIX = [
    ["P1", "P1", "P2", "P3"],
    ["P1", "P2", "P3", "P3"],
    ["P2", "P3", "P3", "P4"],
    ["P3", "P3", "P4", "P4"],
]


def validate_matrix(value) -> None:
    if (
        not isinstance(value, list)
        or len(value) != 4
        or not all(isinstance(row, list) and len(row) == 4 for row in value)
        or not all(cell in Priority.values for row in value for cell in row)
    ):
        raise ValidationError(_("The matrix has 4 rows of 4 priorities (P1–P4)."))


class PriorityMatrix(models.Model):
    """The one matrix that turns impact × urgency into a priority (row 1 = extensive impact)."""

    matrix = models.JSONField(_("matrix"), default=list, validators=[validate_matrix])
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("priority matrix")

    def __str__(self):
        return "priority matrix"

    @classmethod
    def current(cls) -> list[list[str]]:
        row = cls.objects.order_by("pk").first()
        return row.matrix if row and row.matrix else DEFAULT_MATRIX

    @staticmethod
    def priority_for(impact: int, urgency: int, matrix=None) -> str:
        matrix = matrix or PriorityMatrix.current()
        return matrix[int(impact) - 1][int(urgency) - 1]


class CategoryQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(is_active=True) if not user.has_capability(Capability.STAFF) else self


class Category(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    default_team = models.ForeignKey(
        "core.Team",
        verbose_name=_("routed to team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("New tickets of this category are assigned to this team."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self):
        return self.name
