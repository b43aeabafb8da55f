"""The notification centre."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from serviceloop.core.models import Notification
from serviceloop.core.permissions import get_notification_for
from serviceloop.core.services.notifications import notification_mark_read
from serviceloop.core.views.helpers import paginate


@login_required
def notification_list(request):
    notifications = paginate(request, Notification.objects.visible_to(request.user))
    return render(request, "core/notification_list.html", {"notifications": notifications})


@login_required
@require_POST
def notification_open(request, pk):
    """Mark a notification read and follow its link."""
    notification = get_notification_for(request.user, pk)
    if notification.read_at is None:
        notification_mark_read(actor=request.user, notification=notification)
    target = notification.url
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notification_list")


@login_required
@require_POST
def notification_mark_all_read(request):
    notification_mark_read(actor=request.user)
    return redirect("notification_list")
