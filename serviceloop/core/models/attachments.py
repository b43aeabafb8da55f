"""Files attached to records, served only through a permission-checked view."""

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from serviceloop.core.roles import Capability

# Shown inline in the browser; everything else (SVG and HTML included) is a download.
INLINE_CONTENT_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def attachment_path(instance, filename):
    return f"attachments/{instance.created_at:%Y/%m}/{instance.uuid}"


class AttachmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see every attachment; customers only their organisation's public ones."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.has_capability(Capability.STAFF):
            return self
        return self.filter(organisation_id=user.organisation_id, is_internal=False)


class Attachment(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        "core.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.CharField(max_length=64, blank=True)
    target = GenericForeignKey("content_type", "object_id")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    filename = models.CharField(_("file name"), max_length=255)
    mime_type = models.CharField(_("content type"), max_length=120)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    is_internal = models.BooleanField(
        _("internal"), default=False, help_text=_("Internal files are never shown to customers.")
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded at"))

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self):
        return self.filename

    @property
    def shown_inline(self) -> bool:
        return self.mime_type in INLINE_CONTENT_TYPES
