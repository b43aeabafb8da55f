"""Periodic tasks of the suppliers part (Huey)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

__all__ = ["supplier_contracts_daily"]


@db_periodic_task(crontab(hour="8", minute="40"))
@lock_task("relationship-supplier-contracts")
def supplier_contracts_daily() -> dict:
    """Every morning: expire active contracts past their end date, then remind each owner
    whose contract entered its renewal notice period — once per contract and end date (see
    services_suppliers_contracts.contract_reminders_run)."""
    from serviceloop.relationship.services_suppliers_contracts import (
        contract_reminders_run,
        contracts_expire_run,
    )

    return {"expired": contracts_expire_run(), "reminded": contract_reminders_run()}
