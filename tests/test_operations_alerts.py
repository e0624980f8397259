"""Alert rules fire and stay quiet as documented; alerts are sent once and kept as data."""

from __future__ import annotations

import logging
import statistics
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest

from sangkien.night import run_night
from sangkien.operations import (
    Alert,
    LogNotifier,
    SmtpNotifier,
    WebhookNotifier,
    ensure_operations_schema,
    evaluate_night_alerts,
    gate_blocked_alert,
    notifiers_from_env,
    on_night_failure,
    raise_alerts,
    send_alerts,
    watch_night,
)
from sangkien.operations.alerts import (
    VOLUME_COLLAPSE_FACTOR,
    VOLUME_JUMP_FACTOR,
    VOLUME_MIN_HISTORY,
    VOLUME_MIN_ROWS,
    VOLUME_WINDOW,
    volume_verdict,
)

from feed_builder import row, write_delivery

NIGHT = date(2022, 5, 31)


def _day(offset: int) -> date:
    return NIGHT + timedelta(days=offset)


@pytest.fixture
def ops(db: psycopg.Connection) -> psycopg.Connection:
    ensure_operations_schema(db)
    return db


class Recorder:
    """A channel that keeps what it was given, or fails when told to."""

    def __init__(self, name: str = "recorder", fail: bool = False) -> None:
        self.name = name
        self.fail = fail
        self.batches: list[list[Alert]] = []

    def send(self, alerts: Sequence[Alert]) -> None:
        if self.fail:
            raise ConnectionError("relay unreachable")
        self.batches.append(list(alerts))


# -- volume: against the unit's own recent nights ----------------------------


def _delivery(conn: psycopg.Connection, unit: str, day: date, rows: int) -> None:
    conn.execute(
        """insert into quality.delivery (unit_code, business_date, transport, fingerprint,
               has_manifest, rows_received, rows_published, status)
           values (%s, %s, 'file', %s, true, %s, %s, 'loaded')""",
        (unit, day, f"{unit}{day}", rows, rows),
    )


def _outcome(conn: psycopg.Connection, unit: str, day: date, outcome: str = "loaded") -> None:
    conn.execute(
        "insert into quality.night_outcome (business_date, unit_code, outcome) values (%s, %s, %s)",
        (day, unit, outcome),
    )


def _unit_with_history(conn: psycopg.Connection, unit: str, history: list[int], tonight: int):
    """Deliveries on the nights before NIGHT (newest first in `history`), then tonight's."""
    for back, rows in enumerate(history, start=1):
        _delivery(conn, unit, _day(-back), rows)
    _delivery(conn, unit, NIGHT, tonight)
    _outcome(conn, unit, NIGHT)


HISTORY = [190, 195, 205, 210] + [200] * (VOLUME_WINDOW - 4)
MEDIAN = statistics.median(HISTORY)
JUMP_EDGE = VOLUME_JUMP_FACTOR * MEDIAN
COLLAPSE_EDGE = VOLUME_COLLAPSE_FACTOR * MEDIAN


@pytest.mark.parametrize(
    ("tonight", "expected"),
    [
        (int(JUMP_EDGE) + 1, "volume_jump"),
        (int(JUMP_EDGE), None),  # "more than" 5×
        (int(MEDIAN), None),
        (int(COLLAPSE_EDGE), None),  # "less than" 0.2×
        (int(COLLAPSE_EDGE) - 1, "volume_collapse"),
        (0, "volume_collapse"),
    ],
)
def test_volume_is_judged_against_the_median_of_the_last_nights(
    ops: psycopg.Connection, tonight: int, expected: str | None
) -> None:
    # Much older nights, outside the window, would move the median if they counted.
    older = [10_000] * 5
    _unit_with_history(ops, "P38", HISTORY + older, tonight)
    kinds = [a.kind for a in evaluate_night_alerts(ops, NIGHT) if a.unit_code == "P38"]
    assert kinds == ([expected] if expected else [])
    if expected:
        (alert,) = evaluate_night_alerts(ops, NIGHT)
        assert alert.details == {
            "rows_received": tonight,
            "median": MEDIAN,
            "nights": VOLUME_WINDOW,
        }
        assert f"{tonight:,} rows received for {NIGHT}" in alert.message


def test_tiny_units_and_short_histories_stay_quiet() -> None:
    tiny = [10] * VOLUME_WINDOW
    # 9× its usual volume, but neither tonight nor the median reaches the minimum.
    assert volume_verdict(VOLUME_MIN_ROWS - 1, tiny) is None
    assert volume_verdict(VOLUME_MIN_ROWS, tiny) == "volume_jump"
    assert volume_verdict(0, [VOLUME_MIN_ROWS] * VOLUME_WINDOW) == "volume_collapse"
    assert volume_verdict(0, [VOLUME_MIN_ROWS - 1] * VOLUME_WINDOW) is None
    short = [200] * (VOLUME_MIN_HISTORY - 1)
    assert volume_verdict(100_000, short) is None
    assert volume_verdict(100_000, [*short, 200]) == "volume_jump"


