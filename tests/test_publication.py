"""Write-audit-publish and replay, through the real loader, dbt and the GX gate."""

from __future__ import annotations

from datetime import date, timedelta

import psycopg
import pytest

from sangkien import publishing
from sangkien.night import replay, run_night

from databases import fresh_warehouse
from feed_builder import row, write_delivery

pytestmark = pytest.mark.slow

D1 = date(2022, 5, 29)
D2, D3 = D1 + timedelta(days=1), D1 + timedelta(days=2)
PUBLISHED = (
    "dim_unit",
    "fct_initiative",
    "fct_unit_daily",
    "rpt_unit_ranking",
    "rpt_target_attainment",
    "rpt_programme_progress",
    "rpt_breakdown",
)


def fingerprint(conn: psycopg.Connection, schema: str = "marts") -> dict[str, str]:
    """One hash per published table, over every row in a stable order."""
    return {
        table: conn.execute(
            f"select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) "
            f"from {schema}.{table} t"
        ).fetchone()[0]
        for table in PUBLISHED
    }


def valid_on(conn: psycopg.Connection, unit: str, day: date) -> int:
    return conn.execute(
        "select valid from marts.fct_unit_daily where unit_code = %s and date = %s", (unit, day)
    ).fetchone()[0]


@pytest.fixture
def two_units(sources, tmp_path, monkeypatch) -> None:
    """P38 and P01 registered; reports written under the test's folder."""
    monkeypatch.setenv("SANGKIEN_REPORTS_DIR", str(tmp_path / "reports"))
    sources("P38")
    sources("P01")


def three_nights(landing) -> None:
    """P38 and P01 deliver three nights; each night's records are submitted that day."""
    for offset, day in enumerate((D1, D2, D3)):
        at = f"{day.isoformat()}T09:00:00+07:00"
        write_delivery(
            landing,
            "P38",
            day,
            [
                row(
                    record_id=f"A{offset}", title=f"Sáng kiến cải tiến số {offset}", submitted_at=at
                ),
                row(
                    record_id=f"B{offset}",
                    title=f"Giải pháp quản lý số {offset}",
                    submitted_at=at,
                    review_status="pending",
                ),
            ],
        )
        write_delivery(
            landing,
            "P01",
            day,
            [
                row(
                    record_id=f"H{offset}",
                    unit_code="P01",
                    title=f"Đề tài số {offset}",
                    authors="Trần Văn Hà",
                    submitted_at=at,
                ),
            ],
        )


def run_three_nights(landing) -> None:
    three_nights(landing)
    for night in (D1, D2, D3):
        run_night(night)


def test_a_blocked_gate_keeps_the_last_good_state_until_the_next_good_night(
    db, landing, two_units
) -> None:
    three_nights(landing)
    run_night(D1)
    assert valid_on(db, "P38", D1) == 1
    good = fingerprint(db)

    # Night 2 lands and builds; then a fault corrupts the candidate before the audit.
    run_night(D2, publish=False)
    publishing.check_landing(D2)
    publishing.build(D2)
    db.execute(
        """insert into marts_candidate.fct_unit_daily
           select * from marts_candidate.fct_unit_daily
           where unit_code = 'P01' and date = %s""",
        (D2,),
    )
    # ...and loses one of the night's records.
    lost = "from marts_candidate.fct_initiative where initiative_key = 'P38:A1'"
    db.execute(f"create temporary table lost as select * {lost}")
    db.execute(f"delete {lost}")
    # 300 more of P01's cells are doubled: more than the gate lists, all counted.
    db.execute(
        """create temporary table doubled as select * from marts_candidate.fct_unit_daily
           where unit_code = 'P01' and date between date '2022-01-08' and date '2022-11-03'"""
    )
    db.execute("insert into marts_candidate.fct_unit_daily select * from doubled")
    with pytest.raises(publishing.GateBlocked) as blocked:
        publishing.check_models(D2)
    message = str(blocked.value)
    assert "every_unit_on_every_date (300 violating row(s); units: P01)" in message
    assert "records_match_raw" in message and "P38" in message
    db.execute("insert into marts_candidate.fct_initiative select * from lost")
    db.execute(
        """delete from marts_candidate.fct_unit_daily t using doubled d
           where t.unit_code = d.unit_code and t.date = d.date;
           insert into marts_candidate.fct_unit_daily select * from doubled"""
    )
    assert fingerprint(db) == good  # analysts still see night 1
    decision = db.execute(
        "select published, failed_checks, units_involved from quality.publication"
        " order by publication_id desc limit 1"
    ).fetchone()
    assert decision[0] is False and "every_unit_on_every_date" in decision[1]
    assert "P01" in decision[2]
    assert db.execute(
        "select count(*) from quality.alert where kind = 'gate_blocked' and business_date = %s",
        (D2,),
    ).fetchone() == (1,)

    # Night 3 is good: it publishes everything since night 1, night 2 included.
    run_night(D3)
    assert (valid_on(db, "P38", D2), valid_on(db, "P38", D3)) == (1, 1)
    assert db.execute("select count(*) from marts.fct_initiative").fetchone() == (9,)
    statuses = dict(
        db.execute(
            "select record_id, status from marts.fct_initiative where unit_code = 'P38'"
        ).fetchall()
    )
    assert statuses == {
        "A0": "valid",
        "A1": "valid",
        "A2": "valid",
        "B0": "pending",
        "B1": "pending",
        "B2": "pending",
    }


