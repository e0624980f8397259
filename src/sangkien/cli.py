"""The `sangkien` command line: the warehouse, sample feeds, nights and the demo."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date
from pathlib import Path


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def cmd_db(args: argparse.Namespace) -> int:
    from sangkien.settings import load_settings
    from sangkien.warehouse.connection import local_cluster, redact

    external = load_settings().warehouse_dsn
    if external and args.action in ("up", "down", "status"):
        print(f"SANGKIEN_WAREHOUSE_DSN is set: using {redact(external)} (no local cluster)")
        return 0
    cluster = local_cluster()
    if args.action == "up":
        cluster.up()
        print(cluster.status())
    elif args.action == "down":
        cluster.down()
        print(cluster.status())
    elif args.action == "status":
        print(cluster.status())
    elif args.action == "dsn":
        print(external or cluster.dsn())
    elif args.action == "bootstrap":
        from sangkien.warehouse.bootstrap import bootstrap
        from sangkien.warehouse.connection import admin_dsn, connect

        with connect(admin_dsn(), autocommit=True) as conn:
            bootstrap(conn)
        print("warehouse schemas and tables are in place")
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from sangkien.simulate import simulate

    summary = simulate(
        Path(args.out),
        args.date_from,
        args.date_to,
        scale=args.scale,
        seed=args.seed,
        progress=sys.stderr.isatty(),
    )
    print(summary)
    return 0


def cmd_run_night(args: argparse.Namespace) -> int:
    from sangkien.night import run_night
    from sangkien.publishing import GateBlocked

    try:
        summary = run_night(args.business_date, only_units=args.unit)
    except GateBlocked as exc:
        print(f"night {args.business_date}: {exc}", file=sys.stderr)
        return 4
    print(summary.render(all_units=args.all))
    if summary.reports_dir:
        print(f"reports: {summary.reports_dir}")
    if summary.failed_units:
        print(
            f"{len(summary.failed_units)} unit(s) failed: {', '.join(summary.failed_units)}",
            file=sys.stderr,
        )
        return 3
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    from sangkien.publishing import GateBlocked, transform_and_publish

    try:
        reports = transform_and_publish(args.date, full_refresh=True)
    except GateBlocked as exc:
        print(f"rebuild: {exc}", file=sys.stderr)
        return 4
    print(f"every model rebuilt from raw and published as of {args.date}; reports: {reports}")
    return 0


def cmd_grant_province(args: argparse.Namespace) -> int:
    import os

    from sangkien.warehouse.connection import admin_dsn, connect
    from sangkien.warehouse.row_security import grant_province

    password = os.environ.get(args.password_env) if args.password_env else None
    if args.password_env and not password:
        print(f"{args.password_env} is not set", file=sys.stderr)
        return 2
    with connect(admin_dsn(), autocommit=True) as conn:
        generated = grant_province(conn, args.unit, args.login, password)
    print(f"{args.login} now sees {args.unit}'s rows in quality and restricted, and marts")
    if generated:
        print(f"password (shown once, give it to the analyst): {generated}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from sangkien.operations import render_status
    from sangkien.warehouse.connection import REPORTER, connect

    with connect(autocommit=True, role=REPORTER) as conn:
        print(render_status(conn, args.date))
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from sangkien.night import replay
    from sangkien.publishing import GateBlocked

    try:
        failed = replay(
            args.date_from, args.date_to, workers=args.workers, progress=sys.stderr.isatty()
        )
    except GateBlocked as exc:
        print(f"replay {args.date_from}..{args.date_to}: {exc}", file=sys.stderr)
        return 4
    if failed:
        print(f"{len(failed)} unit(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 3
    print(f"replayed {args.date_from}..{args.date_to} and published")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from sangkien.demo import run_demo

    return run_demo(
        date_from=args.date_from,
        date_to=args.date_to,
        scale=args.scale,
        seed=args.seed,
        fresh=not args.keep,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sangkien",
        description="National statistics warehouse for the '1 triệu sáng kiến' programme.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="the warehouse: a local cluster unless SANGKIEN_WAREHOUSE_DSN")
    db.add_argument("action", choices=["up", "down", "status", "dsn", "bootstrap"])
    db.set_defaults(func=cmd_db)

    sim = sub.add_parser("simulate", help="write a realistic sample landing area")
    sim.add_argument("--out", required=True, help="landing area to write")
    sim.add_argument("--from", dest="date_from", type=_date, required=True)
    sim.add_argument("--to", dest="date_to", type=_date, required=True)
    sim.add_argument("--scale", type=float, default=1.0, help="1.0 ≈ 2.4 M submissions in all")
    sim.add_argument("--seed", type=int, default=0)
    sim.set_defaults(func=cmd_simulate)

    night = sub.add_parser("run-night", help="run one business date (same as the DAG)")
    night.add_argument("business_date", type=_date)
    night.add_argument("--all", action="store_true", help="list unchanged units too")
    night.add_argument(
        "--unit",
        action="append",
        metavar="CODE",
        help="re-run only this unit's night (repeatable); the others are left as they are",
    )
    night.set_defaults(func=cmd_run_night)

    rep = sub.add_parser("replay", help="load a range of nights in one go, then publish once")
    rep.add_argument("--from", dest="date_from", type=_date, required=True)
    rep.add_argument("--to", dest="date_to", type=_date, required=True)
    rep.add_argument(
        "--workers", type=int, default=2, help="units landed at once (default 2: one per core)"
    )
    rep.set_defaults(func=cmd_replay)

    rebuild = sub.add_parser(
        "rebuild", help="rebuild every model from raw (full refresh), check, publish"
    )
    rebuild.add_argument("--date", type=_date, required=True, help="the night to publish as")
    rebuild.set_defaults(func=cmd_rebuild)

    grant = sub.add_parser(
        "grant-province", help="create or update a provincial analyst login for one unit"
    )
    grant.add_argument("--unit", required=True, help="the unit code, e.g. P38")
    grant.add_argument("--login", required=True, help="the analyst's database login")
    grant.add_argument(
        "--password-env",
        metavar="VAR",
        help="take the password from this environment variable (else one is generated)",
    )
    grant.set_defaults(func=cmd_grant_province)

    status = sub.add_parser("status", help="one screen: last night, freshness, gate, alerts")
    status.add_argument("--date", type=_date, default=None, help="the night (default: last)")
    status.set_defaults(func=cmd_status)

    demo = sub.add_parser("demo", help="simulate nights and run them through the DAG")
    demo.add_argument("--from", dest="date_from", type=_date, default=date(2022, 4, 21))
    demo.add_argument("--to", dest="date_to", type=_date, default=date(2022, 4, 26))
    demo.add_argument("--scale", type=float, default=0.1)
    demo.add_argument("--seed", type=int, default=2022)
    demo.add_argument("--keep", action="store_true", help="keep the previous demo warehouse")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