# -- missed, failed, incomplete: from nights really landed -------------------


def test_missed_failed_and_incomplete_units_from_real_nights(
    ops: psycopg.Connection, landing: Path, sources
) -> None:
    for unit in ("P01", "P04", "P06", "P08", "P38"):
        sources(unit)
    for offset in (-3, -2, -1, 0):
        write_delivery(landing, "P38", _day(offset), [row(record_id=f"A{offset}")])
    write_delivery(landing, "P01", _day(-3), [row(record_id="B", unit_code="P01")])
    write_delivery(landing, "P08", _day(-3), [row(record_id="C", unit_code="P08")])
    write_delivery(
        landing,
        "P08",
        NIGHT,
        [row(record_id="D", unit_code="P08")],
        manifest_overrides={"row_count": 7},
    )
    broken = write_delivery(landing, "P06", NIGHT, [row(unit_code="P06")])
    (broken / "manifest.json").write_text("{not json")
    # P04 never delivers; P01 stops after D-3.
    for offset in (-3, -2, -1, 0):
        run_night(_day(offset), publish=False)

    alerts = {(a.kind, a.unit_code): a for a in evaluate_night_alerts(ops, NIGHT)}
    assert set(alerts) == {
        ("unit_failed", "P06"),
        ("delivery_incomplete", "P08"),
        ("missed_delivery", "P01"),
        ("missed_delivery", "P04"),
    }
    # Nights in a row: D minus the last delivery; for a unit that never delivered,
    # every night since its first recorded night (D-3) counts, D included.
    p01 = alerts[("missed_delivery", "P01")]
    assert p01.details["nights_in_a_row"] == 3
    assert f"3 nights in a row (last delivery {_day(-3)})" in p01.message
    p04 = alerts[("missed_delivery", "P04")]
    assert p04.details["nights_in_a_row"] == 4
    assert f"since its first night {_day(-3)}" in p04.message
    assert "manifest" in alerts[("unit_failed", "P06")].message
    assert "row_count" in alerts[("delivery_incomplete", "P08")].message
    # Most urgent first.
    kinds = [a.kind for a in evaluate_night_alerts(ops, NIGHT)]
    assert kinds == ["unit_failed", "delivery_incomplete", "missed_delivery", "missed_delivery"]


def test_a_night_without_any_outcome_is_a_failed_night(ops: psycopg.Connection) -> None:
    (alert,) = evaluate_night_alerts(ops, NIGHT)
    assert (alert.kind, alert.unit_code) == ("night_failed", None)


def test_the_gate_alert_names_the_checks_and_the_units() -> None:
    alert = gate_blocked_alert(NIGHT, ["rank_is_dense", "rows_reconcile"], ["P38", "P01"])
    assert (alert.business_date, alert.kind, alert.unit_code) == (NIGHT, "gate_blocked", None)
    assert "2 failing checks (rank_is_dense, rows_reconcile)" in alert.message
    assert "units concerned: P01, P38" in alert.message
    assert alert.details == {
        "failed_checks": ["rank_is_dense", "rows_reconcile"],
        "units": ["P01", "P38"],
    }


# -- sending once, recording, never breaking the night -----------------------


