"""Operating the nightly pipeline: freshness, alerts, and the status screen.

- `freshness`: whether and since when each unit delivered, computed for the alerts.
- `alerts`: deterministic rules over the night's outcomes and deliveries, sent once
  through pluggable channels (`notifiers`) and kept in `quality.alert`.
- `status`: `render_status`, the one-screen view behind `sangkien status`.
- `nightly`: the operations step of a night and the DAG's failure callback.
- `operations.sql` / `ensure_operations_schema`: `quality.alert`; the status screen reads
  `quality.publication` (written by the quality gate).

Nothing here imports a database driver at import time: the DAG file may import it.
"""

from sangkien.operations.alerts import (
    Alert,
    evaluate_night_alerts,
    gate_blocked_alert,
    night_failed_alert,
    raise_alerts,
    send_alerts,
)
from sangkien.operations.freshness import freshness_of
from sangkien.operations.nightly import on_night_failure, watch_night
from sangkien.operations.notifiers import (
    LogNotifier,
    Notifier,
    SmtpNotifier,
    WebhookNotifier,
    notifiers_from_env,
)
from sangkien.operations.schema import ensure_operations_schema
from sangkien.operations.status import render_status

__all__ = [
    "Alert",
    "LogNotifier",
    "Notifier",
    "SmtpNotifier",
    "WebhookNotifier",
    "ensure_operations_schema",
    "evaluate_night_alerts",
    "freshness_of",
    "gate_blocked_alert",
    "night_failed_alert",
    "notifiers_from_env",
    "on_night_failure",
    "raise_alerts",
    "render_status",
    "send_alerts",
    "watch_night",
]
