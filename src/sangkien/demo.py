"""`make demo`: the main job end to end on built-in sample data.

Simulates the units' feeds for a window of nights, then plays the nights in
order: each night the units' folders for that date are "delivered" into the
landing area (a few first as an earlier version that is corrected — re-
delivered — the next day), and `sangkien_nightly` runs for that date through
Airflow (`dag.test()`). It ends with what each unit delivered and where to
look next.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from sangkien.settings import STATE_DIR


def _deliver(feeds: Path, landing: Path, night: date) -> list[tuple[Path, Path]]:
    """Copy the night's folders into the landing area; return re-deliveries still due."""
    day = night.isoformat()
    due = []
    for unit_dir in sorted(p for p in feeds.iterdir() if p.is_dir() and not p.name.startswith("_")):
        final = unit_dir / day
        if not final.is_dir():
            continue  # the unit missed this night
        target = landing / unit_dir.name / day
        earlier = feeds / "_previous" / unit_dir.name / day
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(earlier if earlier.is_dir() else final, target)
        if earlier.is_dir():
            due.append((final, target))
    return due


def _redeliver(due: list[tuple[Path, Path]]) -> None:
    for final, target in due:
        shutil.rmtree(target)
        shutil.copytree(final, target)


def run_demo(*, date_from: date, date_to: date, scale: float, seed: int, fresh: bool = True) -> int:
    from sangkien.airflow_runner import load_dag, prepare_airflow_home, run_dag_for
    from sangkien.night import summarize_night
    from sangkien.settings import load_settings
    from sangkien.simulate import simulate
    from sangkien.warehouse.bootstrap import bootstrap
    from sangkien.warehouse.connection import REPORTER, admin_dsn, connect, redact, warehouse_dsn

    started = time.monotonic()
    demo_dir = STATE_DIR / "demo"
    feeds, landing = demo_dir / "feeds", demo_dir / "landing"
    external = load_settings().warehouse_dsn is not None

    print("1/4  Warehouse")
    dsn = warehouse_dsn()
    if fresh and not external:
        with connect(admin_dsn(), autocommit=True) as conn:
            conn.execute(
                "drop schema if exists raw, quality, staging, intermediate, marts, "
                "marts_candidate, restricted cascade"
            )
            bootstrap(conn)
        shutil.rmtree(landing, ignore_errors=True)
    print(f"     {redact(dsn)}")

    print(f"2/4  Simulating feeds of the 82 units, {date_from} → {date_to} (scale {scale})")
    stamp = feeds / f".simulated-{date_from}-{date_to}-{scale}-{seed}"
    if not stamp.exists():
        shutil.rmtree(feeds, ignore_errors=True)
        summary = simulate(
            feeds, date_from, date_to, scale=scale, seed=seed, progress=sys.stderr.isatty()
        )
        stamp.touch()
        print("     " + str(summary).replace("\n", "\n     "))
    landing.mkdir(parents=True, exist_ok=True)
    os.environ["SANGKIEN_LANDING_DIR"] = str(landing)
    os.environ["SANGKIEN_WAREHOUSE_DSN"] = dsn

    print("3/4  Running sangkien_nightly night by night (Airflow dag.test)")
    # A demo does not wait the production five minutes before retrying a unit.
    os.environ.setdefault("SANGKIEN_TASK_RETRIES", "1")
    os.environ.setdefault("SANGKIEN_RETRY_DELAY_SECONDS", "2")
    prepare_airflow_home()
    dag = load_dag()
    night = date_from
    while night <= date_to:
        due = _deliver(feeds, landing, night)
        run_dag_for(night, dag)
        print("     " + summarize_night(night).render().replace("\n", "\n     "))
        _redeliver(due)  # corrected versions arrive after the night's run
        night += timedelta(days=1)

    print("4/4  What each unit delivered over the window")
    with connect(dsn, autocommit=True, role=REPORTER) as conn:
        print(_unit_table(conn, date_from, date_to))
        print(_published_figures(conn, date_to))
    reports = load_settings().reports_dir / date_to.isoformat()
    print(_next_steps(dsn, landing, date_to, reports, time.monotonic() - started))
    return 0