def _recorded(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute(
        """select business_date, kind, unit_code, message, sent_at is not null, channels
           from quality.alert order by kind, unit_code"""
    ).fetchall()


def test_alerts_are_sent_once_and_kept(ops: psycopg.Connection) -> None:
    alerts = [
        gate_blocked_alert(NIGHT, ["rows_reconcile"], []),
        Alert(NIGHT, "missed_delivery", "P04: no delivery", "P04"),
    ]
    channel = Recorder()
    assert raise_alerts(ops, alerts, [channel]) == alerts
    assert channel.batches == [alerts]  # one batch per channel
    assert _recorded(ops) == [
        (NIGHT, "gate_blocked", None, alerts[0].message, True, ["recorder"]),
        (NIGHT, "missed_delivery", "P04", "P04: no delivery", True, ["recorder"]),
    ]
    before = ops.execute("select * from quality.alert order by alert_id").fetchall()

    assert raise_alerts(ops, alerts, [channel]) == []  # a rerun of the night
    assert len(channel.batches) == 1
    assert ops.execute("select * from quality.alert order by alert_id").fetchall() == before

    changed = Alert(NIGHT, "missed_delivery", "P04: no delivery, 2 nights", "P04")
    assert raise_alerts(ops, [changed], [channel]) == [changed]
    assert channel.batches[-1] == [changed]
    assert len(_recorded(ops)) == 2


def test_a_failing_channel_never_breaks_the_night_and_is_retried_later(
    ops: psycopg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    alert = Alert(NIGHT, "unit_failed", "P06: landing failed", "P06")
    broken, working = Recorder("smtp", fail=True), Recorder("webhook")
    with caplog.at_level(logging.ERROR):
        assert send_alerts([alert], [broken, working]) == ["webhook"]
    assert "alert channel smtp failed (1 alerts not sent there)" in caplog.text

    assert raise_alerts(ops, [alert], [broken]) == []
    assert _recorded(ops) == [(NIGHT, "unit_failed", "P06", alert.message, False, [])]
    assert raise_alerts(ops, [alert], [working]) == [alert]  # the next run sends it
    assert _recorded(ops) == [(NIGHT, "unit_failed", "P06", alert.message, True, ["webhook"])]


def test_the_night_step_raises_its_alerts_once(
    ops: psycopg.Connection,
    landing: Path,
    sources,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.delenv("SANGKIEN_ALERT_CHANNELS", raising=False)  # default: the log
    sources("P38")
    sources("P04")
    write_delivery(landing, "P38", NIGHT, [row(record_id="A")])
    with caplog.at_level(logging.WARNING, logger="sangkien.alerts"):
        run_night(NIGHT, publish=False)  # the summary step raises the night's alerts
    assert f"ALERT {NIGHT} missed_delivery P04: P04: no delivery for {NIGHT}" in caplog.text
    assert ops.execute(
        "select kind, unit_code from quality.alert where business_date = %s", (NIGHT,)
    ).fetchall() == [("missed_delivery", "P04")]
    # A rerun of the night resends nothing.
    run_night(NIGHT, publish=False)
    assert watch_night(ops, NIGHT, ["P04", "P38"]) == []
    assert ops.execute("select count(*) from quality.alert").fetchone() == (1,)


def test_the_dag_failure_callback_raises_a_night_failed_alert(
    ops: psycopg.Connection, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SANGKIEN_ALERT_CHANNELS", "log")
    # Without the failed task, Airflow gives the DAG callback only these keys; the
    # scheduled run for 31 May has logical date 31 May 01:00 local = 30 May 18:00 UTC.
    minimal = {"run_id": "scheduled__2022-05-30T18:00:00+00:00", "reason": "task_failure"}
    on_night_failure(minimal)
    # With it, a task's context: the run's params (a manual rerun of 29 May).
    on_night_failure(
        {"run_id": "rerun-29", "params": {"business_date": "2022-05-29"}, "reason": "timed out"}
    )
    recorded = ops.execute(
        "select business_date, kind, unit_code, message from quality.alert order by 1"
    ).fetchall()
    assert [r[:3] for r in recorded] == [
        (date(2022, 5, 29), "night_failed", None),
        (NIGHT, "night_failed", None),
    ]
    assert "rerun-29" in recorded[0][3] and "timed out" in recorded[0][3]
    assert minimal["run_id"] in recorded[1][3] and "task_failure" in recorded[1][3]

    # Warehouse unreachable: the alert still reaches the channels, nothing raises.
    monkeypatch.setenv(
        "SANGKIEN_WAREHOUSE_DSN", "postgresql://u:hunter2@127.0.0.1:1/none?connect_timeout=2"
    )
    with caplog.at_level(logging.WARNING):
        on_night_failure({"params": {"business_date": "2022-06-01"}, "reason": "x"})
    assert "ALERT 2022-06-01 night_failed" in caplog.text
    assert "hunter2" not in caplog.text


def test_channels_come_from_the_environment(caplog: pytest.LogCaptureFixture) -> None:
    assert [type(n) for n in notifiers_from_env({})] == [LogNotifier]
    env = {
        "SANGKIEN_ALERT_CHANNELS": "log, smtp,webhook",
        "SANGKIEN_SMTP_HOST": "127.0.0.1",
        "SANGKIEN_SMTP_FROM": "sangkien@example.org",
        "SANGKIEN_SMTP_TO": "ops@example.org, stats@example.org",
        "SANGKIEN_ALERT_WEBHOOK_URL": "https://chat.example.org/hooks/T0K3N",
    }
    first, smtp, webhook = notifiers_from_env(env)
    assert isinstance(first, LogNotifier)
    assert isinstance(smtp, SmtpNotifier) and isinstance(webhook, WebhookNotifier)
    assert (smtp.port, smtp.recipients) == (25, ["ops@example.org", "stats@example.org"])
    assert "T0K3N" not in repr(webhook)

    with caplog.at_level(logging.ERROR):
        unsafe = {**env, "SANGKIEN_ALERT_CHANNELS": "smtp,pager", "SANGKIEN_SMTP_USER": "ops"}
        assert [type(n) for n in notifiers_from_env(unsafe)] == [LogNotifier]
    assert "refusing to send the password in clear" in caplog.text
    assert "unknown alert channel 'pager'" in caplog.text
    assert "no usable alert channel" in caplog.text