def test_the_nightly_gate_sees_faults_outside_the_nights_records(db, landing, two_units) -> None:
    """The nightly checks are scoped to what changed, yet still see a fault in a
    cell no record of the night is counted in, and a duplicate left pointing at
    a record the night changed."""
    three_nights(landing)
    run_night(D1)
    run_night(D2, publish=False)
    publishing.check_landing(D2)
    publishing.build(D2)
    changed = {
        key
        for (key,) in db.execute(
            """select initiative_key from intermediate.int_records__change_log
               where changed_at > (select max(changes_through) from quality.publication)"""
        )
    }
    assert "P38:A1" in changed and "P38:A0" not in changed  # night 2 did not touch A0
    # Night 1's cell, which no record of night 2 is counted in, gains a valid.
    db.execute(
        """update marts_candidate.fct_unit_daily set valid = valid + 1
           where unit_code = 'P38' and date = %s""",
        (D1,),
    )
    # A0 (unchanged) is made a duplicate of A1 (changed), submitted a day later.
    db.execute(
        """update marts_candidate.fct_initiative
           set status = 'duplicate', duplicate_of_key = 'P38:A1' where initiative_key = 'P38:A0'"""
    )
    with pytest.raises(publishing.GateBlocked) as blocked:
        publishing.check_models(D2)
    message = str(blocked.value)
    assert "daily_counts_match_records" in message
    assert "duplicates_point_to_originals" in message


def test_the_landing_gate_finds_raw_rows_without_their_delivery(db, landing, two_units) -> None:
    """raw has no foreign key to quality.delivery (it cost a sixth of a replay's
    landing): the landing gate checks that each raw row's delivery exists, for
    the same unit and night."""
    three_nights(landing)
    run_night(D1)
    run_night(D2, publish=False)
    publishing.check_landing(D2)  # the night as landed passes

    def raw_row(delivery_id: int, unit: str, day: date, record_id: str) -> None:
        db.execute(
            """insert into raw.initiative_row (delivery_id, unit_code, business_date,
                   line_number, record_id, is_confidential, is_deleted)
               values (%s, %s, %s, 1, %s, false, false)""",
            (delivery_id, unit, day, record_id),
        )

    last = db.execute("select max(delivery_id) from quality.delivery").fetchone()[0]
    p01_d2 = db.execute(
        "select delivery_id from quality.delivery where unit_code = 'P01' and business_date = %s",
        (D2,),
    ).fetchone()[0]
    raw_row(last + 7, "P38", D2, "ORPHAN")  # a delivery that does not exist
    raw_row(p01_d2, "P38", D2, "ASTRAY")  # another unit's delivery
    with pytest.raises(publishing.GateBlocked) as blocked:
        publishing.check_landing(D2)
    # One violation per (unit, night, delivery) of the stray rows: both are found.
    assert "raw_rows_belong_to_their_delivery (2 violating row(s); units: P38)" in str(
        blocked.value
    )

    # A row from before the last publication is only seen by a full audit.
    db.execute("delete from raw.initiative_row where record_id in ('ORPHAN', 'ASTRAY')")
    raw_row(0, "P38", D1, "OLD-ORPHAN")
    publishing.check_landing(D2)
    with pytest.raises(publishing.GateBlocked, match="raw_rows_belong_to_their_delivery"):
        publishing.check_landing(D2, full_audit=True)


def test_a_full_audit_sees_faults_in_records_no_night_changed(db, landing, two_units) -> None:
    run_three_nights(landing)
    # Everything is published; then night 1's records are damaged behind the
    # pipeline's back (the counts are left as they were).
    db.execute("delete from marts_candidate.fct_initiative where initiative_key = 'P38:A0'")
    db.execute(
        """update marts_candidate.fct_initiative
           set status = 'duplicate', duplicate_of_key = 'P38:B2' where initiative_key = 'P38:B0'"""
    )
    # The nightly gate looks at what changed since the last publication: nothing...
    publishing.check_models(D3)
    # ...while a full audit finds every fault.
    with pytest.raises(publishing.GateBlocked) as audited:
        publishing.check_models(D3, full_audit=True)
    for check in (
        "records_match_raw",
        "duplicates_point_to_originals",
        "daily_counts_match_records",
    ):
        assert check in str(audited.value)


