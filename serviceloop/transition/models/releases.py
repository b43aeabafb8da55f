"""Releases and deployments (clause 8.5.3): a release groups changes, is tested against its
acceptance criteria, deployed environment by environment, rolled back when needed, and
watched through an early-life support period with the incidents tagged to it."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from serviceloop.transition.lifecycle import ReleaseStatus
from serviceloop.transition.models.config import StaffOnlyQuerySet

__all__ = [
    "AcceptanceCriterion",
    "CriterionResult",
    "Deployment",
    "DeploymentOutcome",
    "Environment",
    "Release",
    "ReleaseEvent",
    "ReleaseIncident",
    "Rollback",
]


class Environment(models.TextChoices):
    DEV = "dev", _("Development")
    TEST = "test", _("Test")
    PROD = "prod", _("Production")


class Release(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ReleaseStatus.choices, default=ReleaseStatus.PLANNED
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("release manager"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_releases",
    )
    changes = models.ManyToManyField(
        "transition.ChangeRequest", verbose_name=_("changes"), blank=True, related_name="releases"
    )
    services = models.ManyToManyField(
        "portfolio.Service", verbose_name=_("services"), blank=True, related_name="releases"
    )
    planned_deploy_at = models.DateTimeField(_("planned deployment"), null=True, blank=True)
    actual_deploy_at = models.DateTimeField(_("actual deployment"), null=True, blank=True)
    els_end = models.DateTimeField(_("end of early-life support"), null=True, blank=True)
    els_incidents = models.ManyToManyField(
        "desk.Ticket",
        verbose_name=_("early-life incidents"),
        through="transition.ReleaseIncident",
        blank=True,
        related_name="els_releases",
    )
    status_note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = StaffOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("release")
        verbose_name_plural = _("releases")

    def __str__(self):
        return f"{self.reference} {self.name}"


RELEASE_EVENT_LABELS = {
    "created": _("Created"),
    "updated": _("Details changed"),
    "status": _("Status changed"),
    "criterion": _("Acceptance criterion added"),
    "test": _("Test result"),
    "deployment": _("Deployment"),
    "rollback": _("Rollback"),
    "incidents": _("Incidents tagged"),
    "untagged": _("Incident untagged"),
}


class ReleaseEvent(models.Model):
    """The release's history: one row per move or record, beside its audit row."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("event"), max_length=24)
    from_value = models.CharField(max_length=120, blank=True)
    to_value = models.CharField(max_length=120, blank=True)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.release_id} {self.kind}"

    @property
    def label(self) -> str:
        return str(RELEASE_EVENT_LABELS.get(self.kind, self.kind))


class DeploymentOutcome(models.TextChoices):
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class Deployment(models.Model):
    """One deployment of the release into one environment."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="deployments")
    environment = models.CharField(_("environment"), max_length=8, choices=Environment.choices)
    deployed_at = models.DateTimeField(_("deployed"))
    deployed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deployed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=DeploymentOutcome.choices)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["deployed_at", "id"]
        verbose_name = _("deployment")
        verbose_name_plural = _("deployments")

    def __str__(self):
        return f"{self.release_id} {self.environment} {self.outcome}"


class CriterionResult(models.TextChoices):
    PENDING = "pending", _("Not tested")
    PASS = "pass", _("Pass")
    FAIL = "fail", _("Fail")


class AcceptanceCriterion(models.Model):
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="criteria")
    position = models.PositiveIntegerField(_("position"), default=0)
    description = models.CharField(_("criterion"), max_length=300)
    result = models.CharField(
        _("result"), max_length=8, choices=CriterionResult.choices, default=CriterionResult.PENDING
    )
    note = models.TextField(_("test note"), blank=True)
    tested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    tested_at = models.DateTimeField(_("tested"), null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("acceptance criterion")
        verbose_name_plural = _("acceptance criteria")

    def __str__(self):
        return self.description


class Rollback(models.Model):
    """A rollback of the release in one environment, and why."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="rollbacks")
    deployment = models.ForeignKey(
        Deployment, null=True, blank=True, on_delete=models.SET_NULL, related_name="rollbacks"
    )
    environment = models.CharField(_("environment"), max_length=8, choices=Environment.choices)
    rolled_back_at = models.DateTimeField(_("rolled back"))
    rolled_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"))

    class Meta:
        ordering = ["rolled_back_at", "id"]
        verbose_name = _("rollback")
        verbose_name_plural = _("rollbacks")

    def __str__(self):
        return f"{self.release_id} {self.environment}"


class ReleaseIncident(models.Model):
    """An incident tagged to the release during its early-life support."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="incident_links")
    incident = models.ForeignKey(
        "desk.Ticket", on_delete=models.CASCADE, related_name="release_links"
    )
    linked_at = models.DateTimeField()
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["linked_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["release", "incident"], name="release_incident_unique")
        ]

    def __str__(self):
        return f"{self.release_id} ← {self.incident_id}"
