"""The Django admin, read-only: every change goes through the services (and so into the
audit trail) from the product's own screens, the API or the CLI."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from serviceloop.core.models import (
    AuditEvent,
    Calendar,
    Delivery,
    Notification,
    Organisation,
    Team,
    User,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "occurred_at", "actor_label", "verb", "object_type", "object_id")
    list_filter = ("verb", "object_type")
    search_fields = ("object_id", "actor_label", "verb")


@admin.register(Organisation)
class OrganisationAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "time_zone", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name",)


@admin.register(User)
class PersonAdmin(ReadOnlyAdmin, UserAdmin):
    list_display = ("username", "display_name", "organisation", "role", "is_active")
    list_filter = ("role", "organisation", "is_active")


@admin.register(Calendar)
class CalendarAdmin(ReadOnlyAdmin):
    list_display = ("name", "label", "preset", "time_zone")


@admin.register(Team)
class TeamAdmin(ReadOnlyAdmin):
    list_display = ("name", "organisation", "lead")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "recipient", "kind", "subject", "read_at")


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("notification", "channel", "status", "attempts", "sent_at")
    list_filter = ("status", "channel")


admin.site.site_header = "ServiceLoop"
