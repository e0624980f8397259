"""The `sangkien_nightly` DAG: its structure, and real runs through `dag.test()`."""

from __future__ import annotations

import itertools
import subprocess
import sys
from datetime import date

import pytest

from sangkien.settings import PROJECT_ROOT

from feed_builder import row, write_delivery

NIGHT = date(2022, 5, 31)


@pytest.fixture(scope="module")
def nightly_dag(airflow_home):
    from sangkien.airflow_runner import load_dag

    return load_dag()


def test_the_dag_is_scheduled_at_one_in_the_morning_vietnam_time(nightly_dag) -> None:
    from airflow.timetables.interval import CronDataIntervalTimetable

    timetable = nightly_dag.timetable
    assert isinstance(timetable, CronDataIntervalTimetable)
    assert timetable._expression == "0 1 * * *"
    assert str(timetable._timezone.name) == "Asia/Ho_Chi_Minh"
    assert nightly_dag.max_active_runs == 1
    assert nightly_dag.catchup is False
    assert {"sangkien", "nightly"} <= set(nightly_dag.tags)


def test_landing_is_one_mapped_task_per_unit_labelled_with_its_code(nightly_dag) -> None:
    land = nightly_dag.get_task("land")
    assert land.is_mapped
    mapped_over = land._get_specified_expand_input().value
    assert list(mapped_over) == ["unit_code"]
    assert mapped_over["unit_code"].operator.task_id == "prepare"
    assert land.map_index_template == "{{ unit_code_label }}"
    summarize = nightly_dag.get_task("summarize")
    assert summarize.trigger_rule == "all_done"
    assert {t.task_id for t in summarize.upstream_list} >= {"land"}


def test_nothing_is_published_before_both_checks(nightly_dag) -> None:
    order = ["summarize", "check_landing", "build_models", "check_models", "publish"]
    for upstream, downstream in itertools.pairwise(order):
        assert nightly_dag.get_task(downstream).upstream_task_ids == {upstream}
    reports = nightly_dag.get_task("write_reports")
    assert reports.upstream_task_ids == {"publish"} and reports.trigger_rule == "all_done"


def test_parsing_the_dag_file_imports_nothing_heavy(airflow_home) -> None:
    probe = (
        "import runpy, sys; runpy.run_path(sys.argv[1]);"
        "heavy = ('pandas', 'psycopg', 'dbt', 'great_expectations', 'openpyxl', 'ijson',"
        " 'sangkien.landing', 'sangkien.warehouse');"
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(PROJECT_ROOT / "dags" / "sangkien_nightly.py")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == ""


@pytest.mark.slow
def test_a_failing_unit_fails_only_its_own_task(
    nightly_dag, warehouse_dsn, db, landing, sources, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("SANGKIEN_REPORTS_DIR", str(tmp_path / "reports"))
    from sangkien.airflow_runner import run_dag_for
    from sangkien.testing.province_api import ProvinceApi, closed_port_url

    write_delivery(landing, "P38", NIGHT, [row(record_id="A"), row(record_id="B", title="x")])
    bad = write_delivery(landing, "P01", NIGHT, [row(unit_code="P01")])
    (bad / "initiatives.csv").write_bytes(b"\x00garbage that matches no manifest")
    (bad / "manifest.json").write_text("{not json")
    write_delivery(landing, "P04", date(2022, 5, 30), [row(record_id="L", unit_code="P04")])
    sources("P38")
    sources("P01")
    sources("P04")  # delivered late for an earlier night, nothing tonight
    sources("P02", transport="http", base_url=closed_port_url(), retries=1, timeout_seconds=1)
    with ProvinceApi(page_size=2) as api:
        api.set_records("P06", NIGHT, [row(record_id="H1", unit_code="P06")])
        sources("P06", transport="http", base_url=api.base_url("P06"), retries=1)
        sources(
            "P08", transport="http", base_url=api.base_url("P08"), retries=1, timeout_seconds=0.3
        )
        api.set_records("P08", NIGHT, [row(record_id="T1", unit_code="P08")])
        api.set_failure("P08", "timeout")
        api.set_records("P10", NIGHT, [row(record_id=f"B{i}", unit_code="P10") for i in range(5)])
        sources("P10", transport="http", base_url=api.base_url("P10"), retries=1)
        api.set_failure("P10", "bad_page")

        run_dag_for(NIGHT, nightly_dag)

    outcomes = dict(
        db.execute(
            "select unit_code, outcome from quality.night_outcome where business_date = %s",
            (NIGHT,),
        ).fetchall()
    )
    assert outcomes == {
        "P38": "loaded",
        "P06": "loaded",
        "P04": "loaded",
        "P01": "failed",
        "P02": "failed",
        "P08": "failed",
        "P10": "failed",
    }
    landed = set(db.execute("select unit_code, record_id from raw.initiative_row").fetchall())
    assert landed == {("P38", "A"), ("P06", "H1"), ("P04", "L")}
    transports = dict(db.execute("select unit_code, transport from quality.delivery").fetchall())
    assert transports["P06"] == "http" and transports["P38"] == "file"
    # The rest of the night completed: checked, built, published, reported.
    published = set(db.execute("select initiative_key from marts.fct_initiative").fetchall())
    assert published == {("P38:A",), ("P06:H1",), ("P04:L",)}
    assert (tmp_path / "reports" / NIGHT.isoformat() / "index.html").exists()
