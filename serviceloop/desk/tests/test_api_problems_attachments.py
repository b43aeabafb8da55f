"""The problems API and ticket attachments through the API."""

from django.core.files.uploadedfile import SimpleUploadedFile

from serviceloop.core.models import Attachment
from serviceloop.desk.models import Problem


def test_problems_api_is_for_staff(people, desk, raise_ticket, api_client_for):
    incident = raise_ticket()
    agent = api_client_for(people.agent)
    created = agent.post(
        "/api/v1/problems/", {"title": "VPN 反复断开", "root_cause": "证书"}, format="json"
    )
    assert created.status_code == 201, created.data
    reference = created.data["reference"]
    assert reference.startswith("PRB-") and created["ETag"] == f'"{created.data["version"]}"'

    linked = agent.post(
        f"/api/v1/problems/{reference}/incidents/",
        {"incidents": [incident.reference]},
        format="json",
    )
    assert linked.status_code == 200 and linked.data["incidents"] == [incident.reference]

    # Customers never learn problems exist; read-only staff may read, not write.
    assert api_client_for(people.a_manager).get(f"/api/v1/problems/{reference}/").status_code == 404
    assert api_client_for(people.a_manager).get("/api/v1/problems/").data["results"] == []
    auditor = api_client_for(people.auditor)
    assert auditor.get(f"/api/v1/problems/{reference}/").status_code == 200
    response = auditor.patch(
        f"/api/v1/problems/{reference}/", {"title": "x"}, format="json", HTTP_IF_MATCH="*"
    )
    assert response.status_code == 403


def test_problem_changes_need_the_current_etag(people, desk, api_client_for):
    agent = api_client_for(people.agent)
    reference = agent.post("/api/v1/problems/", {"title": "ERP 慢"}, format="json").data[
        "reference"
    ]
    url = f"/api/v1/problems/{reference}/"
    assert agent.patch(url, {"workaround": "重启"}, format="json").status_code == 428
    assert (
        agent.patch(url, {"workaround": "重启"}, format="json", HTTP_IF_MATCH='"999"').status_code
        == 412
    )
    etag = agent.get(url)["ETag"]
    ok = agent.patch(url, {"workaround": "重启"}, format="json", HTTP_IF_MATCH=etag)
    assert ok.status_code == 200 and Problem.objects.get().workaround == "重启"


def test_ticket_attachments_through_the_api(
    people, desk, raise_ticket, api_client_for, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    ticket = raise_ticket()
    url = f"/api/v1/tickets/{ticket.reference}/attachments/"
    customer = api_client_for(people.a_user)
    up = customer.post(
        url, {"file": SimpleUploadedFile("log.txt", b"error 500")}, format="multipart"
    )
    assert up.status_code == 201 and up.data["filename"] == "log.txt"
    agent = api_client_for(people.agent)
    agent.post(
        url, {"file": SimpleUploadedFile("notes.txt", b"x"), "internal": "true"}, format="multipart"
    )

    assert [a["filename"] for a in customer.get(url).data] == ["log.txt"]  # no internal files
    assert {a["filename"] for a in agent.get(url).data} == {"log.txt", "notes.txt"}
    assert api_client_for(people.b_user).get(url).status_code == 404
    assert (
        api_client_for(people.auditor)
        .post(url, {"file": SimpleUploadedFile("a.txt", b"x")}, format="multipart")
        .status_code
        == 403
    )
    assert Attachment.objects.count() == 2
