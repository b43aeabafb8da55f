"""Models of evaluation: role-based dashboards.

A person's dashboard is the default of his role (``queries_dashboards.default_widgets``)
until he changes it; his first change stores the whole layout here. Resetting deletes the
row, so the role's default (which may change with releases) applies again.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["DashboardLayout", "DashboardLayoutQuerySet"]


class DashboardLayoutQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A layout is personal: each person sees (and changes) his own only."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(user_id=user.pk)


class DashboardLayout(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="dashboard_layout",
    )
    # The widget codes in display order (``widgets_dashboards.WIDGETS`` or ``kpi.<code>``).
    widgets = models.JSONField(_("widgets"), default=list, blank=True)
    # ``{code: {"period": "week"}}`` or ``{code: {"limit": 10}}``: only what differs from
    # the widget's default.
    widget_settings = models.JSONField(_("widget settings"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated"))
    version = models.PositiveIntegerField(default=1)

    objects = DashboardLayoutQuerySet.as_manager()

    class Meta:
        verbose_name = _("dashboard layout")
        verbose_name_plural = _("dashboard layouts")

    def __str__(self):
        return f"{self.user} dashboard"