def _unit_table(conn, date_from: date, date_to: date) -> str:  # type: ignore[no-untyped-def]
    rows = conn.execute(
        """with current as (
               select * from quality.delivery
               where status in ('loaded', 'incomplete') and business_date between %s and %s
           ),
           reasons as (
               select r.unit_code, string_agg(r.reason_code || ' ' || r.n, ', '
                                              order by r.n desc, r.reason_code) as by_reason
               from (select q.unit_code, q.reason_code, count(*) as n
                     from quality.rejected_row q join current d using (delivery_id)
                     group by 1, 2) r
               group by r.unit_code
           )
           select c.unit_code,
                  count(*) filter (where c.status = 'loaded') as nights,
                  count(*) filter (where c.status = 'incomplete') as incomplete,
                  coalesce(sum(c.rows_published), 0) as published,
                  coalesce(sum(c.rows_rejected) filter (where c.status = 'loaded'), 0) as rejected,
                  coalesce(r.by_reason, '')
           from current c left join reasons r using (unit_code)
           group by c.unit_code, r.by_reason
           order by published desc""",
        (date_from, date_to),
    ).fetchall()
    lines = [
        f"     {'unit':<5} {'nights':>6} {'incompl.':>8} {'published':>9} {'rejected':>8}"
        "  rejected by reason"
    ]
    lines += [f"     {u:<5} {n:>6} {i:>8} {p:>9} {r:>8}  {why}" for u, n, i, p, r, why in rows]
    totals = [sum(col) for col in list(zip(*rows, strict=False))[1:5]] if rows else [0, 0, 0, 0]
    lines.append(f"     {'all':<5} {totals[0]:>6} {totals[1]:>8} {totals[2]:>9} {totals[3]:>8}")
    return "\n".join(lines)


def _published_figures(conn, as_of: date) -> str:  # type: ignore[no-untyped-def]
    """The national top 10, progress against the targets, and every unit's attainment."""
    top = conn.execute(
        """select r.rank, r.unit_code, u.unit_name, r.cumulative_valid, r.rank_change
           from marts.rpt_unit_ranking r join marts.dim_unit u using (unit_code)
           where r.as_of_date = %s order by r.rank, r.unit_code limit 10""",
        (as_of,),
    ).fetchall()
    lines = [f"\n     National top 10 on {as_of:%d/%m/%Y} (valid initiatives)"]
    for rank, unit, name, valid, change in top:
        moved = (
            "–"
            if change is None
            else "="
            if change == 0
            else f"tăng {change} bậc"
            if change > 0
            else f"giảm {-change} bậc"
        )
        lines.append(f"     {rank:>3}. {unit} {name:<32} {valid:>9,}  {moved}")
    progress = conn.execute(
        """select cumulative_submitted, cumulative_valid, pct_of_target
           from marts.rpt_programme_progress where date = %s""",
        (as_of,),
    ).fetchone()
    if progress:
        submitted, valid, pct = progress
        lines.append(
            f"\n     Programme on {as_of:%d/%m/%Y}: {submitted:,} submitted, {valid:,} valid = "
            f"{pct:.2f}% of the 1,000,000 target (phase 1 target: 300,000)"
        )
    attainment = conn.execute(
        """select unit_code, phase, target_assigned, valid, pct_of_assigned
           from marts.rpt_target_attainment order by phase, pct_of_assigned desc nulls last,
           unit_code"""
    ).fetchall()
    lines.append(
        "\n     Attainment of the assigned target, per unit and phase (unit phase target valid %):"
    )
    for i in range(0, len(attainment), 4):
        lines.append(
            "     "
            + " | ".join(
                f"{u} {p} {t or 0:>6,} {v:>6,} {pct or 0:>6.1f}%"
                for u, p, t, v, pct in attainment[i : i + 4]
            )
        )
    return "\n".join(lines)


def _next_steps(dsn: str, landing: Path, last_night: date, reports: Path, seconds: float) -> str:
    return f"""
Done in {seconds:.0f} s. What to look at next:
  {reports}/index.html                        # national report (offline HTML)
  {reports}/units/P38/                         # a province's quality report (HTML, CSV, XLSX)
  .venv/bin/sangkien status                    # last night, freshness, gate, alerts
  psql "$(.venv/bin/sangkien db dsn)"          # the warehouse ({dsn.split("@")[-1]})
    select * from quality.delivery order by delivery_id desc limit 20;
    select unit_code, line_number, record_id, reason_code, reason_detail
      from quality.rejected_row limit 20;     -- what provinces must fix
    select * from marts.rpt_unit_ranking where as_of_date = '{last_night}' order by rank;
  ls {landing}                                 # the landing area, one folder per unit and night
  SANGKIEN_LANDING_DIR={landing} .venv/bin/sangkien run-night {last_night}
                                              # the same night without Airflow: nothing changes
  .venv/bin/sangkien db down                  # stop the local PostgreSQL
"""