def partitions(conn: psycopg.Connection) -> set[str]:
    return {
        name
        for (name,) in conn.execute(
            """select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
               where i.inhparent = 'marts.fct_initiative'::regclass"""
        )
    }


def test_the_published_facts_are_partitioned_by_unit(db, landing, two_units) -> None:
    at = "{}T09:00:00+07:00"
    write_delivery(landing, "P38", D1, [row(record_id="A0", submitted_at=at.format(D1))])
    # P01 delivers for the first time on night 2.
    write_delivery(
        landing, "P01", D2, [row(record_id="H0", unit_code="P01", submitted_at=at.format(D2))]
    )
    run_night(D1)
    assert partitions(db) == {"fct_initiative_p38"}
    run_night(D2)
    assert partitions(db) == {"fct_initiative_p01", "fct_initiative_p38"}
    assert db.execute(
        "select tableoid::regclass::text, initiative_key from marts.fct_initiative order by 2"
    ).fetchall() == [
        ("marts_partitions.fct_initiative_p01", "P01:H0"),
        ("marts_partitions.fct_initiative_p38", "P38:A0"),
    ]

    # A warehouse published before the facts were partitioned: the next night
    # replaces its table with a partitioned one, published whole.
    db.execute("set role sangkien_transformer")  # as the publisher made it then
    db.execute("drop table marts.fct_initiative")
    db.execute("create table marts.fct_initiative as select * from marts_candidate.fct_initiative")
    db.execute("reset role")
    write_delivery(landing, "P38", D3, [row(record_id="A1", submitted_at=at.format(D3))])
    run_night(D3)
    assert partitions(db) == {"fct_initiative_p01", "fct_initiative_p38"}
    assert db.execute(
        "select unit_code, count(*) from marts.fct_initiative group by 1 order by 1"
    ).fetchall() == [("P01", 1), ("P38", 2)]


def test_replay_gives_the_same_tables_as_night_by_night(
    warehouse_dsn, pg_cluster, landing, two_units, monkeypatch
) -> None:
    run_three_nights(landing)
    with psycopg.connect(warehouse_dsn) as conn:
        nightly = fingerprint(conn)
        published = conn.execute("select count(*) from marts.fct_initiative").fetchone()[0]

    other = fresh_warehouse(pg_cluster, "wh_replay")
    monkeypatch.setenv("SANGKIEN_WAREHOUSE_DSN", other)
    assert replay(D1, D3) == []
    with psycopg.connect(other) as conn:
        assert fingerprint(conn) == nightly
        # landed without raw's record index, which is built before the models run
        assert conn.execute("select to_regclass('raw.initiative_row_record_idx')").fetchone()[0]
    assert published == 9


def test_one_units_night_can_be_rerun_alone(db, landing, two_units) -> None:
    from sangkien.cli import main

    write_delivery(landing, "P38", D3, [row(record_id="A")])
    write_delivery(landing, "P01", D3, [row(record_id="H", unit_code="P01", authors="Lò Văn Hà")])
    assert main(["run-night", D3.isoformat()]) == 0
    # P01 corrects its night (the record is invalid after all); P38 changes too, unseen.
    write_delivery(
        landing,
        "P01",
        D3,
        [row(record_id="H", unit_code="P01", authors="Lò Văn Hà", review_status="invalid")],
    )
    write_delivery(landing, "P38", D3, [row(record_id="A"), row(record_id="Z")])

    assert main(["run-night", D3.isoformat(), "--unit", "P01"]) == 0

    statuses = dict(
        db.execute("select initiative_key, status from marts.fct_initiative").fetchall()
    )
    assert statuses == {"P01:H": "invalid", "P38:A": "valid"}  # P38's new folder not loaded
    loads = dict(
        db.execute("select unit_code, count(*) from quality.delivery group by unit_code").fetchall()
    )
    assert loads == {"P01": 2, "P38": 1}


def test_a_full_rebuild_gives_the_same_published_tables(db, landing, two_units) -> None:
    from sangkien.cli import main

    run_three_nights(landing)
    nightly = fingerprint(db)
    assert main(["rebuild", "--date", D3.isoformat()]) == 0
    assert fingerprint(db) == nightly

    # An old, published delivery is altered behind the pipeline's back. The nightly
    # gate checks what changed since the last publication, so the night passes...
    db.execute(
        "update raw.initiative_row set is_confidential = true, summary = 'x' where record_id = 'A0'"
    )
    run_night(D3)
    # ...while a rebuild audits everything, and refuses to publish.
    assert main(["rebuild", "--date", D3.isoformat()]) == 4
    assert fingerprint(db) == nightly
    assert db.execute(
        "select failed_checks, units_involved from quality.publication where not published"
    ).fetchall() == [(["no_confidential_summary_stored"], ["P38"])]
