from serviceloop.core.navigation import entries_for, menu_items_for
from serviceloop.core.roles import Capability


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_entries": [], "nav_items": [], "unread_notifications": 0}
    return {
        "nav_entries": entries_for(user),
        "nav_items": menu_items_for(user),
        "unread_notifications": user.notifications.filter(read_at__isnull=True).count(),
        "can_administer": user.has_capability(Capability.ADMINISTER),
        "perms_audit": user.has_capability(Capability.READ_AUDIT_TRAIL),
    }
