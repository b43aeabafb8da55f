"""Read-only admin views of the desk (changes go through the services)."""

from django.contrib import admin

from serviceloop.core.admin import ReadOnlyAdmin
from serviceloop.desk.models import Category, MailMessage, SlaPolicy, SlaPolicyVersion, Ticket


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ("reference", "title", "organisation", "priority", "status", "assignee")
    list_filter = ("status", "priority", "kind")
    search_fields = ("reference", "title")


admin.site.register(Category, ReadOnlyAdmin)
admin.site.register(SlaPolicy, ReadOnlyAdmin)
admin.site.register(SlaPolicyVersion, ReadOnlyAdmin)


@admin.register(MailMessage)
class MailMessageAdmin(ReadOnlyAdmin):
    """For support: what happened to a customer's e-mail."""

    list_display = ("received_at", "sender", "subject", "outcome", "reason", "ticket")
    list_filter = ("outcome", "reason")
    search_fields = ("message_id", "sender", "subject")
