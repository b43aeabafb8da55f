"""Storing uploaded files as attachments of records."""

import hashlib

import filetype
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from serviceloop.core.audit import audit_record
from serviceloop.core.models import Attachment
from serviceloop.core.roles import Capability

SNIFF_BYTES = 8192


def sniff_content_type(head: bytes) -> str:
    """The content type read from the file's first bytes; the client's claim is ignored."""
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime
    if b"\x00" in head:
        return "application/octet-stream"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character may be cut at the end of the sample.
        if exc.start < len(head) - 4:
            return "application/octet-stream"
    return "text/plain"


WRITE_CAPABILITIES = frozenset(
    {Capability.OPERATE, Capability.ADMINISTER, Capability.MANAGE_SYSTEM, Capability.AUDIT}
)


def can_attach(user, organisation) -> bool:
    """Staff who write records may attach files anywhere; read-only staff (top management)
    may not; a customer only to his own organisation's records."""
    if not user.is_authenticated:
        return False
    if user.has_capability(Capability.STAFF):
        return bool(user.capabilities & WRITE_CAPABILITIES)
    return organisation.pk == user.organisation_id


def attachment_add(
    *, actor, organisation, uploaded_file, target=None, is_internal: bool = False
) -> Attachment:
    """Store ``uploaded_file`` for ``organisation`` (and ``target``, a record, if given).

    Rejects files over ATTACHMENT_MAX_BYTES and empty files. A customer can only attach to
    his own organisation's records and never marks a file internal.
    """
    if not can_attach(actor, organisation):
        raise PermissionDenied
    if not actor.has_capability(Capability.STAFF):
        is_internal = False
    size = uploaded_file.size
    if size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    if size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            {
                "file": _("The file is %(size)s; the limit is %(limit)s.")
                % {
                    "size": filesizeformat(size),
                    "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
                }
            }
        )
    uploaded_file.seek(0)
    head = uploaded_file.read(SNIFF_BYTES)
    uploaded_file.seek(0)
    digest = hashlib.sha256()
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    uploaded_file.seek(0)
    filename = (uploaded_file.name or "file").replace("/", "_").replace("\\", "_")[-255:]
    attachment = Attachment(
        organisation=organisation,
        filename=filename,
        mime_type=sniff_content_type(head),
        size=size,
        sha256=digest.hexdigest(),
        is_internal=is_internal,
        uploaded_by=actor,
        created_at=timezone.now(),
    )
    if target is not None:
        attachment.content_type = ContentType.objects.get_for_model(target)
        attachment.object_id = str(target.pk)
    with transaction.atomic():
        attachment.file.save(filename, uploaded_file, save=False)
        try:  # a failed save removes the stored file again
            attachment.save()
            audit_record(
                actor=actor,
                verb="attachment.added",
                obj=attachment,
                payload={
                    "filename": filename,
                    "size": size,
                    "mime_type": attachment.mime_type,
                    "sha256": attachment.sha256,
                    "target": f"{attachment.content_type_id}:{attachment.object_id}"
                    if target is not None
                    else "",
                },
            )
        except Exception:
            attachment.file.delete(save=False)
            raise
    return attachment
