"""Serving attachments: only through a permission check, never as a static URL."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse

from serviceloop.core.permissions import get_attachment_for


@login_required
def attachment_download(request, uuid):
    attachment = get_attachment_for(request.user, uuid)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=not attachment.shown_inline,
        filename=attachment.filename,
        content_type=attachment.mime_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
