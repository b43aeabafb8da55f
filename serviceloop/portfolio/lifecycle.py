"""The lifecycles of the portfolio's records, declared as data.

Each table lists the moves a record may make; the services (``service_transition``,
``ci_transition``, ``asset_transition``) are the only way to make them, and they decide who
may (the editors of the record) and what a move needs (e.g. a complete checklist to go live).
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Move:
    source: str
    target: str
    label: str
    needs: str = ""  # what the move asks for beyond the right to make it (see the services)


def moves_from(table: tuple[Move, ...], source: str) -> list[Move]:
    """The moves out of ``source``, in declaration order."""
    return [move for move in table if move.source == source]


def move_for(table: tuple[Move, ...], source: str, target: str) -> Move | None:
    for move in table:
        if move.source == source and move.target == target:
            return move
    return None


# --- Services ------------------------------------------------------------------------------


class ServiceStatus(models.TextChoices):
    PIPELINE = "pipeline", _("Pipeline")
    LIVE = "live", _("Live")
    RETIRED = "retired", _("Retired")


SERVICE_MOVES: tuple[Move, ...] = (
    # going live needs an owner and every item of the plan-new-service checklist done
    Move(ServiceStatus.PIPELINE, ServiceStatus.LIVE, _("Go live"), needs="checklist"),
    Move(ServiceStatus.PIPELINE, ServiceStatus.RETIRED, _("Withdraw the plan")),
    Move(ServiceStatus.LIVE, ServiceStatus.RETIRED, _("Retire")),
    Move(ServiceStatus.RETIRED, ServiceStatus.PIPELINE, _("Plan again")),
)


# --- Configuration items -------------------------------------------------------------------


class CiStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ACTIVE = "active", _("Active")
    MAINTENANCE = "maintenance", _("In maintenance")
    RETIRED = "retired", _("Retired")


CI_MOVES: tuple[Move, ...] = (
    Move(CiStatus.PLANNED, CiStatus.ACTIVE, _("Put into operation")),
    Move(CiStatus.PLANNED, CiStatus.RETIRED, _("Cancel")),
    Move(CiStatus.ACTIVE, CiStatus.MAINTENANCE, _("Start maintenance")),
    Move(CiStatus.MAINTENANCE, CiStatus.ACTIVE, _("End maintenance")),
    Move(CiStatus.ACTIVE, CiStatus.RETIRED, _("Retire")),
    Move(CiStatus.MAINTENANCE, CiStatus.RETIRED, _("Retire")),
)


# --- Assets ----------------------------------------------------------------------------------


class AssetStatus(models.TextChoices):
    ORDERED = "ordered", _("Ordered")
    IN_STOCK = "in_stock", _("In stock")
    DEPLOYED = "deployed", _("Deployed")
    RETIRED = "retired", _("Retired")
    DISPOSED = "disposed", _("Disposed")


ASSET_MOVES: tuple[Move, ...] = (
    Move(AssetStatus.ORDERED, AssetStatus.IN_STOCK, _("Receive into stock")),
    # deploying needs the configuration item the asset becomes
    Move(AssetStatus.IN_STOCK, AssetStatus.DEPLOYED, _("Deploy"), needs="configuration_item"),
    Move(AssetStatus.DEPLOYED, AssetStatus.IN_STOCK, _("Return to stock")),
    Move(AssetStatus.IN_STOCK, AssetStatus.RETIRED, _("Retire")),
    Move(AssetStatus.DEPLOYED, AssetStatus.RETIRED, _("Retire")),
    Move(AssetStatus.RETIRED, AssetStatus.DISPOSED, _("Dispose")),
)
