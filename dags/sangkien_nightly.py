"""sangkien_nightly: land, check, build and publish one business date.

Runs at 01:00 Asia/Ho_Chi_Minh for the business date that just ended, one run
per date, one at a time. One mapped task per unit (labelled with its code), so
a unit whose file is unreadable or whose API is down fails only its own task,
after retries; the summary records every unit's outcome as data. Then the
quality gate checks the landed rows, dbt builds the candidate statistics, the
gate checks them, and only then are they published; reports follow. The same
run without a scheduler: `sangkien run-night YYYY-MM-DD`.

Only wiring here: the logic is in `sangkien.night` (imported inside tasks so
that parsing this file stays fast).
"""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag, get_current_context, task
from airflow.timetables.interval import CronDataIntervalTimetable

from sangkien.operations.nightly import on_night_failure

TZ = "Asia/Ho_Chi_Minh"


def _business_date():  # type: ignore[no-untyped-def]
    from sangkien.night import business_date_of

    context = get_current_context()
    return business_date_of(context.get("logical_date"), context["params"].get("business_date"))


def _step(step: str) -> None:
    from sangkien.publishing import run_step

    run_step(step, _business_date())


@dag(
    dag_id="sangkien_nightly",
    description="Nightly landing of the 82 units' initiative feeds",
    # The interval [D 01:00, D+1 01:00) local has logical date D: the run for D.
    schedule=CronDataIntervalTimetable("0 1 * * *", timezone=TZ),
    start_date=pendulum.datetime(2022, 1, 8, tz=TZ),
    catchup=False,
    max_active_runs=1,
    tags=["sangkien", "nightly", "ingestion"],
    params={
        "business_date": Param(
            None,
            type=["null", "string"],
            format="date",
            description="Business date to process (default: the run's logical date)",
        )
    },
    default_args={
        "owner": "sangkien",
        "retries": int(os.environ.get("SANGKIEN_TASK_RETRIES", "2")),
        "retry_delay": timedelta(
            seconds=int(os.environ.get("SANGKIEN_RETRY_DELAY_SECONDS", "300"))
        ),
    },
    doc_md=__doc__,
    on_failure_callback=on_night_failure,
)
def sangkien_nightly() -> None:
    @task
    def prepare() -> list[str]:
        from sangkien.night import prepare_night

        return prepare_night(_business_date())

    @task(map_index_template="{{ unit_code_label }}", max_active_tis_per_dagrun=2)
    def land(unit_code: str) -> dict:
        from sangkien.night import land_unit

        get_current_context()["unit_code_label"] = unit_code  # type: ignore[typeddict-unknown-key]
        return land_unit(unit_code, _business_date())

    @task(trigger_rule="all_done", retries=0)
    def summarize(units: list[str]) -> dict:
        from sangkien.night import summarize_night

        summary = summarize_night(_business_date(), units)
        return {
            "business_date": summary.business_date.isoformat(),
            "failed_units": summary.failed_units,
        }

    units = prepare()
    summary = summarize(units)
    land.expand(unit_code=units) >> summary
    # Write-audit-publish: nothing reaches `marts` unless both checks pass; the
    # reports are written also when the gate blocks (provinces need their rows).
    done = summary
    for step in ("check_landing", "build_models", "check_models", "publish"):
        done = done >> task(_step, task_id=step)(step)
    done >> task(_step, task_id="write_reports", trigger_rule="all_done")("write_reports")


sangkien_nightly()
