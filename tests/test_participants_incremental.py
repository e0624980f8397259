"""Participants are recounted night by night for the authors a night touched only;
the counts must still equal a recount over every record, also after a build that
stopped half-way (its recount never happened)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import psycopg
import pytest

from sangkien.landing.unit_night import land_unit_night
from sangkien.registry import Source
from sangkien.transform import build_models

from databases import fresh_warehouse
from feed_builder import row, write_delivery

D1, D2, D3 = date(2022, 3, 1), date(2022, 3, 2), date(2022, 3, 3)

RECOUNT = """
    select i.unit_code, count(distinct a) as participants,
           count(distinct a) filter (where i.status = 'valid') as valid_participants
    from marts.fct_initiative i
    cross join lateral unnest(string_to_array(i.author_keys, ';')) as a
    where i.status <> 'withdrawn'
    group by i.unit_code
"""


def _record(record_id: str, authors: str, ids: str, updated: str, **fields: str) -> dict[str, str]:
    return row(
        record_id=record_id,
        unit_code="P38",
        title=f"Sáng kiến số {record_id} về tiết kiệm vật tư",
        authors=authors,
        author_ids=ids,
        submitted_at="2022-03-01T08:00:00+07:00",
        updated_at=updated,
        **fields,
    )


def _participants(conn: psycopg.Connection) -> dict[str, tuple[int, int]]:
    return {
        unit: (participants, valid)
        for unit, participants, valid in conn.execute(
            "select unit_code, participants, valid_participants from marts.rpt_unit_participants"
        )
        if participants
    }


def _recounted(conn: psycopg.Connection) -> dict[str, tuple[int, int]]:
    return {unit: (p, v) for unit, p, v in conn.execute(RECOUNT)}


def _land_night_1(conn: psycopg.Connection, landing: Path) -> None:
    """An and Bình on R1, Châu on R2 (pending), Dũng on R3."""
    write_delivery(
        landing,
        "P38",
        D1,
        [
            _record("R1", "Nguyễn Văn An;Lê Thị Bình", "M1;M2", "2022-03-01T09:00:00+07:00"),
            _record(
                "R2", "Trần Minh Châu", "M3", "2022-03-01T09:00:00+07:00", review_status="pending"
            ),
            _record("R3", "Phạm Văn Dũng", "M4", "2022-03-01T09:00:00+07:00"),
        ],
    )
    land_unit_night(conn, Source("P38"), D1, landing)


def _land_night_2(conn: psycopg.Connection, landing: Path) -> None:
    """Bình leaves R1 (and so the unit), R2 is approved, R3 is withdrawn."""
    write_delivery(
        landing,
        "P38",
        D2,
        [
            _record("R1", "Nguyễn Văn An", "M1", "2022-03-02T09:00:00+07:00"),
            _record("R2", "Trần Minh Châu", "M3", "2022-03-02T09:00:00+07:00"),
            {"record_id": "R3", "unit_code": "P38", "is_deleted": "true"},
        ],
    )
    land_unit_night(conn, Source("P38"), D2, landing)


@pytest.fixture()
def warehouse(pg_cluster, tmp_path: Path):  # type: ignore[no-untyped-def]
    dsn = fresh_warehouse(pg_cluster, "participants")
    with psycopg.connect(dsn, autocommit=True) as conn:
        yield dsn, conn, tmp_path / "landing", tmp_path / "dbt"


def test_participants_follow_changed_authors_and_an_interrupted_build(warehouse) -> None:  # type: ignore[no-untyped-def]
    dsn, conn, landing, state = warehouse
    _land_night_1(conn, landing)
    build_models(dsn, state_dir=state)
    assert _participants(conn) == {"P38": (4, 3)} == _recounted(conn)

    # The build stops after the per-record author bridge, before the recount.
    _land_night_2(conn, landing)
    partial = build_models(dsn, state_dir=state, select=["+int_records__authors"])
    assert "int_unit_authors__counts" not in {n.name for n in partial.models}
    assert _participants(conn) == {"P38": (4, 3)}  # not recounted yet

    # Night 3: nothing new for P38; the next build must finish night 2's recount.
    build_models(dsn, state_dir=state)
    assert _participants(conn) == {"P38": (2, 2)} == _recounted(conn)

    # And a full refresh agrees.
    build_models(dsn, state_dir=state, full_refresh=True)
    assert _participants(conn) == {"P38": (2, 2)}


def test_a_recount_rewrites_only_the_pairs_whose_counts_change(warehouse) -> None:  # type: ignore[no-untyped-def]
    """The incremental strategy leaves a row the build reproduces exactly in place
    (night 2 touches An's record, but An's counts stay 1 and 1): rewriting every
    row of a night's scope scattered writes over tables of millions of rows."""
    dsn, conn, landing, state = warehouse
    counts = (
        "select author_key, records, valid_records, ctid::text"
        " from intermediate.int_unit_authors__counts"
    )
    _land_night_1(conn, landing)
    build_models(dsn, state_dir=state)
    before = {key: rest for key, *rest in conn.execute(counts)}
    _land_night_2(conn, landing)
    build_models(dsn, state_dir=state)
    after = {key: rest for key, *rest in conn.execute(counts)}
    in_scope = {
        key
        for (key,) in conn.execute("select author_key from intermediate.int_unit_authors__changed")
    }

    assert len(before) == 4 and len(after) == 2  # Bình and Dũng are gone
    (an,) = [k for k in after if after[k][:2] == before[k][:2]]
    (chau,) = [k for k in after if k != an]
    assert an in in_scope and chau in in_scope
    assert after[an] == before[an]  # same counts, same row: not rewritten
    assert before[chau][:2] == [1, 0] and after[chau][:2] == [1, 1]
    assert after[chau][2] != before[chau][2]
