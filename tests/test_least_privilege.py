"""The pipeline works as the contract's roles, never as a superuser (warehouse-v1).

The suite's warehouse is set up like a deployment: the pipeline's login
(`SANGKIEN_WAREHOUSE_DSN`) is no superuser, only a member of the loader,
transformer and reporter roles; landing works as `sangkien_loader`, dbt and
publication as `sangkien_transformer`, reports as `sangkien_reporter`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from sangkien.night import land_unit, prepare_night, run_night
from sangkien.warehouse.bootstrap import BootstrapRequired
from sangkien.warehouse.connection import (
    LOADER,
    REPORTER,
    TRANSFORMER,
    WarehouseRoleError,
    connect,
)

from feed_builder import row, write_delivery

NIGHT = date(2022, 5, 31)
ROOT = Path(__file__).resolve().parents[1]


def _pipeline_dsn() -> str:
    return os.environ["SANGKIEN_WAREHOUSE_DSN"]


def _refused(conn: psycopg.Connection, statement: str) -> bool:
    try:
        conn.execute(statement)
    except psycopg.errors.InsufficientPrivilege:
        return True
    return False


@pytest.mark.slow
def test_a_night_lands_builds_and_publishes_without_any_superuser(
    db, warehouse_dsn, landing, sources, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("SANGKIEN_REPORTS_DIR", str(tmp_path / "reports"))
    # No administrator at run time: the night must do with the pipeline's login.
    monkeypatch.delenv("SANGKIEN_WAREHOUSE_ADMIN_DSN")
    for unit in ("P38", "P01"):
        sources(unit)
    write_delivery(landing, "P38", NIGHT, [row(record_id="A"), row(record_id="BAD", title="x")])
    write_delivery(landing, "P01", NIGHT, [row(record_id="H", unit_code="P01")])

    summary = run_night(NIGHT)

    assert [u.outcome for u in summary.units] == ["loaded", "loaded"]
    login = conninfo_to_dict(_pipeline_dsn())["user"]
    assert db.execute(
        "select rolsuper or rolcreaterole or rolcreatedb or rolbypassrls from pg_roles"
        " where rolname = %s",
        (login,),
    ).fetchone() == (False,)
    # Landing worked as the loader, its rejected row included (row-level security on).
    assert db.execute("select array_agg(distinct loaded_by) from quality.delivery").fetchone() == (
        [LOADER],
    )
    assert db.execute("select count(*) from quality.rejected_row").fetchone() == (1,)
    # dbt and the publisher worked as the transformer: it owns everything they made.
    owners = dict(
        db.execute(
            """select n.nspname || '.' || c.relname, pg_get_userbyid(c.relowner)
               from pg_class c join pg_namespace n on n.oid = c.relnamespace
               where c.relkind in ('r', 'v', 'm', 'p')
                 and (n.nspname in ('staging', 'intermediate', 'marts_candidate', 'marts',
                                    'marts_partitions', 'restricted')
                      or c.relname in ('unit_freshness', 'duplicate_link'))"""
        ).fetchall()
    )
    assert "marts.fct_initiative" in owners and "restricted.initiative_detail" in owners
    # The published facts are partitioned by unit: a partition for each unit with rows.
    assert {t for t in owners if t.startswith("marts_partitions.")} == {
        "marts_partitions.fct_initiative_p01",
        "marts_partitions.fct_initiative_p38",
    }
    assert {t for t, owner in owners.items() if owner != TRANSFORMER} == set()
    assert db.execute("select count(*) from marts.fct_initiative").fetchone() == (2,)
    assert (tmp_path / "reports" / NIGHT.isoformat()).is_dir()

    # A national analyst reads marts and quality, every table dbt made included, and
    # nothing else.
    db.execute(
        "create role analyst_national_test login password 'mat-khau' in role sangkien_analyst"
    )
    analyst_dsn = make_conninfo(warehouse_dsn, user="analyst_national_test", password="mat-khau")
    with psycopg.connect(analyst_dsn, autocommit=True) as analyst:
        # their joins on the partitioned fact are not held up compiling it
        assert analyst.execute("show jit").fetchone() == ("off",)
        for table in [t for t in owners if t.startswith("marts.")] + [
            "quality.unit_freshness",
            "quality.duplicate_link",
            "quality.rejected_row",
            "quality.publication",
        ]:
            analyst.execute(f"select count(*) from {table}")
        for table in (
            "raw.initiative_row",
            "restricted.initiative_detail",
            "marts_candidate.fct_initiative",
            "marts_partitions.fct_initiative_p38",  # read through marts.fct_initiative
            "intermediate.int_records__change_log",
        ):
            assert _refused(analyst, f"select count(*) from {table}"), table
        assert _refused(analyst, "delete from marts.dim_unit")


def test_each_pipeline_role_is_refused_what_it_does_not_need(warehouse_dsn) -> None:
    with connect(_pipeline_dsn(), role=LOADER, autocommit=True) as loader:
        assert loader.execute("select current_user").fetchone() == (LOADER,)
        assert _refused(loader, "create table marts.sneaky (x int)")
        assert _refused(loader, "create schema sneaky")
        assert _refused(loader, "drop table raw.initiative_row")
        # raw has no foreign key to its deliveries: none may be deleted under it.
        assert _refused(loader, "delete from quality.delivery")
    with connect(_pipeline_dsn(), role=TRANSFORMER, autocommit=True) as transformer:
        assert _refused(transformer, "delete from raw.initiative_row")
        assert _refused(transformer, "delete from quality.delivery")
        transformer.execute("select count(*) from raw.initiative_row")
    with connect(_pipeline_dsn(), role=REPORTER, autocommit=True) as reporter:
        assert _refused(reporter, "select count(*) from raw.initiative_row")
        assert _refused(reporter, "insert into quality.warning (delivery_id) values (1)")


def test_a_login_without_the_loader_role_is_told_what_to_grant(
    db, warehouse_dsn, landing, sources, monkeypatch
) -> None:
    db.execute("create role stranger_test login password 'mat-khau' in role sangkien_reporter")
    monkeypatch.setenv(
        "SANGKIEN_WAREHOUSE_DSN",
        make_conninfo(warehouse_dsn, user="stranger_test", password="mat-khau"),
    )
    sources("P38")
    with pytest.raises(WarehouseRoleError, match="grant sangkien_loader to <login>"):
        land_unit("P38", NIGHT)


def test_a_night_on_an_outdated_schema_stops_and_names_the_command(db, warehouse_dsn, sources):
    sources("P38")
    db.execute("delete from quality.bootstrap")
    with pytest.raises(BootstrapRequired, match="sangkien db bootstrap"):
        prepare_night(NIGHT)
    # The pipeline's login could not have changed the schema itself.
    assert db.execute("select count(*) from quality.bootstrap").fetchone() == (0,)


def test_the_deployment_login_script_makes_and_rotates_a_non_superuser_login(
    db, warehouse_dsn
) -> None:
    env = {
        **os.environ,
        "SANGKIEN_WAREHOUSE_ADMIN_DSN": warehouse_dsn,
        "SANGKIEN_APP_LOGIN": "pipeline_deploy_test",
    }
    for password in ("first-password", "rotated-password"):
        subprocess.run(
            [sys.executable, str(ROOT / "docker" / "ensure_warehouse_login.py")],
            env={**env, "SANGKIEN_APP_PASSWORD": password},
            check=True,
            capture_output=True,
        )
    dsn = make_conninfo(warehouse_dsn, user="pipeline_deploy_test", password="rotated-password")
    for role in (LOADER, TRANSFORMER, REPORTER):
        with connect(dsn, role=role) as conn:
            assert conn.execute("select current_user").fetchone() == (role,)
    assert db.execute(
        "select rolsuper from pg_roles where rolname = 'pipeline_deploy_test'"
    ).fetchone() == (False,)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(make_conninfo(dsn, password="first-password")).close()


def test_a_replay_leaves_its_units_partitions_analysed_as_the_loader(db, landing) -> None:
    """A replay lands millions of rows before autovacuum looks at them; the loader, who
    owns no table, has each unit's partition analysed through raw.analyze_unit_rows."""
    from sangkien.landing.unit_night import land_unit_range
    from sangkien.registry import Source

    def rows_known(partition: str) -> float:
        # ANALYZE sets reltuples; -1 means never analysed (nor vacuumed)
        return db.execute(
            "select reltuples from pg_class where oid = %s::regclass", (partition,)
        ).fetchone()[0]

    write_delivery(landing, "P38", NIGHT, [row(record_id=f"R{i}") for i in range(30)])
    with connect(_pipeline_dsn(), role=LOADER, autocommit=True) as loader:
        loader.execute("analyze raw.initiative_row_p38")  # not an owner: skipped
        assert rows_known("raw.initiative_row_p38") == -1
        land_unit_range(loader, Source("P38"), NIGHT, NIGHT, landing)
    assert rows_known("raw.initiative_row_p38") == 30
    assert rows_known("raw.initiative_row_p01") == -1  # only the units landed


