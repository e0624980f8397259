"""A replay's landing: small new deliveries written in batches, on a real server.

The batch must leave exactly the tables that loading the same folders one by
one leaves, including deliveries that are rejected in part, superseded within,
incomplete or unreadable.
"""

from __future__ import annotations

import contextlib
from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest

from sangkien.landing import batch as batch_module
from sangkien.landing.batch import DeliveryBatch
from sangkien.landing.delivery import last_attempts, load_delivery
from sangkien.landing.folders import delivery_folders
from sangkien.landing.unit_night import UnitNightFailed, land_unit_night, land_unit_range
from sangkien.registry import Source

from databases import fresh_warehouse
from feed_builder import row, write_delivery

FIRST = date(2022, 5, 20)
NIGHTS = [FIRST + timedelta(days=i) for i in range(8)]


def write_mixed_nights(landing: Path) -> None:
    """Eight nights of P38: clean, partly rejected, superseded within, no manifest,
    an incomplete one, a truncated upload, an unreadable folder and a JSON one."""
    d = NIGHTS
    write_delivery(landing, "P38", d[0], [row(record_id=f"A{i}") for i in range(5)])
    write_delivery(
        landing,
        "P38",
        d[1],
        [row(record_id="B1"), row(record_id="B2", field="sports"), row(record_id="B3", title="x")],
    )
    write_delivery(
        landing,
        "P38",
        d[2],
        [
            row(record_id="C1", title="Bản đầu tiên của sáng kiến"),
            row(record_id="C1", title="Bản sửa lại của sáng kiến", updated_at="2022-05-23 09:00"),
        ],
    )
    write_delivery(landing, "P38", d[3], [row(record_id="D1")], manifest=False)
    write_delivery(landing, "P38", d[4], [row(record_id="E1")], manifest_overrides={"row_count": 7})
    folder = write_delivery(landing, "P38", d[5], [row(record_id=f"F{i}") for i in range(4)])
    data = (folder / "initiatives.csv").read_bytes()
    (folder / "initiatives.csv").write_bytes(data[: len(data) // 2] + b'"unterminated')
    broken = write_delivery(landing, "P38", d[6], [row(record_id="G1")])
    (broken / "manifest.json").write_text("{not json")
    write_delivery(landing, "P38", d[7], [row(record_id="H1"), row(record_id="A0")], fmt="json")


def snapshot(conn: psycopg.Connection) -> dict[str, list[tuple]]:
    """The landed tables, without ids and clock times (which differ run to run)."""
    return {
        "delivery": conn.execute(
            """select business_date, status, fingerprint, encoding, rows_received,
                      rows_published, rows_rejected, rows_superseded, status_detail
               from quality.delivery order by 1, 2"""
        ).fetchall(),
        "raw": conn.execute(
            """select d.business_date, r.line_number, r.record_id, r.title, r.updated_at,
                      r.author_keys
               from raw.initiative_row r join quality.delivery d using (delivery_id)
               order by 1, 2"""
        ).fetchall(),
        "rejected": conn.execute(
            """select d.business_date, r.line_number, r.record_id, r.reason_code, r.reason_detail
               from quality.rejected_row r join quality.delivery d using (delivery_id)
               order by 1, 2, 4"""
        ).fetchall(),
        "warning": conn.execute(
            """select d.business_date, w.line_number, w.warning_code, w.detail
               from quality.warning w join quality.delivery d using (delivery_id)
               order by 1, 2, 3"""
        ).fetchall(),
    }


def test_a_replay_lands_the_same_tables_as_one_delivery_at_a_time(
    db, landing, pg_cluster, monkeypatch
) -> None:
    write_mixed_nights(landing)
    monkeypatch.setattr(batch_module, "MAX_DELIVERIES", 3)  # several batches, one partial
    with pytest.raises(UnitNightFailed, match="manifest"):
        land_unit_range(db, Source("P38"), NIGHTS[0], NIGHTS[-1], landing)
    batched = snapshot(db)

    with psycopg.connect(fresh_warehouse(pg_cluster, "wh_one_by_one"), autocommit=True) as one:
        for night in NIGHTS:
            with contextlib.suppress(UnitNightFailed):  # the unreadable night
                land_unit_night(one, Source("P38"), night, landing)
        assert snapshot(one) == batched

    statuses = [(d, s) for d, s, *_ in batched["delivery"]]
    assert statuses == [
        (NIGHTS[0], "loaded"),
        (NIGHTS[1], "loaded"),
        (NIGHTS[2], "loaded"),
        (NIGHTS[3], "loaded"),
        (NIGHTS[4], "incomplete"),
        (NIGHTS[5], "incomplete"),
        (NIGHTS[6], "failed"),
        (NIGHTS[7], "loaded"),
    ]
    titles = {r[2]: r[3] for r in batched["raw"]}
    assert titles["C1"] == "Bản sửa lại của sáng kiến"
    assert {"E1", "F0", "G1", "B2", "B3"}.isdisjoint(titles)
    assert db.execute(
        """select count(*) from quality.delivery
           where rows_received <> rows_published + rows_rejected + rows_superseded"""
    ).fetchone() == (0,)


def test_every_delivery_of_a_batch_gets_its_own_counts(db, landing, monkeypatch) -> None:
    monkeypatch.setattr(batch_module, "MAX_ROWS", 4)
    for i, night in enumerate(NIGHTS[:5]):
        rows = [row(record_id=f"N{i}-{j}") for j in range(i + 1)]
        rows.append(row(record_id=f"N{i}-bad", participant_group="farmer"))
        write_delivery(landing, "P38", night, rows)
    outcomes = land_unit_range(db, Source("P38"), NIGHTS[0], NIGHTS[4], landing)
    assert [(o.outcome, o.deliveries[0].rows_published) for o in outcomes] == [
        ("loaded", n) for n in range(1, 6)
    ]
    assert db.execute(
        """select d.business_date, count(r.*) from quality.delivery d
           join raw.initiative_row r using (delivery_id) group by 1 order by 1"""
    ).fetchall() == [(night, n) for n, night in enumerate(NIGHTS[:5], start=1)]
    assert db.execute(
        """select d.business_date, r.record_id from quality.rejected_row r
           join quality.delivery d using (delivery_id) order by 1"""
    ).fetchall() == [(night, f"N{i}-bad") for i, night in enumerate(NIGHTS[:5])]


def test_a_delivery_loaded_meanwhile_sends_the_batch_one_by_one(db, landing, warehouse_dsn) -> None:
    write_delivery(landing, "P38", NIGHTS[0], [row(record_id="K1")])
    write_delivery(landing, "P38", NIGHTS[1], [row(record_id="K2")])
    known = last_attempts(db, "P38", NIGHTS[1])
    batch = DeliveryBatch(db, "P38", "file")
    results = [
        load_delivery(db, folder, known=known, batch=batch)
        for folder in delivery_folders(landing, "P38", NIGHTS[1])
    ]
    # Another loader (the scheduler, say) lands the first night before the batch is written.
    with psycopg.connect(warehouse_dsn, autocommit=True) as other:
        land_unit_night(other, Source("P38"), NIGHTS[0], landing)
    batch.flush()

    assert [r.status for r in results] == ["unchanged", "loaded"]
    assert db.execute(
        "select business_date, status from quality.delivery order by 1"
    ).fetchall() == [(NIGHTS[0], "loaded"), (NIGHTS[1], "loaded")]
    assert sorted(db.execute("select record_id from raw.initiative_row").fetchall()) == [
        ("K1",),
        ("K2",),
    ]


def test_a_delivery_the_server_refuses_fails_alone_as_one_by_one(db, landing) -> None:
    # A rule the loader does not know (here a constraint added by hand) refuses one
    # delivery's row: the batch is written one by one, so the night before it lands.
    db.execute("alter table raw.initiative_row add constraint no_r2 check (record_id <> 'R2')")
    for night, record in zip(NIGHTS[:3], ["R1", "R2", "R3"], strict=True):
        write_delivery(landing, "P38", night, [row(record_id=record)])
    with pytest.raises(psycopg.errors.CheckViolation):
        land_unit_range(db, Source("P38"), NIGHTS[0], NIGHTS[2], landing)
    assert db.execute("select business_date, status from quality.delivery").fetchall() == [
        (NIGHTS[0], "loaded")
    ]
    assert db.execute("select record_id from raw.initiative_row").fetchall() == [("R1",)]


def test_rejected_rows_count_towards_a_batchs_size(db, landing, monkeypatch) -> None:
    monkeypatch.setattr(batch_module, "MAX_ROWS", 4)
    for night in NIGHTS[:2]:
        write_delivery(landing, "P38", night, [row(record_id=f"X{i}", field="?") for i in range(2)])
    batch = DeliveryBatch(db, "P38", "file")
    known = last_attempts(db, "P38", NIGHTS[1])
    for folder in delivery_folders(landing, "P38", NIGHTS[1]):
        load_delivery(db, folder, known=known, batch=batch)
    assert batch.full  # four rows waiting in memory, though none is to be stored
    batch.flush()
    assert db.execute("select count(*) from quality.rejected_row").fetchone() == (4,)


def test_a_batch_that_cannot_be_written_blames_no_folder(db, landing, monkeypatch) -> None:
    # The batch is written between deliveries: an error there is the range's, never
    # pinned on the folder being read, and no night is reported loaded unwritten.
    monkeypatch.setattr(batch_module, "MAX_DELIVERIES", 2)

    def broken_disk(self, pending):
        raise OSError("No space left on device")

    monkeypatch.setattr(DeliveryBatch, "_write", broken_disk)
    for night in NIGHTS[:3]:
        write_delivery(landing, "P38", night, [row(record_id=f"W{night.day}")])
    with pytest.raises(OSError, match="No space"):
        land_unit_range(db, Source("P38"), NIGHTS[0], NIGHTS[2], landing)
    assert db.execute("select count(*) from quality.delivery").fetchone() == (0,)
    assert db.execute("select count(*) from quality.night_outcome").fetchone() == (0,)
