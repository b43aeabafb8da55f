"""The audit trail: one append-only, hash-chained row per change.

Each row's ``hash`` covers its own content and the previous row's hash, so a row changed
or removed behind the application's back breaks the chain from that row on
(``serviceloop verify-audit`` finds it). The application never updates or deletes a row:
the queryset and the model refuse it, the admin and the API are read-only.
"""

import hashlib
import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from serviceloop.core.roles import Capability

GENESIS_HASH = "0" * 64


class AuditTrailIsAppendOnly(Exception):
    pass


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditTrailIsAppendOnly("audit events cannot be changed")

    def delete(self):
        raise AuditTrailIsAppendOnly("audit events cannot be deleted")

    def visible_to(self, user):
        """Those who may read the audit trail read all of it; others none of it."""
        if not user.is_authenticated or not user.has_capability(Capability.READ_AUDIT_TRAIL):
            return self.none()
        return self


class AuditEvent(models.Model):
    occurred_at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)
    organisation = models.ForeignKey(
        "core.Organisation",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    object_type = models.CharField(_("object type"), max_length=64, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, db_index=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    verb = models.CharField(_("action"), max_length=64)
    payload = models.JSONField(_("changes"), default=dict, encoder=DjangoJSONEncoder)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["object_type", "object_id", "id"])]

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.verb} {self.object_type}#{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AuditTrailIsAppendOnly("audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditTrailIsAppendOnly("audit events cannot be deleted")

    def content_digest_source(self) -> str:
        """The canonical text the hash covers (everything but the id and the hash itself)."""
        content = {
            "occurred_at": self.occurred_at.isoformat(timespec="microseconds"),
            "actor": self.actor_id,
            "actor_label": self.actor_label,
            "organisation": self.organisation_id,
            "object_type": self.object_type,
            "object_id": str(self.object_id),
            "object_repr": self.object_repr,
            "verb": self.verb,
            "payload": self.payload,
            "request_id": self.request_id,
            "ip_address": self.ip_address,
        }
        return json.dumps(content, sort_keys=True, ensure_ascii=False, cls=DjangoJSONEncoder)

    def compute_hash(self, prev_hash: str) -> str:
        digest = hashlib.sha256()
        digest.update(prev_hash.encode())
        digest.update(self.content_digest_source().encode())
        return digest.hexdigest()


class AuditChainHead(models.Model):
    """One row holding the last hash; locking it serialises appends to the chain."""

    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    last_event_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("audit chain head")

    def __str__(self):
        return self.last_hash
