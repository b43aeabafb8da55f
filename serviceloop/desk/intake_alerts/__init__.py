"""Monitoring alerts in, incidents out.

``parsing.py`` reads the three body formats (``PARSERS``: Alertmanager, Zabbix, generic)
into ``AlertNotice`` objects, refusing a malformed body whole (``MalformedAlert``);
``processing.py`` applies them one by one (``intake_receive`` / ``alert_receive``): raise,
update or resolve the incident, through the desk's ticket services, as the monitoring
account. See docs/intake.md.
"""

from serviceloop.desk.intake_alerts.parsing import (
    DEFAULT_SEVERITY,
    MAX_ALERTS,
    MAX_BODY_BYTES,
    PARSERS,
    SEVERITY_IMPACT_URGENCY,
    AlertNotice,
    MalformedAlert,
    parse_alertmanager,
    parse_generic,
    parse_zabbix,
    severity_level,
)
from serviceloop.desk.intake_alerts.processing import (
    MONITORING_USERNAME,
    AlertOutcome,
    alert_receive,
    intake_account,
    intake_receive,
)

__all__ = [
    "DEFAULT_SEVERITY",
    "MAX_ALERTS",
    "MAX_BODY_BYTES",
    "MONITORING_USERNAME",
    "PARSERS",
    "SEVERITY_IMPACT_URGENCY",
    "AlertNotice",
    "AlertOutcome",
    "MalformedAlert",
    "alert_receive",
    "intake_account",
    "intake_receive",
    "parse_alertmanager",
    "parse_generic",
    "parse_zabbix",
    "severity_level",
]