def test_a_replay_into_an_empty_warehouse_builds_the_record_index_once_after(db, landing) -> None:
    """The loader may not drop raw's record index itself; it asks the warehouse to
    defer it, which only an empty raw table allows, and it comes back however the
    landing ends."""
    from sangkien.landing.record_index import record_index_deferred
    from sangkien.landing.unit_night import land_unit_range
    from sangkien.registry import Source

    def record_indexes() -> int:  # the partitioned index and one per partition
        return db.execute(
            """select count(*) from pg_indexes
               where schemaname = 'raw' and indexdef like '%(unit_code, record_id)'"""
        ).fetchone()[0]

    partitions = record_indexes()
    assert partitions > 80  # 82 units and the default partition
    with connect(_pipeline_dsn(), role=LOADER, autocommit=True) as loader:
        assert _refused(loader, "drop index raw.initiative_row_record_idx")
    write_delivery(landing, "P38", NIGHT, [row(record_id=f"R{i}") for i in range(30)])

    with (
        pytest.raises(RuntimeError, match="a landing that fails"),
        record_index_deferred() as deferred,
    ):
        assert deferred
        assert record_indexes() == 0
        with connect(_pipeline_dsn(), role=LOADER, autocommit=True) as loader:
            land_unit_range(loader, Source("P38"), NIGHT, NIGHT, landing)
        raise RuntimeError("a landing that fails")
    assert record_indexes() == partitions
    db.execute("set enable_seqscan = off")  # 30 rows: the planner would rather scan
    plan = db.execute(
        "explain select * from raw.initiative_row where unit_code = 'P38' and record_id = 'R7'"
    ).fetchall()
    db.execute("reset enable_seqscan")
    assert "initiative_row_p38_unit_code_record_id_idx" in str(plan)

    with record_index_deferred() as deferred:  # raw holds rows now: left alone
        assert not deferred
        assert record_indexes() == partitions


def test_a_replay_killed_before_its_index_was_built_is_healed_by_the_next_night(db) -> None:
    with connect(_pipeline_dsn(), role=LOADER, autocommit=True) as loader:
        assert loader.execute("select raw.defer_record_index()").fetchone() == (True,)
    assert db.execute("select to_regclass('raw.initiative_row_record_idx')").fetchone() == (None,)

    prepare_night(NIGHT)

    assert db.execute("select to_regclass('raw.initiative_row_record_idx')").fetchone() != (None,)
