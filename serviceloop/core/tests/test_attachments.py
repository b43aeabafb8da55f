"""Attachments: uploaded through a record's page, checked, sniffed, served safely."""

import hashlib
import struct
import zlib

import pytest
from django import forms
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from serviceloop.core.models import Attachment, AuditEvent, Organisation


def png_bytes() -> bytes:
    """A real 1×1 PNG image."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def stored_files(settings):
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def upload(client_for):
    """``upload(user, organisation, name, content, internal=False)`` → the page the upload
    leads to (the organisation's page with the outcome's message), redirects followed."""

    def post(user, organisation, name, content, *, internal=False):
        data = {"file": SimpleUploadedFile(name, content, content_type="text/plain")}
        if internal:
            data["is_internal"] = "on"
        return client_for(user).post(
            reverse("organisation_attachment_add", args=[organisation.pk]), data, follow=True
        )

    return post


def messages_on(page) -> list[str]:
    return [str(message) for message in page.context["messages"]]


def test_upload_through_the_organisation_page_stores_the_file(people, upload, settings, client_for):
    content = "年度服务报告 annual service report\n".encode() * 10

    page = upload(people.agent, people.customer_a, "report.txt", content)

    assert page.redirect_chain == [
        (reverse("organisation_detail", args=[people.customer_a.pk]), 302)
    ]
    assert messages_on(page) == ["附件已上传。"]
    attachment = Attachment.objects.get()
    assert attachment.target == people.customer_a
    assert (attachment.filename, attachment.size, attachment.uploaded_by) == (
        "report.txt",
        len(content),
        people.agent,
    )
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert stored_files(settings)[0].read_bytes() == content
    assert AuditEvent.objects.filter(verb="attachment.added", object_id=attachment.pk).exists()
    customer_page = client_for(people.a_user).get(page.wsgi_request.path).content.decode()
    assert reverse("attachment_download", args=[attachment.uuid]) in customer_page


def test_a_customer_attaches_to_his_own_organisation_but_never_internally(people, upload):
    page = upload(people.a_user, people.customer_a, "invoice.txt", b"42", internal=True)

    assert page.status_code == 200
    assert Attachment.objects.get().is_internal is False


def test_staff_may_attach_an_internal_file(people, upload):
    upload(people.agent, people.customer_a, "notes.txt", b"internal", internal=True)

    assert Attachment.objects.get().is_internal is True


@pytest.mark.parametrize("uploader", ["b_user", "outsider", "anonymous"])
def test_nobody_attaches_to_an_organisation_he_cannot_see(uploader, people, upload, settings):
    user = None if uploader == "anonymous" else getattr(people, uploader)

    response = upload(user, people.customer_a, "x.txt", b"x")

    # Outsiders learn nothing (404); the anonymous are sent to sign in first.
    if user is None:
        assert response.redirect_chain[0][0].startswith(reverse("login"))
    else:
        assert response.status_code == 404
    assert not Attachment.objects.exists()
    assert stored_files(settings) == []


@pytest.mark.parametrize(
    "language, message",
    [
        ("en", "The file is 2.0\xa0KB; the limit is 1.0\xa0KB."),
        ("zh-hans", "文件大小为 2.0\xa0KB，超出上限 1.0\xa0KB。"),
    ],
)
def test_a_file_over_the_limit_is_refused_with_a_clear_message_and_not_stored(
    language, message, people, upload, settings
):
    settings.ATTACHMENT_MAX_BYTES = 1024
    people.agent.language = language
    people.agent.save()

    page = upload(people.agent, people.customer_a, "big.txt", b"x" * 2048)

    assert messages_on(page) == [message]
    assert message in page.content.decode()
    assert not Attachment.objects.exists()
    assert stored_files(settings) == []
    assert not AuditEvent.objects.filter(verb="attachment.added").exists()


def test_an_empty_file_is_refused(people, upload, settings):
    page = upload(people.agent, people.customer_a, "empty.txt", b"")

    with translation.override("zh-hans"):  # Django's own message, in the user's language
        expected = str(forms.FileField.default_error_messages["empty"])
    assert messages_on(page) == [expected]
    assert not Attachment.objects.exists()
    assert stored_files(settings) == []


@pytest.mark.parametrize(
    "name, content, mime_type",
    [
        ("photo.txt", png_bytes(), "image/png"),  # the name lies; the bytes decide
        ("scan.pdf", JPEG, "image/jpeg"),
        ("anim.gif", GIF, "image/gif"),
        ("notes.png", "纯文本 plain text".encode(), "text/plain"),
        ("page.html", HTML, "text/plain"),
        ("blob.bin", bytes(range(256)), "application/octet-stream"),
    ],
)
def test_the_content_type_is_read_from_the_bytes_not_the_name(
    name, content, mime_type, people, upload
):
    upload(people.agent, people.customer_a, name, content)

    assert Attachment.objects.get().mime_type == mime_type


def _download(client, attachment):
    response = client.get(reverse("attachment_download", args=[attachment.uuid]))
    return response, b"".join(response.streaming_content)


@pytest.mark.parametrize(
    "name, content, mime_type",
    [("photo.txt", png_bytes(), "image/png"), ("scan.jpg", JPEG, "image/jpeg")],
)
def test_images_are_shown_inline(name, content, mime_type, people, upload, client_for):
    upload(people.agent, people.customer_a, name, content)

    response, body = _download(client_for(people.a_user), Attachment.objects.get())

    assert response["Content-Type"] == mime_type
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert body == content


@pytest.mark.parametrize("name, content", [("page.html", HTML), ("logo.svg", SVG)])
def test_html_and_svg_are_served_as_downloads(name, content, people, upload, client_for):
    upload(people.agent, people.customer_a, name, content)

    response, body = _download(client_for(people.a_manager), Attachment.objects.get())

    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert "html" not in response["Content-Type"] and "svg" not in response["Content-Type"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "private, no-store"
    assert body == content


def test_an_attachment_is_not_reachable_as_a_static_media_url(people, upload, client_for):
    upload(people.agent, people.customer_a, "contract.txt", b"secret terms")
    attachment = Attachment.objects.get()

    response = client_for(people.b_user).get("/media/" + attachment.file.name)

    assert response.status_code == 404
    assert attachment.organisation == Organisation.objects.get(pk=people.customer_a.pk)
    assert attachment.content_type == ContentType.objects.get_for_model(Organisation)


def test_read_only_staff_may_not_attach(people, upload, settings):
    response = upload(people.top, people.customer_a, "x.txt", b"x")

    assert response.status_code == 403
    assert not Attachment.objects.exists()
    assert stored_files(settings) == []
