"""The communication screens (clause 7.4): the communication plan and the records of
communications held (staff read; the competence editors plan; an item's owner records)."""

from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.core.models import Attachment
from serviceloop.core.views.helpers import paginate
from serviceloop.support import services_communication as communication
from serviceloop.support import services_competence as services
from serviceloop.support.form_screens import data_without, form_page_save, posted_form_apply
from serviceloop.support.forms_competence import (
    CommunicationFilterForm,
    CommunicationItemEditForm,
    CommunicationItemForm,
    CommunicationRecordForm,
)
from serviceloop.support.models import CommunicationItem, CommunicationRecord

COMMUNICATION_COLUMNS = [
    Column(_l("Reference"), "reference"),
    Column(_l("What"), "topic"),
    Column(_l("Audience"), "audience"),
    Column(_l("Frequency"), "get_frequency_display"),
    Column(_l("When"), "timing"),
    Column(_l("Channel"), "get_channel_display"),
    Column(_l("Owner"), "owner"),
    Column(_l("Last held"), "last_held_on"),
    Column(_l("Next due"), "next_due"),
    Column(_l("Overdue"), "overdue"),
    Column(_l("Records"), "record_count"),
    Column(_l("Active"), "is_active"),
]
RECORD_COLUMNS = [
    Column(_l("Plan item"), "item.reference"),
    Column(_l("What"), "item.topic"),
    Column(_l("Held on"), "held_on"),
    Column(_l("Summary"), "summary"),
    Column(_l("Recorded by"), "recorded_by"),
]


# --- Communication -------------------------------------------------------------------------


@login_required
def communication_list(request):
    services.require_staff(request.user)
    form = CommunicationFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    today = timezone.localdate()
    items = (
        CommunicationItem.objects.select_related("owner")
        .annotate(record_count=Count("records"))
        .order_by("reference")
    )
    if not filters.get("inactive"):
        items = items.filter(is_active=True)
    if filters.get("channel"):
        items = items.filter(channel=filters["channel"])
    if filters.get("owner"):
        items = items.filter(owner=filters["owner"])
    if filters.get("overdue"):
        items = items.overdue(today)
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "communication-plan", COMMUNICATION_COLUMNS, items)
    context = {
        "form": form,
        "page": paginate(request, items),
        "can_edit": services.competence_may_edit(request.user),
        "today": today,
    }
    return render(request, "support/communication_list.html", context)


@login_required
def communication_records(request):
    services.require_staff(request.user)
    records = CommunicationRecord.objects.select_related("item", "recorded_by")
    fmt = export_format(request)
    if fmt:
        return export_response(fmt, "communication-records", RECORD_COLUMNS, records)
    return render(
        request, "support/communication_records.html", {"page": paginate(request, records)}
    )


@login_required
def communication_new(request):
    services.require_edit(request.user)
    return form_page_save(
        request,
        CommunicationItemForm(request.POST or None, initial={"owner": request.user.pk}),
        save=lambda data: communication.communication_item_create(actor=request.user, **data),
        saved=lambda item: _("Plan item %s saved.") % item.reference,
        done=lambda item: redirect("communication_detail", reference=item.reference),
        title=_("New communication"),
    )


@login_required
def communication_detail(request, reference):
    item = communication.get_communication_item_for(request.user, reference)
    records = list(item.records.select_related("recorded_by"))
    content_type = ContentType.objects.get_for_model(CommunicationRecord)
    files: dict[str, list] = {}
    for attachment in Attachment.objects.visible_to(request.user).filter(
        content_type=content_type, object_id__in=[str(r.pk) for r in records]
    ):
        files.setdefault(attachment.object_id, []).append(attachment)
    for record in records:
        record.files = files.get(str(record.pk), [])
    may_record = communication.may_record_communication(request.user, item)
    context = {
        "item": item,
        "records": records,
        "can_edit": services.competence_may_edit(request.user),
        "record_form": CommunicationRecordForm(initial={"held_on": timezone.localdate()})
        if may_record
        else None,
    }
    return render(request, "support/communication_detail.html", context)


@login_required
def communication_edit(request, reference):
    item = communication.get_communication_item_for(request.user, reference, write=True)
    initial = {
        name: getattr(item, name)
        for name in ("topic", "audience", "frequency", "timing", "channel", "next_due", "notes")
    } | {"owner": item.owner_id, "is_active": item.is_active, "version": item.version}
    return form_page_save(
        request,
        CommunicationItemEditForm(request.POST or None, initial=initial),
        save=lambda data: communication.communication_item_update(
            actor=request.user,
            item=item,
            expected_version=data.get("version"),
            **data_without(data, "version"),
        ),
        saved=_("Changes saved."),
        done=lambda _saved: redirect("communication_detail", reference=item.reference),
        title=_("Edit %s") % item.reference,
    )


@login_required
@require_POST
def communication_record(request, reference):
    item = communication.get_communication_item_for(request.user, reference)
    if not communication.may_record_communication(request.user, item):
        raise PermissionDenied
    posted_form_apply(
        request,
        CommunicationRecordForm(request.POST, request.FILES),
        save=lambda data: communication.communication_record_add(
            actor=request.user,
            item=item,
            held_on=data["held_on"],
            summary=data["summary"],
            files=data["files"],
        ),
        saved=_("Communication recorded."),
    )
    return redirect("communication_detail", reference=item.reference)
