"""Periodic tasks of the cmdb part (Huey)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

__all__ = ["asset_warranty_reminders"]


@db_periodic_task(crontab(hour="8", minute="10"))
def asset_warranty_reminders() -> int:
    """Daily: warn the owners of assets whose warranty ends within 30 days, once per asset
    and warranty end (see services_assets.asset_warranty_remind)."""
    from serviceloop.portfolio.services_assets import asset_warranty_remind

    return asset_warranty_remind()
